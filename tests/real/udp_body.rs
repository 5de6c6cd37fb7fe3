//! One test body of UDP (and `MSG_PEEK` on TCP) behaviours, generic over `Sys`: run on real
//! Linux by `tests/real` and on the simulated kernel by `tests/sim`, so both backends are
//! held to the same expectations. Waits go through `epoll_wait` with a timeout, which blocks
//! on Linux and lets virtual time jump in the simulator.

use simkern::poller::sys::epoll::{EPOLLERR, EPOLLIN, EPOLLOUT};
use simkern::poller::sys::{
    Domain, EpollEvent, EpollOp, Errno, Fd, MsgFlags, SockOpt, SockOptGet, SockType, Sys,
};
use std::net::SocketAddr;

/// How long one wait may take before the test gives up, in ms.
const WAIT_MS: i32 = 5_000;

pub fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().expect("an address")
}

/// Waits until `fd` reports any of `events` (registered level-triggered on a fresh epoll);
/// returns the bits reported.
fn wait<S: Sys>(sys: &S, fd: Fd, events: u32) -> u32 {
    let ep = sys.epoll_create().expect("epoll_create");
    sys.epoll_ctl(ep, EpollOp::Add, fd, Some(EpollEvent::new(events, 0)))
        .expect("epoll_ctl");
    let mut out = [EpollEvent::zeroed(); 1];
    let n = sys.epoll_wait(ep, &mut out, WAIT_MS).expect("epoll_wait");
    sys.close(ep).expect("close epoll");
    assert_eq!(
        n, 1,
        "{fd:?} never reported {events:#x} within {WAIT_MS} ms"
    );
    out[0].events()
}

pub fn udp<S: Sys>(sys: &S) -> Fd {
    sys.socket(Domain::Inet, SockType::Dgram)
        .expect("socket(SOCK_DGRAM)")
}

/// `recvfrom`, waiting for a datagram first.
fn recv<S: Sys>(sys: &S, fd: Fd, buf: &mut [u8], flags: MsgFlags) -> (usize, SocketAddr) {
    wait(sys, fd, EPOLLIN);
    let (n, from) = sys.recvfrom(fd, buf, flags).expect("recvfrom");
    (n, from.expect("a UDP sender's address"))
}

