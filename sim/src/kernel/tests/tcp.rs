//! TCP data flow: bytes, FIN, RST, buffers and window, per-connection order, faults, orphans.

use super::*;
use crate::kernel::{Partition, XorShift};
use simkern_poller::sys::epoll::{EPOLLERR, EPOLLET, EPOLLIN, EPOLLOUT, EPOLLRDHUP};
use simkern_poller::sys::{Shutdown, SockOpt};

fn read_all(k: &mut Kernel, fd: Fd) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n @ 1..) = rd(k, fd, &mut buf) {
        out.extend_from_slice(&buf[..n]);
    }
    out
}

#[test]
fn a_connected_pair_carries_bytes_both_ways() {
    let mut k = kernel();
    let ch = &mut XorShift::new(3);
    let (c, s, l) = pair(&mut k, 8080, ch);
    assert_eq!(k.poll(c), Ok(EPOLLOUT));
    assert_eq!(k.poll(l), Ok(0), "accept queue drained");
    let now = k.clock();
    assert_eq!(k.write(c, b"ping", now, ch), Ok(4));
    let mut buf = [0u8; 8];
    assert_eq!(
        rd(&mut k, s, &mut buf),
        Err(Errno::EAGAIN),
        "still on the wire"
    );
    settle(&mut k, ch);
    assert_eq!(rd(&mut k, s, &mut buf), Ok(4));
    assert_eq!(&buf[..4], b"ping");
    let now = k.clock();
    k.write(s, b"pong", now, ch).unwrap();
    settle(&mut k, ch);
    assert_eq!(read_all(&mut k, c), b"pong");
    assert_eq!(k.getsockname(s), Ok(addr(8080)));
    let client_addr = k.getsockname(c).unwrap();
    assert_ne!(client_addr.port(), 8080);
}

#[test]
fn closing_with_unread_data_resets_the_peer() {
    let mut k = kernel();
    let ch = &mut XorShift::new(5);
    let (c, s, _l) = pair(&mut k, 6000, ch);
    let now = k.clock();
    k.write(c, b"unread", now, ch).unwrap();
    settle(&mut k, ch);
    let now = k.clock();
    k.close(s, now, ch).unwrap();
    settle(&mut k, ch);
    assert_eq!(k.poll(c), Ok(DEAD | EPOLLERR), "{}", k.describe());
    let mut buf = [0u8; 8];
    assert_eq!(rd(&mut k, c, &mut buf), Err(Errno::ECONNRESET));
    assert_eq!(rd(&mut k, c, &mut buf), Ok(0), "the error is reported once");
    let now = k.clock();
    assert_eq!(k.write(c, b"x", now, ch), Err(Errno::EPIPE));
}

#[test]
fn so_linger_zero_makes_close_send_rst_and_write_sees_the_reset_first() {
    let mut k = kernel();
    let ch = &mut zero();
    let (c, s, _l) = pair(&mut k, 6001, ch);
    k.setsockopt(s, SockOpt::Linger(Some(0))).unwrap();
    let now = k.clock();
    k.close(s, now, ch).unwrap();
    settle(&mut k, ch);
    let now = k.clock();
    assert_eq!(k.write(c, b"x", now, ch), Err(Errno::ECONNRESET));
    assert_eq!(k.write(c, b"x", now, ch), Err(Errno::EPIPE));
}

#[test]
fn fin_lets_the_peer_read_the_data_then_zero() {
    let mut k = kernel();
    let ch = &mut XorShift::new(8);
    let (c, s, _l) = pair(&mut k, 6002, ch);
    let now = k.clock();
    k.write(c, b"last words", now, ch).unwrap();
    k.shutdown(c, Shutdown::Write, now, ch).unwrap();
    assert_eq!(
        k.write(c, b"more", now, ch),
        Err(Errno::EPIPE),
        "after own SHUT_WR"
    );
    settle(&mut k, ch);
    assert_eq!(k.poll(s), Ok(EPOLLIN | EPOLLRDHUP | EPOLLOUT));
    let mut buf = [0u8; 64];
    assert_eq!(rd(&mut k, s, &mut buf), Ok(10));
    assert_eq!(rd(&mut k, s, &mut buf), Ok(0));
    assert_eq!(rd(&mut k, s, &mut buf), Ok(0));
    // Half-close: the other direction still works.
    let now = k.clock();
    k.write(s, b"reply", now, ch).unwrap();
    settle(&mut k, ch);
    assert_eq!(read_all(&mut k, c), b"reply");
}

