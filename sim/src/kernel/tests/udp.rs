//! UDP on loopback: datagram boundaries, truncation and peek, the bounded receive queue,
//! readiness, bind namespaces, connect and the ICMP port-unreachable, per-destination order.

use super::*;
use crate::kernel::{udp_truesize, XorShift, RMEM_DEFAULT, UDP_MAX_PAYLOAD};
use simkern_poller::sys::epoll::{EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP};
use simkern_poller::sys::{MsgFlags, Shutdown, SockOpt, SockOptGet, SysResult};

fn udp(k: &mut Kernel) -> Fd {
    k.socket(Domain::Inet, SockType::Dgram).unwrap()
}

fn bound(k: &mut Kernel, port: u16) -> Fd {
    let u = udp(k);
    k.bind(u, addr(port))
        .unwrap_or_else(|e| panic!("bind {port}: {e}\n{}", k.describe()));
    u
}

fn send(k: &mut Kernel, fd: Fd, data: &[u8], to: Option<SocketAddr>) -> SysResult<usize> {
    let now = k.clock();
    k.sendto(fd, data, MsgFlags::EMPTY, to, now, &mut Zero)
}

fn recv(
    k: &mut Kernel,
    fd: Fd,
    len: usize,
    flags: MsgFlags,
) -> SysResult<(Vec<u8>, usize, SocketAddr)> {
    let mut buf = vec![0; len];
    let now = k.clock();
    let (n, from) = k.recvfrom(fd, &mut buf, flags, now, &mut Zero)?;
    buf.truncate(n.min(len));
    Ok((buf, n, from.expect("a UDP recvfrom names its sender")))
}

#[test]
fn datagrams_keep_their_boundaries_and_a_short_buffer_truncates_and_discards() {
    // Two sends are two datagrams: a read never joins them, and a short read loses the rest.
    let mut k = kernel();
    let r = bound(&mut k, 7000);
    let s = udp(&mut k);
    assert_eq!(send(&mut k, s, b"hello world", Some(addr(7000))), Ok(11));
    assert_eq!(send(&mut k, s, b"second", Some(addr(7000))), Ok(6));
    assert_eq!(
        recv(&mut k, r, 64, MsgFlags::EMPTY).map(|(d, ..)| d),
        Err(Errno::EAGAIN),
        "nothing has arrived before the latency passes"
    );
    settle(&mut k, &mut Zero);
    let (data, n, from) = recv(&mut k, r, 5, MsgFlags::EMPTY).unwrap();
    assert_eq!((&data[..], n), (&b"hello"[..], 5));
    assert_eq!(
        from,
        addr(k.getsockname(s).unwrap().port()),
        "the sender, at 127.0.0.1"
    );
    let (data, ..) = recv(&mut k, r, 64, MsgFlags::EMPTY).unwrap();
    assert_eq!(
        data, b"second",
        "the rest of the first datagram was discarded"
    );
    assert_eq!(
        recv(&mut k, r, 64, MsgFlags::EMPTY).err(),
        Some(Errno::EAGAIN)
    );
}

#[test]
fn msg_trunc_returns_the_real_length_and_msg_peek_leaves_the_datagram() {
    let mut k = kernel();
    let r = bound(&mut k, 7001);
    let s = udp(&mut k);
    send(&mut k, s, b"abcdefgh", Some(addr(7001))).unwrap();
    settle(&mut k, &mut Zero);
    let (data, n, _) = recv(&mut k, r, 3, MsgFlags::PEEK).unwrap();
    assert_eq!((&data[..], n), (&b"abc"[..], 3));
    let (data, n, _) = recv(&mut k, r, 3, MsgFlags::PEEK | MsgFlags::TRUNC).unwrap();
    assert_eq!(
        (&data[..], n),
        (&b"abc"[..], 8),
        "MSG_TRUNC: the datagram's length"
    );
    let (_, n, _) = recv(&mut k, r, 3, MsgFlags::TRUNC).unwrap();
    assert_eq!(n, 8);
    assert_eq!(
        recv(&mut k, r, 3, MsgFlags::EMPTY).err(),
        Some(Errno::EAGAIN)
    );
}