/// The behaviours, in order; panics on the first that differs.
pub fn udp_behaviours<S: Sys>(sys: &S) {
    let r = udp(sys);
    sys.bind(r, any_port()).expect("bind");
    let to = sys.getsockname(r).expect("getsockname");
    assert_eq!(sys.getsockopt(r, SockOptGet::Type), Ok(2), "SO_TYPE of UDP");
    assert!(sys.getsockopt(r, SockOptGet::RcvBuf).expect("SO_RCVBUF") > 0);
    assert!(sys.getsockopt(r, SockOptGet::SndBuf).expect("SO_SNDBUF") > 0);
    assert_eq!(
        sys.getsockopt(r, SockOptGet::NoDelay),
        Err(Errno::EOPNOTSUPP),
        "TCP_NODELAY of UDP: do_ip_getsockopt refuses the level (setsockopt says ENOPROTOOPT)"
    );
    assert_eq!(sys.getpeername(r), Err(Errno::ENOTCONN));

    // A send without a destination autobinds, then fails.
    let s = udp(sys);
    assert_eq!(
        sys.sendto(s, b"x", MsgFlags::EMPTY, None),
        Err(Errno::EDESTADDRREQ)
    );
    let from = sys.getsockname(s).expect("getsockname");
    assert_ne!(from.port(), 0, "autobound before EDESTADDRREQ");

    // Boundaries, MSG_PEEK, MSG_TRUNC and truncation.
    assert_eq!(
        sys.sendto(s, b"hello world", MsgFlags::EMPTY, Some(to)),
        Ok(11)
    );
    assert_eq!(sys.sendto(s, b"second", MsgFlags::EMPTY, Some(to)), Ok(6));
    assert_eq!(sys.sendto(s, b"", MsgFlags::EMPTY, Some(to)), Ok(0));
    let mut buf = [0u8; 5];
    let (n, sender) = recv(sys, r, &mut buf, MsgFlags::PEEK);
    assert_eq!((n, &buf[..]), (5, &b"hello"[..]));
    assert_eq!(sender, SocketAddr::new([127, 0, 0, 1].into(), from.port()));
    let (n, _) = recv(sys, r, &mut buf, MsgFlags::TRUNC);
    assert_eq!(n, 11, "MSG_TRUNC: the datagram's real length");
    let mut big = [0u8; 64];
    let (n, _) = recv(sys, r, &mut big, MsgFlags::EMPTY);
    assert_eq!(
        &big[..n],
        b"second",
        "the rest of the first datagram was discarded"
    );
    let (n, _) = recv(sys, r, &mut big, MsgFlags::EMPTY);
    assert_eq!(n, 0, "an empty datagram");
    assert_eq!(
        sys.recvfrom(r, &mut big, MsgFlags::EMPTY),
        Err(Errno::EAGAIN)
    );
    assert_eq!(sys.read(r, &mut big), Err(Errno::EAGAIN));

    // connect to a port nobody holds: the send succeeds, the ICMP answer comes back as
    // EPOLLERR and one ECONNREFUSED.
    let gone = udp(sys);
    sys.bind(gone, any_port()).expect("bind");
    let closed = sys.getsockname(gone).expect("getsockname");
    sys.close(gone).expect("close");
    let c = udp(sys);
    assert_eq!(sys.connect(c, closed), Ok(()), "a UDP connect never waits");
    assert_eq!(sys.getpeername(c), Ok(closed));
    assert_eq!(sys.write(c, b"anyone?"), Ok(7));
    assert_eq!(wait(sys, c, EPOLLIN) & EPOLLERR, EPOLLERR);
    assert_eq!(
        sys.sendto(c, b"x", MsgFlags::EMPTY, None),
        Err(Errno::ECONNREFUSED)
    );
    assert_eq!(wait(sys, c, EPOLLOUT), EPOLLOUT, "the error was taken");

    // A connected socket's read and write are recv and send, to and from its peer only.
    let p = udp(sys);
    sys.connect(p, to).expect("connect");
    sys.sendto(
        r,
        b"to p",
        MsgFlags::EMPTY,
        Some(sys.getsockname(p).unwrap()),
    )
    .expect("sendto");
    assert_eq!(wait(sys, p, EPOLLIN), EPOLLIN);
    assert_eq!(sys.read(p, &mut big), Ok(4));
    for fd in [r, s, c, p] {
        sys.close(fd).expect("close");
    }

    // MSG_PEEK on a TCP stream leaves the bytes for the next read (mio's `peek`).
    let l = sys.socket(Domain::Inet, SockType::Stream).expect("socket");
    sys.bind(l, any_port()).expect("bind");
    sys.setsockopt(l, SockOpt::NoDelay(true))
        .expect("TCP_NODELAY");
    sys.listen(l, 4).expect("listen");
    let at = sys.getsockname(l).expect("getsockname");
    let t = sys.socket(Domain::Inet, SockType::Stream).expect("socket");
    assert_eq!(sys.connect(t, at), Err(Errno::EINPROGRESS));
    assert_eq!(
        sys.getpeername(l),
        Err(Errno::ENOTCONN),
        "a listener has no peer"
    );
    wait(sys, l, EPOLLIN);
    let (a, _) = sys.accept4(l).expect("accept4");
    wait(sys, t, EPOLLOUT);
    assert_eq!(sys.getpeername(t), Ok(at));
    assert_eq!(sys.getsockopt(t, SockOptGet::Type), Ok(1), "SO_TYPE of TCP");
    assert_eq!(sys.getsockopt(l, SockOptGet::NoDelay), Ok(1), "as set");
    assert_eq!(
        sys.getsockopt(a, SockOptGet::NoDelay),
        Ok(1),
        "an accepted socket inherits its listener's TCP_NODELAY"
    );
    assert_eq!(sys.getsockopt(t, SockOptGet::NoDelay), Ok(0), "the default");
    assert_eq!(sys.sendto(t, b"peek", MsgFlags::EMPTY, None), Ok(4));
    wait(sys, a, EPOLLIN);
    let mut four = [0u8; 4];
    assert_eq!(sys.recvfrom(a, &mut four, MsgFlags::PEEK), Ok((4, None)));
    assert_eq!(sys.read(a, &mut big), Ok(4));
    assert_eq!(&big[..4], b"peek");
    for fd in [a, t, l] {
        sys.close(fd).expect("close");
    }
}