#[test]
fn writing_to_a_peer_that_closed_is_accepted_once_then_epipe() {
    // The closed peer answers the data with RST; in CLOSE_WAIT that is EPIPE.
    let mut k = kernel();
    let ch = &mut zero();
    let (c, s, _l) = pair(&mut k, 6003, ch);
    let now = k.clock();
    k.close(s, now, ch).unwrap();
    settle(&mut k, ch);
    let now = k.clock();
    assert_eq!(k.write(c, b"hello?", now, ch), Ok(6), "{}", k.describe());
    settle(&mut k, ch);
    let now = k.clock();
    assert_eq!(k.write(c, b"x", now, ch), Err(Errno::EPIPE));
    assert_eq!(k.write(c, b"x", now, ch), Err(Errno::EPIPE));
    let mut buf = [0u8; 8];
    assert_eq!(rd(&mut k, c, &mut buf), Ok(0), "the FIN came first");
    let now = k.clock();
    k.close(c, now, ch).unwrap();
    settle(&mut k, ch);
    assert!(
        !k.describe().contains("unnamed"),
        "orphans freed\n{}",
        k.describe()
    );
}

#[test]
fn orphans_are_freed_once_both_fins_are_delivered() {
    let mut k = kernel();
    let ch = &mut XorShift::new(2);
    let (c, s, l) = pair(&mut k, 6004, ch);
    let now = k.clock();
    k.write(c, b"bye", now, ch).unwrap();
    k.close(c, now, ch).unwrap();
    settle(&mut k, ch);
    assert!(
        k.describe().contains("unnamed socket"),
        "the client lingers in FIN_WAIT"
    );
    assert_eq!(read_all(&mut k, s), b"bye");
    let now = k.clock();
    k.close(s, now, ch).unwrap();
    k.close(l, now, ch).unwrap();
    settle(&mut k, ch);
    assert!(!k.describe().contains("unnamed"), "{}", k.describe());
    assert!(k.open_fds().is_empty());
}

#[test]
fn segments_of_one_connection_never_overtake_each_other_under_random_latency() {
    // Many small writes on three connections with latency spread over 1 ms: each stream
    // arrives whole and in order, while arrivals of different connections interleave.
    for seed in 0..20 {
        let mut k = kernel();
        let ch = &mut XorShift::new(seed);
        let conns: Vec<(Fd, Fd)> = (0..3)
            .map(|i| {
                let (c, s, _) = pair(&mut k, 7100 + i, ch);
                (c, s)
            })
            .collect();
        let mut t = k.clock();
        for round in 0..50u8 {
            for (i, &(c, _)) in conns.iter().enumerate() {
                t += 1_000;
                k.advance(t, ch);
                k.write(c, &[round, i as u8], t, ch).unwrap();
            }
        }
        settle(&mut k, ch);
        for (i, &(_, s)) in conns.iter().enumerate() {
            let got = read_all(&mut k, s);
            let want: Vec<u8> = (0..50u8).flat_map(|r| [r, i as u8]).collect();
            assert_eq!(got, want, "seed {seed} connection {i}");
        }
    }
}

#[test]
fn each_data_arrival_is_a_new_edge_and_a_read_returns_all_that_arrived() {
    let mut k = kernel();
    let ch = &mut zero();
    let ep = k.epoll_create().unwrap();
    let (c, s, _l) = pair(&mut k, 7200, ch);
    watch(&mut k, ep, s, EPOLLIN | EPOLLRDHUP | EPOLLET);
    for i in 0..3u64 {
        let now = k.clock() + 1_000_000;
        k.advance(now, ch);
        k.write(c, b"abc", now, ch).unwrap();
        settle(&mut k, ch);
        assert_eq!(harvest(&mut k, ep, ch).len(), 1, "arrival {i} is an edge");
    }
    let mut buf = [0u8; 100];
    assert_eq!(
        rd(&mut k, s, &mut buf),
        Ok(9),
        "never short while more is queued"
    );
}

