//! One test body, generic over `Sys` (run on Linux by `tests/real`, on the simulated kernel by
//! `tests/sim`): an error is looked at once. A connected UDP socket whose datagram met a
//! closed port gets `EPOLLERR` and one `ECONNREFUSED`; the read after it finds nothing, says
//! `EAGAIN`, and must then wait for the next datagram. The poller once kept its error bit
//! after that `EAGAIN`, so every later wait of the socket returned at once and the read spun
//! on `EAGAIN` without ever waiting (on Linux, 100% CPU; in the simulator, a livelock).

use crate::udp_body::{any_port, udp};
use simkern::poller::errno_policy::Call;
use simkern::poller::reactor::Direction;
use simkern::poller::sys::{Errno, Sys};
use simkern::poller::{IoSource, Runtime};
use std::cell::Cell;
use std::time::Duration;

/// How long the read after the error is left parked before the test calls it waiting.
const PARKED: Duration = Duration::from_millis(100);
/// Reads of one wait after which the test calls it spinning and stops it.
const SPIN: u32 = 16;

/// A read through `source` that counts its calls in `calls` and gives up with `ELOOP` after
/// `SPIN` of them (a wait that never waits), so a spinning poller fails the test instead of
/// hanging it.
async fn counted_read<S: Sys>(source: &IoSource<S>, calls: &Cell<u32>) -> Result<usize, Errno> {
    source
        .io(Direction::Read, Call::Read, |sys, fd| {
            calls.set(calls.get() + 1);
            if calls.get() > SPIN {
                return Err(Errno::ELOOP);
            }
            let mut buf = [0u8; 64];
            sys.read(fd, &mut buf).map(|n| (n, false))
        })
        .await
}

pub fn a_read_after_an_error_waits_for_the_next_datagram<S: Sys + Clone + 'static>(sys: S) {
    let gone = udp(&sys);
    sys.bind(gone, any_port()).expect("bind");
    let closed = sys.getsockname(gone).expect("getsockname");
    sys.close(gone).expect("close");
    let c = udp(&sys);
    sys.connect(c, closed).expect("a UDP connect never waits");

    let rt = Runtime::new(sys.clone()).expect("a loop");
    let h = rt.handle().clone();
    rt.block_on(async move {
        let source = IoSource::new(&h, c).expect("register the socket");
        assert_eq!(h.sys().write(c, b"anyone?"), Ok(7));
        let calls = Cell::new(0);
        assert_eq!(
            counted_read(&source, &calls).await,
            Err(Errno::ECONNREFUSED),
            "the refused datagram's error, reported to the first read"
        );

        calls.set(0);
        let waited = h.timeout(PARKED, counted_read(&source, &calls)).await;
        assert!(
            waited.is_err(),
            "the read after the error returned {waited:?} instead of waiting"
        );
        assert_eq!(
            calls.get(),
            1,
            "the read after the error ran {} times in one wait (once, EAGAIN, then it parks)",
            calls.get()
        );

        // The port is free again: a socket there is the connected peer, and its datagram
        // is the edge the parked read waits for.
        let peer = udp(h.sys());
        h.sys()
            .bind(peer, closed)
            .expect("bind the closed port again");
        h.sys()
            .connect(peer, h.sys().getsockname(c).unwrap())
            .expect("connect");
        assert_eq!(h.sys().write(peer, b"here"), Ok(4));
        calls.set(0);
        let read = h
            .timeout(Duration::from_secs(5), counted_read(&source, &calls))
            .await;
        assert_eq!(read, Ok(Ok(4)), "the next datagram is read");
        h.sys().close(peer).expect("close");
    })
    .expect("the loop ran");
}
