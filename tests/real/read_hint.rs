//! A short read drains the socket: on an edge-triggered epoll the bytes that arrive later
//! bring a new event, so the poller parks the next read instead of spending a `read(2)` on
//! `EAGAIN`. Measured on the real kernel with the `Traced` log of every `read`; and
//! `readable()` reports what the poller knows of the read half (readable, then closed).

use crate::traced::{dump, Entry, Traced};
use simkern::poller::reactor::ready::{READABLE, READ_CLOSED};
use simkern::poller::{Runtime, TcpStream};
use std::io::Write;
use std::time::Duration;

const MSG: &[u8] = b"ten bytes!";

#[test]
fn after_a_short_read_the_next_read_waits_for_an_event_without_a_syscall() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    let sys = Traced::default();
    let rt = Runtime::new(sys.clone()).expect("a loop");
    let h = rt.handle().clone();
    let fd = rt
        .block_on(async move {
            let stream = TcpStream::connect(&h, addr).await.expect("connect");
            // The handshake is the kernel's: the connection is queued, accept returns at once.
            let (mut peer, _) = listener.accept().expect("accept");
            peer.write_all(MSG).expect("the peer writes");
            let bits = stream.readable().await;
            assert_ne!(bits & READABLE, 0, "readable() without READABLE: {bits:#x}");
            let mut buf = [0; 64];
            assert_eq!(stream.read(&mut buf).await, Ok(MSG.len()), "a short read");
            let more = h
                .timeout(Duration::from_millis(20), stream.read(&mut buf))
                .await;
            assert!(more.is_err(), "a read finished with nothing sent: {more:?}");
            // The peer's FIN is the next event: readable() reports the half closed.
            drop(peer);
            let bits = stream.readable().await;
            assert_ne!(bits & READ_CLOSED, 0, "readable() after FIN: {bits:#x}");
            stream.fd()
        })
        .expect("the loop ran");
    let log = sys.log();
    let reads: Vec<usize> = (0..log.len())
        .filter(|&i| matches!(log[i], Entry::Read(f, _) if f == fd))
        .collect();
    let short = reads
        .iter()
        .position(|&i| log[i] == Entry::Read(fd, Ok(MSG.len())))
        .unwrap_or_else(|| panic!("no read of {} bytes:\n{}", MSG.len(), dump(&log)));
    assert_eq!(
        reads.len(),
        short + 1,
        "reads of {fd:?} after the short read (each an EAGAIN the edge made needless):\n{}",
        dump(&log)
    );
}