#[test]
fn empty_datagrams_are_datagrams_and_a_zero_length_read_takes_nothing() {
    let mut k = kernel();
    let r = bound(&mut k, 7002);
    let s = udp(&mut k);
    send(&mut k, s, b"", Some(addr(7002))).unwrap();
    send(&mut k, s, b"x", Some(addr(7002))).unwrap();
    settle(&mut k, &mut Zero);
    assert_eq!(k.poll(r).unwrap() & EPOLLIN, EPOLLIN);
    assert_eq!(
        rd(&mut k, r, &mut []),
        Ok(0),
        "read(0) returns before the protocol looks"
    );
    let (data, n, _) = recv(&mut k, r, 8, MsgFlags::EMPTY).unwrap();
    assert_eq!((data.len(), n), (0, 0), "the empty datagram");
    let (_, n, _) = recv(&mut k, r, 0, MsgFlags::EMPTY).unwrap();
    assert_eq!(
        n, 0,
        "recvfrom with a 0-byte buffer takes the next datagram"
    );
    assert_eq!(
        recv(&mut k, r, 8, MsgFlags::EMPTY).err(),
        Some(Errno::EAGAIN)
    );
}

#[test]
fn a_full_receive_queue_drops_datagrams_silently_and_sends_still_succeed() {
    // Each 100-byte datagram is charged 832 bytes: 256 of them fill rmem_default exactly.
    let mut k = kernel();
    assert_eq!(udp_truesize(100), 832);
    let r = bound(&mut k, 7003);
    let s = udp(&mut k);
    for _ in 0..300 {
        assert_eq!(send(&mut k, s, &[7; 100], Some(addr(7003))), Ok(100));
    }
    settle(&mut k, &mut Zero);
    let mut got = 0;
    while recv(&mut k, r, 200, MsgFlags::EMPTY).is_ok() {
        got += 1;
    }
    assert_eq!(got, RMEM_DEFAULT / 832, "as Linux 6.18 measured: 256");
    // An empty queue takes one datagram whatever its charge.
    let mut k = kernel_with(|c| c.udp_rcvbuf = 100);
    let r = bound(&mut k, 7004);
    let s = udp(&mut k);
    send(&mut k, s, &[1; 1000], Some(addr(7004))).unwrap();
    send(&mut k, s, &[2; 10], Some(addr(7004))).unwrap();
    settle(&mut k, &mut Zero);
    assert_eq!(recv(&mut k, r, 2000, MsgFlags::EMPTY).unwrap().1, 1000);
    assert_eq!(
        recv(&mut k, r, 2000, MsgFlags::EMPTY).err(),
        Some(Errno::EAGAIN)
    );
}

#[test]
fn readiness_is_epollin_while_a_datagram_waits_and_epollout_always() {
    let mut k = kernel();
    let r = bound(&mut k, 7005);
    let s = udp(&mut k);
    let ep = k.epoll_create().unwrap();
    watch(&mut k, ep, r, EPOLLIN | EPOLLOUT | EPOLLET);
    assert_eq!(
        harvest(&mut k, ep, &mut Zero),
        vec![(r, EPOLLOUT, r.0 as u64)]
    );
    assert_eq!(
        harvest(&mut k, ep, &mut Zero),
        vec![],
        "edge-triggered: reported once"
    );
    send(&mut k, s, b"a", Some(addr(7005))).unwrap();
    send(&mut k, s, b"b", Some(addr(7005))).unwrap();
    settle(&mut k, &mut Zero);
    assert_eq!(
        harvest(&mut k, ep, &mut Zero),
        vec![(r, EPOLLIN | EPOLLOUT, r.0 as u64)]
    );
    recv(&mut k, r, 8, MsgFlags::EMPTY).unwrap();
    assert_eq!(
        k.poll(r),
        Ok(EPOLLIN | EPOLLOUT),
        "one datagram is still queued"
    );
    recv(&mut k, r, 8, MsgFlags::EMPTY).unwrap();
    assert_eq!(k.poll(r), Ok(EPOLLOUT));
}

