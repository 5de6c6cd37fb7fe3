//! UDP through `simkern::mio`: datagram boundaries, truncation, `peek_from`, connected
//! sockets, and the ICMP refusal a connected socket hears.

use crate::support::{both_kernels, wait_for, would_block};
use simkern::mio::net::UdpSocket;
use simkern::mio::{Events, Interest, Poll, Token};
use std::io::ErrorKind;
use std::net::SocketAddr;

both_kernels!(datagrams_keep_their_boundaries, boundaries);
both_kernels!(
    a_connected_socket_talks_to_its_peer_and_hears_a_refusal,
    connected
);
both_kernels!(ttl_and_broadcast_read_back_what_was_set, ttl_and_broadcast);
both_kernels!(
    multicast_ttl_and_loop_read_back_and_group_calls_are_unsupported,
    multicast
);

const A: Token = Token(1);
const B: Token = Token(2);

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Two datagrams stay two; a short buffer takes the head of one and loses its tail;
/// `peek_from` leaves a datagram queued; an empty queue would block.
fn boundaries() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let tx = UdpSocket::bind(local()).unwrap();
    let mut rx = UdpSocket::bind(local()).unwrap();
    poll.registry()
        .register(&mut rx, B, Interest::READABLE)
        .unwrap();
    let to = rx.local_addr().unwrap();
    assert_eq!(tx.send_to(b"first", to).unwrap(), 5);
    assert_eq!(tx.send_to(b"second datagram", to).unwrap(), 15);
    assert_eq!(tx.send_to(b"third", to).unwrap(), 5);
    let mut buf = [0u8; 64];
    let mut got = Vec::new();
    while got.len() < 3 {
        let r = if got.len() == 1 {
            // The second: peeked whole first, then read into six bytes.
            let peeked = rx.peek_from(&mut buf);
            if would_block(&peeked) {
                wait_for(&mut poll, &mut events, B, |e| e.is_readable());
                continue;
            }
            let (n, from) = peeked.unwrap();
            assert_eq!(
                (&buf[..n], from),
                (&b"second datagram"[..], tx.local_addr().unwrap())
            );
            let mut short = [0u8; 6];
            rx.recv_from(&mut short)
                .map(|(n, f)| (short[..n].to_vec(), f))
        } else {
            rx.recv_from(&mut buf).map(|(n, f)| (buf[..n].to_vec(), f))
        };
        match r {
            Ok((bytes, from)) => {
                assert_eq!(from, tx.local_addr().unwrap());
                got.push(bytes);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                wait_for(&mut poll, &mut events, B, |e| e.is_readable())
            }
            Err(e) => panic!("recv_from: {e}"),
        }
    }
    assert_eq!(got, [&b"first"[..], b"second", b"third"]);
    assert!(
        would_block(&rx.recv_from(&mut buf)),
        "the tail of the second is gone"
    );
}

/// `connect` sets the peer: `send`/`recv` talk to it, `peer_addr` names it. A peer port that
/// nobody has bound answers with ICMP: the connected sender hears `ECONNREFUSED` (an error
/// event, then `take_error` or the next call), where an unconnected one would hear nothing.
fn connected() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let mut a = UdpSocket::bind(local()).unwrap();
    let b = UdpSocket::bind(local()).unwrap();
    assert_eq!(
        a.peer_addr().unwrap_err().kind(),
        ErrorKind::NotConnected,
        "no peer before connect"
    );
    a.connect(b.local_addr().unwrap()).unwrap();
    assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
    poll.registry()
        .register(&mut a, A, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    b.send_to(b"to a", a.local_addr().unwrap()).unwrap();
    let mut buf = [0u8; 16];
    loop {
        match a.recv(&mut buf) {
            Ok(n) => {
                assert_eq!(&buf[..n], b"to a");
                break;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                wait_for(&mut poll, &mut events, A, |e| e.is_readable())
            }
            Err(e) => panic!("recv: {e}"),
        }
    }
    // A port with nobody on it: bind one, note it, close it.
    let gone = UdpSocket::bind(local()).unwrap().local_addr().unwrap();
    a.connect(gone).unwrap();
    assert_eq!(a.send(b"anyone?").unwrap(), 7, "the send itself succeeds");
    wait_for(&mut poll, &mut events, A, |e| e.is_error());
    let error = a.take_error().unwrap().expect("the ICMP answer's error");
    assert_eq!(error.raw_os_error(), Some(libc::ECONNREFUSED));
}

/// `IP_TTL` and `SO_BROADCAST` on a UDP socket read back what was set; an out-of-range TTL
/// is `EINVAL` and changes nothing.
fn ttl_and_broadcast() {
    let socket = UdpSocket::bind(local()).unwrap();
    let default = socket.ttl().unwrap();
    assert!((1..=255).contains(&default), "default TTL {default}");
    socket.set_ttl(1).unwrap();
    assert_eq!(socket.ttl().unwrap(), 1);
    let e = socket.set_ttl(300).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EINVAL), "set_ttl(300): {e}");
    assert_eq!(socket.ttl().unwrap(), 1, "a refused set_ttl changed it");
    assert!(
        !socket.broadcast().unwrap(),
        "SO_BROADCAST is off by default"
    );
    socket.set_broadcast(true).unwrap();
    assert!(
        socket.broadcast().unwrap(),
        "set_broadcast(true) reads back"
    );
    socket.set_broadcast(false).unwrap();
    assert!(
        !socket.broadcast().unwrap(),
        "set_broadcast(false) reads back"
    );
}

/// `IP_MULTICAST_TTL` starts at 1 and takes 0 to 255 (256 is `EINVAL` and changes nothing,
/// -1 as `u32::MAX` restores 1); `IP_MULTICAST_LOOP` starts on. Group membership is not
/// provided on either kernel: it says so, as `Unsupported`, rather than pretending.
fn multicast() {
    let socket = UdpSocket::bind(local()).unwrap();
    assert_eq!(socket.multicast_ttl_v4().unwrap(), 1, "Linux's default");
    socket.set_multicast_ttl_v4(0).unwrap();
    assert_eq!(socket.multicast_ttl_v4().unwrap(), 0);
    socket.set_multicast_ttl_v4(255).unwrap();
    let e = socket.set_multicast_ttl_v4(256).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EINVAL), "256: {e}");
    assert_eq!(
        socket.multicast_ttl_v4().unwrap(),
        255,
        "a refused set changed it"
    );
    socket.set_multicast_ttl_v4(u32::MAX).unwrap();
    assert_eq!(
        socket.multicast_ttl_v4().unwrap(),
        1,
        "-1 restores the default"
    );
    assert!(socket.multicast_loop_v4().unwrap(), "on by default");
    socket.set_multicast_loop_v4(false).unwrap();
    assert!(!socket.multicast_loop_v4().unwrap());
    socket.set_multicast_loop_v4(true).unwrap();
    assert!(socket.multicast_loop_v4().unwrap());
    let group = "239.1.2.3".parse().unwrap();
    let e = socket
        .join_multicast_v4(&group, &std::net::Ipv4Addr::UNSPECIFIED)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    assert!(e.to_string().contains("join_multicast_v4"), "{e}");
}
