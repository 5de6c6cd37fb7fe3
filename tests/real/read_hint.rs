//! A short read drains the socket: on an edge-triggered epoll the bytes that arrive later
//! bring a new event, so the poller parks the next read instead of spending a `read(2)` on
//! `EAGAIN`. Measured on the real kernel with the `Traced` log of every `read`; and
//! `readable()` reports what the poller knows of the read half (readable, then closed).
//! A read that fills the buffer says nothing of what is left, so it keeps readiness: the rest
//! is read without a new event. `writable()` reports the write half.

use crate::traced::{dump, Entry, Traced};
use simkern::poller::reactor::ready::{READABLE, READ_CLOSED, WRITABLE};
use simkern::poller::{Runtime, Sys, TcpStream};
use std::io::Write;
use std::time::Duration;

const MSG: &[u8] = b"ten bytes!";

#[test]
fn after_a_short_read_the_next_read_waits_for_an_event_without_a_syscall() {
    let _fds = crate::support::fds_shared();
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

/// Bytes left behind by a read that filled its buffer bring no new edge on an edge-triggered
/// epoll (nothing new arrives): if the poller dropped readiness after a full read, the second
/// read would wait forever for a peer that sent everything at once.
#[test]
fn after_a_full_read_the_rest_is_read_without_a_new_event() {
    let _fds = crate::support::fds_shared();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    let rt = Runtime::new(simkern::poller::LinuxSys).expect("a loop");
    let h = rt.handle().clone();
    rt.block_on(async move {
        let stream = TcpStream::connect(&h, addr).await.expect("connect");
        let bits = stream.writable().await;
        assert_ne!(bits & WRITABLE, 0, "writable() without WRITABLE: {bits:#x}");
        let (mut peer, _) = listener.accept().expect("accept");
        let sent: Vec<u8> = (0..2 * MSG.len()).map(|i| i as u8).collect();
        peer.write_all(&sent).expect("the peer writes");
        // Both halves in the receive queue before the first read, so one edge covers them.
        let mut queued = 0;
        for _ in 0..100 {
            queued = h.sys().fionread(stream.fd()).expect("FIONREAD");
            if queued as usize == sent.len() {
                break;
            }
            h.sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(
            queued as usize,
            sent.len(),
            "the peer's bytes did not all arrive"
        );
        let mut got = vec![0; sent.len()];
        let (first, second) = got.split_at_mut(MSG.len());
        assert_eq!(stream.read(first).await, Ok(MSG.len()), "a full read");
        let rest = h
            .timeout(Duration::from_secs(5), stream.read(second))
            .await
            .expect("the bytes left by a full read were never read: readiness was dropped");
        assert_eq!(rest, Ok(MSG.len()));
        assert_eq!(got, sent);
    })
    .expect("the loop ran");
}