#[test]
fn udp_ports_conflict_among_udp_sockets_only_and_port_0_is_ephemeral() {
    let mut k = kernel();
    let a = bound(&mut k, 7006);
    let b = udp(&mut k);
    assert_eq!(k.bind(b, addr(7006)), Err(Errno::EADDRINUSE));
    let any = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 7006));
    assert_eq!(
        k.bind(b, any),
        Err(Errno::EADDRINUSE),
        "0.0.0.0 overlaps 127.0.0.1"
    );
    let t = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(
        k.bind(t, addr(7006)),
        Ok(()),
        "TCP ports are another namespace"
    );
    assert_eq!(k.bind(b, addr(0)), Ok(()));
    let port = k.getsockname(b).unwrap().port();
    assert!(
        port >= crate::kernel::EPHEMERAL_PORT_MIN,
        "ephemeral: {port}"
    );
    assert_eq!(k.bind(a, addr(7007)), Err(Errno::EINVAL), "bound already");
    // Both with SO_REUSEADDR share the port.
    let c = udp(&mut k);
    let d = udp(&mut k);
    for fd in [c, d] {
        k.setsockopt(fd, SockOpt::ReuseAddr(true)).unwrap();
        k.bind(fd, addr(7008)).unwrap();
    }
    assert_eq!(k.listen(a, 1), Err(Errno::EOPNOTSUPP));
    assert_eq!(k.accept4(a).map(|_| ()), Err(Errno::EOPNOTSUPP));
    assert_eq!(k.getsockopt(a, SockOptGet::Type), Ok(2));
    assert_eq!(k.getsockopt(t, SockOptGet::Type), Ok(1));
    assert_eq!(k.getsockopt(a, SockOptGet::RcvBuf), Ok(212_992));
    assert_eq!(k.getsockopt(t, SockOptGet::SndBuf), Ok(16_384));
}

#[test]
fn a_first_send_autobinds_to_0_0_0_0_and_send_without_a_peer_is_edestaddrreq() {
    let mut k = kernel();
    let s = udp(&mut k);
    assert_eq!(
        k.getsockname(s),
        Ok(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)))
    );
    assert_eq!(send(&mut k, s, b"x", None), Err(Errno::EDESTADDRREQ));
    let name = k.getsockname(s).unwrap();
    assert_eq!(
        name.ip(),
        Ipv4Addr::UNSPECIFIED,
        "autobound before the check"
    );
    assert_ne!(name.port(), 0);
    assert_eq!(k.getpeername(s), Err(Errno::ENOTCONN));
    let now = k.clock();
    assert_eq!(k.write(s, b"x", now, &mut Zero), Err(Errno::EDESTADDRREQ));
    assert_eq!(send(&mut k, s, b"x", Some(addr(0))), Err(Errno::EINVAL));
    let big = vec![0; UDP_MAX_PAYLOAD + 1];
    assert_eq!(send(&mut k, s, &big, Some(addr(9))), Err(Errno::EMSGSIZE));
}

#[test]
fn connect_sets_the_default_peer_and_filters_what_the_socket_receives() {
    let mut k = kernel();
    let r = bound(&mut k, 7010);
    let other = bound(&mut k, 7011);
    let c = bound(&mut k, 7012);
    let now = k.clock();
    assert_eq!(
        k.connect(c, addr(7010), now, &mut Zero),
        Ok(()),
        "never EINPROGRESS"
    );
    assert_eq!(k.getpeername(c), Ok(addr(7010)));
    // write/read on a connected socket are send/recv.
    assert_eq!(k.write(c, b"via write", now, &mut Zero), Ok(9));
    // An address on a connected socket is a destination of its own.
    assert_eq!(send(&mut k, c, b"to other", Some(addr(7011))), Ok(8));
    send(&mut k, other, b"not the peer", Some(addr(7012))).unwrap();
    send(&mut k, r, b"the peer", Some(addr(7012))).unwrap();
    settle(&mut k, &mut Zero);
    assert_eq!(
        recv(&mut k, r, 64, MsgFlags::EMPTY).unwrap().0,
        b"via write"
    );
    assert_eq!(
        recv(&mut k, other, 64, MsgFlags::EMPTY).unwrap().0,
        b"to other"
    );
    let mut buf = [0; 64];
    assert_eq!(rd(&mut k, c, &mut buf), Ok(8));
    assert_eq!(&buf[..8], b"the peer");
    assert_eq!(
        rd(&mut k, c, &mut buf),
        Err(Errno::EAGAIN),
        "only the peer gets in"
    );
    // `other`, unconnected, heard nothing of its datagram's fate.
    assert_eq!(k.so_error(other), Ok(None));
}