#[test]
fn a_full_send_buffer_gives_a_short_write_then_eagain_then_epollout_after_the_peer_reads() {
    let mut k = kernel_with(|c| {
        c.sndbuf = 1000;
        c.rcvbuf = 1500;
        c.write_len_freedom = false;
    });
    let ch = &mut zero();
    let ep = k.epoll_create().unwrap();
    let (c, s, _l) = pair(&mut k, 7300, ch);
    watch(&mut k, ep, c, EPOLLOUT | EPOLLET);
    assert_eq!(harvest(&mut k, ep, ch).len(), 1, "writable at registration");
    let data = vec![9u8; 5000];
    let now = k.clock();
    assert_eq!(k.write(c, &data, now, ch), Ok(1000), "short write: sndbuf");
    assert_eq!(k.write(c, &data, now, ch), Err(Errno::EAGAIN));
    settle(&mut k, ch); // 1000 delivered: the send buffer empties
    assert_eq!(
        harvest(&mut k, ep, ch).len(),
        1,
        "space freed after EAGAIN: EPOLLOUT edge"
    );
    let now = k.clock();
    assert_eq!(k.write(c, &data, now, ch), Ok(1000));
    settle(&mut k, ch); // only 500 fit the receiver; 500 wait in the send buffer
    let now = k.clock();
    assert_eq!(k.write(c, &data, now, ch), Ok(500));
    assert_eq!(k.write(c, &data, now, ch), Err(Errno::EAGAIN));
    assert!(harvest(&mut k, ep, ch).is_empty());
    assert_eq!(k.poll(c), Ok(0));
    let mut buf = vec![0u8; 1200];
    assert_eq!(rd(&mut k, s, &mut buf), Ok(1200));
    settle(&mut k, ch); // the window update lets the waiting 1000 bytes through
    assert_eq!(
        harvest(&mut k, ep, ch),
        vec![(c, EPOLLOUT, c.0 as u64)],
        "{}",
        k.describe()
    );
    assert_eq!(read_all(&mut k, s).len(), 300 + 1000);
}

#[test]
fn reset_connection_resets_this_end_now_and_the_peer_after_a_latency() {
    let mut k = kernel();
    let ch = &mut zero();
    let (c, s, _l) = pair(&mut k, 7500, ch);
    let now = k.clock();
    k.write(s, b"in flight", now, ch).unwrap();
    k.write(c, b"lost", now, ch).unwrap();
    assert!(k.reset_connection(c, now, ch));
    assert_eq!(k.so_error(c), Ok(Some(Errno::ECONNRESET)));
    let mut buf = [0u8; 16];
    assert_eq!(
        rd(&mut k, s, &mut buf),
        Err(Errno::EAGAIN),
        "the RST is on its way"
    );
    settle(&mut k, ch);
    assert_eq!(
        rd(&mut k, s, &mut buf),
        Err(Errno::ECONNRESET),
        "c's unsent data is lost"
    );
    assert_eq!(rd(&mut k, s, &mut buf), Ok(0));
    assert_eq!(
        rd(&mut k, c, &mut buf),
        Ok(0),
        "data arriving after the reset is dropped"
    );
    let now = k.clock();
    assert!(!k.reset_connection(c, now, ch), "nothing left to reset");
    let e = k.eventfd(0, false).unwrap();
    assert!(!k.reset_connection(e, now, ch), "not a socket: left alone");
}

#[test]
fn a_partition_holds_segments_until_it_heals() {
    let mut k = kernel();
    let ch = &mut XorShift::new(4);
    let (c, s, _l) = pair(&mut k, 7600, ch);
    let now = k.clock();
    k.set_partition(Partition::Port(7600), true, now);
    k.write(c, b"held", now, ch).unwrap();
    run_until(&mut k, now + 10 * SEC, ch);
    let mut buf = [0u8; 8];
    assert_eq!(rd(&mut k, s, &mut buf), Err(Errno::EAGAIN));
    // A new dial into the partition loses its SYNs.
    let d = k.socket(Domain::Inet, SockType::Stream).unwrap();
    let t = k.clock();
    k.connect(d, addr(7600), t, ch).unwrap_err();
    run_until(&mut k, t + SEC / 2, ch);
    k.set_partition(Partition::Port(7600), false, t + SEC / 2);
    settle(&mut k, ch);
    assert_eq!(rd(&mut k, s, &mut buf), Ok(4));
    assert_eq!(&buf[..4], b"held");
    assert_eq!(
        k.so_error(d),
        Ok(None),
        "a retransmitted SYN got through after healing"
    );
}