#[test]
fn a_connected_socket_learns_econnrefused_from_the_icmp_once_on_its_next_call() {
    // As measured on Linux 6.18: connect to a port without a socket succeeds, the first send
    // succeeds, the ICMP answer raises EPOLLERR, and the next send or recv returns the error.
    let mut k = kernel();
    let c = udp(&mut k);
    let now = k.clock();
    k.connect(c, addr(9), now, &mut Zero).unwrap();
    assert_eq!(k.getsockname(c).unwrap().ip(), Ipv4Addr::LOCALHOST);
    let ep = k.epoll_create().unwrap();
    watch(&mut k, ep, c, EPOLLIN | EPOLLET);
    assert_eq!(send(&mut k, c, b"x", None), Ok(1));
    settle(&mut k, &mut Zero);
    assert_eq!(k.poll(c), Ok(EPOLLOUT | EPOLLERR));
    assert_eq!(
        harvest(&mut k, ep, &mut Zero),
        vec![(c, EPOLLERR, c.0 as u64)],
        "the error report wakes an entry that asked only for EPOLLIN"
    );
    assert_eq!(send(&mut k, c, b"x", None), Err(Errno::ECONNREFUSED));
    assert_eq!(send(&mut k, c, b"x", None), Ok(1), "reported once");
    settle(&mut k, &mut Zero);
    assert_eq!(
        recv(&mut k, c, 8, MsgFlags::EMPTY).err(),
        Some(Errno::ECONNREFUSED)
    );
    send(&mut k, c, b"x", None).unwrap();
    settle(&mut k, &mut Zero);
    assert_eq!(
        k.so_error(c),
        Ok(Some(Errno::ECONNREFUSED)),
        "SO_ERROR takes it too"
    );
    assert_eq!(k.poll(c), Ok(EPOLLOUT));
    // An unconnected sender never hears of it.
    let u = udp(&mut k);
    send(&mut k, u, b"x", Some(addr(9))).unwrap();
    settle(&mut k, &mut Zero);
    assert_eq!(k.poll(u), Ok(EPOLLOUT));
}

#[test]
fn shutdown_sets_its_bits_even_unconnected_and_shut_wr_makes_sends_epipe() {
    let mut k = kernel();
    let u = bound(&mut k, 7020);
    let now = k.clock();
    assert_eq!(
        k.shutdown(u, Shutdown::Write, now, &mut Zero),
        Err(Errno::ENOTCONN)
    );
    assert_eq!(send(&mut k, u, b"x", Some(addr(7020))), Err(Errno::EPIPE));
    let c = udp(&mut k);
    k.connect(c, addr(7020), now, &mut Zero).unwrap();
    assert_eq!(k.shutdown(c, Shutdown::Read, now, &mut Zero), Ok(()));
    assert_eq!(k.poll(c), Ok(EPOLLIN | EPOLLOUT | EPOLLRDHUP));
    assert_eq!(
        rd(&mut k, c, &mut [0; 4]),
        Err(Errno::EAGAIN),
        "no end of stream in UDP"
    );
    k.shutdown(c, Shutdown::Write, now, &mut Zero).unwrap();
    assert_eq!(k.poll(c), Ok(EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP));
}

#[test]
fn datagrams_from_one_sender_to_one_address_arrive_in_order_whatever_the_latencies() {
    // Random latencies reorder datagrams of different senders, never one sender's to one
    // address (seeded: the same 40 runs every time).
    let mut reordered_across_senders = false;
    for seed in 0..40 {
        let mut ch = XorShift::new(seed);
        let mut k = kernel();
        let r = bound(&mut k, 7030);
        let a = udp(&mut k);
        let b = udp(&mut k);
        for i in 0..20u8 {
            let now = k.clock();
            k.sendto(a, &[i], MsgFlags::EMPTY, Some(addr(7030)), now, &mut ch)
                .unwrap();
            k.sendto(
                b,
                &[100 + i],
                MsgFlags::EMPTY,
                Some(addr(7030)),
                now,
                &mut ch,
            )
            .unwrap();
        }
        settle(&mut k, &mut ch);
        let mut got = Vec::new();
        while let Ok((d, ..)) = recv(&mut k, r, 4, MsgFlags::EMPTY) {
            got.push(d[0]);
        }
        let from_a: Vec<u8> = got.iter().copied().filter(|&x| x < 100).collect();
        let from_b: Vec<u8> = got.iter().copied().filter(|&x| x >= 100).collect();
        assert_eq!(from_a, (0..20).collect::<Vec<_>>(), "seed {seed}: {got:?}");
        assert_eq!(
            from_b,
            (100..120).collect::<Vec<_>>(),
            "seed {seed}: {got:?}"
        );
        reordered_across_senders |= got
            .windows(2)
            .any(|w| w[0] >= 100 && w[1] < 100 && w[1] > 0);
    }
    assert!(
        reordered_across_senders,
        "some seed interleaves the two senders"
    );
}

#[test]
fn close_frees_the_port_and_late_datagrams_find_nobody() {
    let mut k = kernel();
    let r = bound(&mut k, 7040);
    let c = udp(&mut k);
    let now = k.clock();
    k.connect(c, addr(7040), now, &mut Zero).unwrap();
    send(&mut k, c, b"late", None).unwrap();
    k.close(r, now, &mut Zero).unwrap();
    let again = bound(&mut k, 7040);
    settle(&mut k, &mut Zero);
    assert_eq!(
        recv(&mut k, again, 8, MsgFlags::EMPTY).unwrap().0,
        b"late",
        "a datagram goes to whoever holds the port when it arrives"
    );
    let now = k.clock();
    k.close(again, now, &mut Zero).unwrap();
    send(&mut k, c, b"lost", None).unwrap();
    settle(&mut k, &mut Zero);
    assert_eq!(k.so_error(c), Ok(Some(Errno::ECONNREFUSED)));
    assert!(k.describe().contains("udp socket"), "{}", k.describe());
}

#[test]
fn tcp_recvfrom_peeks_without_taking_and_names_no_sender() {
    // mio's `TcpStream::peek` is `recv(MSG_PEEK)`: the bytes stay for the next read.
    let mut k = kernel();
    let (c, s, _) = pair(&mut k, 7050, &mut Zero);
    let now = k.clock();
    assert_eq!(
        k.sendto(
            c,
            b"peekaboo",
            MsgFlags::EMPTY,
            Some(addr(1)),
            now,
            &mut Zero
        ),
        Ok(8)
    );
    settle(&mut k, &mut Zero);
    let now = k.clock();
    let mut buf = [0; 4];
    assert_eq!(
        k.recvfrom(s, &mut buf, MsgFlags::PEEK, now, &mut Zero),
        Ok((4, None))
    );
    assert_eq!(&buf, b"peek");
    assert_eq!(
        k.recvfrom(s, &mut [], MsgFlags::EMPTY, now, &mut Zero),
        Ok((0, None))
    );
    let mut all = [0; 16];
    assert_eq!(
        rd(&mut k, s, &mut all),
        Ok(8),
        "peeked bytes are still there"
    );
    assert_eq!(&all[..8], b"peekaboo");
    assert_eq!(
        k.recvfrom(s, &mut [], MsgFlags::EMPTY, now, &mut Zero),
        Err(Errno::EAGAIN),
        "unlike read, recvfrom(0) on an empty stream is EAGAIN"
    );
    assert_eq!(k.getpeername(s), Ok(k.getsockname(c).unwrap()));
    let fresh = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(k.getpeername(fresh), Err(Errno::ENOTCONN));
}
