//! One test body of Unix-domain socket behaviours, generic over `Sys`: run on real Linux by
//! `tests/real` (paths under a fresh temporary directory, abstract names carrying the pid)
//! and on the simulated kernel by `tests/sim`, so both backends are held to the same
//! expectations. Each behaviour was first seen on Linux with a python3 script.

use simkern::poller::sys::epoll::{EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP};
use simkern::poller::sys::{
    Domain, EpollEvent, EpollOp, Errno, Fd, MsgFlags, Shutdown, SockOptGet, SockType, Sys, UnixAddr,
};

/// The sizes the buffer and queue assertions expect. Linux takes them from sysctls
/// (`net.core.wmem_default`, `net.unix.max_dgram_qlen`) and from each skb's charge, which
/// depends on the kernel's `struct sk_buff` and allocator: the simulator's charges were fitted
/// to 6.18, so exact counts are asserted only on the simulator and on a host like that one.
pub struct Sizes {
    /// A fresh Unix socket's `SO_SNDBUF`.
    pub sndbuf: i32,
    /// `net.unix.max_dgram_qlen`: an unconnected receiver takes one more than this.
    pub dgram_qlen: usize,
    /// Whether the skb charges are the fitted ones, so counts of writes are exact.
    pub charges_fitted: bool,
}

impl Sizes {
    /// What the simulated kernel uses (Linux 6.18's defaults and charges).
    pub const SIMULATED: Sizes = Sizes {
        sndbuf: 212_992,
        dgram_qlen: 10,
        charges_fitted: true,
    };
}

/// The events `mask` polls for: everything a socket reports.
const ALL: u32 = EPOLLIN | EPOLLOUT | EPOLLRDHUP;

/// The readiness of `fd` now (a level-triggered poll of a fresh epoll, timeout 0).
fn mask<S: Sys>(sys: &S, fd: Fd) -> u32 {
    let ep = sys.epoll_create().expect("epoll_create");
    sys.epoll_ctl(ep, EpollOp::Add, fd, Some(EpollEvent::new(ALL, 0)))
        .expect("epoll_ctl");
    let mut out = [EpollEvent::zeroed(); 1];
    let n = sys.epoll_wait(ep, &mut out, 0).expect("epoll_wait");
    sys.close(ep).expect("close epoll");
    if n == 0 {
        0
    } else {
        out[0].events()
    }
}

fn sock<S: Sys>(sys: &S, ty: SockType) -> Fd {
    sys.socket(Domain::Unix, ty).expect("socket(AF_UNIX)")
}

/// Where the body puts its names: `dir` an existing directory (bytes, no trailing slash),
/// `tag` unique to this run (for abstract names, which are machine-wide on Linux).
pub struct Names {
    pub dir: Vec<u8>,
    pub tag: Vec<u8>,
}

impl Names {
    fn path(&self, name: &str) -> UnixAddr {
        let mut p = self.dir.clone();
        p.push(b'/');
        p.extend_from_slice(name.as_bytes());
        UnixAddr::Path(p)
    }
    fn abs(&self, name: &str) -> UnixAddr {
        let mut a = self.tag.clone();
        a.extend_from_slice(name.as_bytes());
        UnixAddr::Abstract(a)
    }
}

fn unlink_path<S: Sys>(sys: &S, addr: &UnixAddr) {
    let UnixAddr::Path(p) = addr else {
        panic!("not a path: {addr:?}")
    };
    sys.unlink(p).expect("unlink");
}

/// Stream sockets: names, connect errors, backlog, accept, peer close, shutdown, EPIPE.
pub fn unix_stream_behaviours<S: Sys>(sys: &S, names: &Names, sizes: &Sizes) {
    let a = names.path("a");
    let c = sock(sys, SockType::Stream);
    assert_eq!(mask(sys, c), EPOLLOUT | EPOLLHUP, "a fresh stream socket");
    assert_eq!(sys.connect_unix(c, &a), Err(Errno::ENOENT), "nobody bound");
    assert_eq!(sys.connect_unix(c, &UnixAddr::Unnamed), Err(Errno::EINVAL));
    let l = sock(sys, SockType::Stream);
    assert_eq!(sys.listen(l, 1), Err(Errno::EINVAL), "listen unbound");
    sys.bind_unix(l, &a).expect("bind");
    assert_eq!(
        sys.connect_unix(c, &a),
        Err(Errno::ECONNREFUSED),
        "not listening"
    );
    let l2 = sock(sys, SockType::Stream);
    assert_eq!(sys.bind_unix(l2, &a), Err(Errno::EADDRINUSE));
    assert_eq!(
        sys.bind_unix(l, &names.path("b")),
        Err(Errno::EINVAL),
        "bound twice"
    );
    sys.listen(l, 1).expect("listen");
    assert_eq!(mask(sys, l), 0, "an idle listener");
    assert_eq!(sys.getsockopt(l, SockOptGet::Type), Ok(1));
    assert_eq!(sys.getsockopt(l, SockOptGet::SndBuf), Ok(sizes.sndbuf));

    // Backlog 1 queues two connections; the third is EAGAIN.
    sys.connect_unix(c, &a).expect("connect 1");
    assert_eq!(mask(sys, c), EPOLLOUT);
    let c2 = sock(sys, SockType::Stream);
    sys.connect_unix(c2, &a).expect("connect 2");
    let c3 = sock(sys, SockType::Stream);
    assert_eq!(sys.connect_unix(c3, &a), Err(Errno::EAGAIN), "backlog full");
    assert_eq!(
        sys.connect_unix(c, &a),
        Err(Errno::EAGAIN),
        "the backlog before the state"
    );
    assert_eq!(mask(sys, l), EPOLLIN, "a listener with connections queued");

    // Data before accept; names on both ends.
    assert_eq!(sys.write(c, b"hello"), Ok(5));
    let (s, peer) = sys.accept4_unix(l).expect("accept4");
    assert_eq!(peer, UnixAddr::Unnamed, "the client never bound");
    // Accepted nonblocking and close-on-exec, as every fd the poller hands out.
    let fl = sys
        .fcntl(s, simkern::poller::sys::Fcntl::GetFl)
        .expect("F_GETFL");
    assert_ne!(
        fl & simkern::poller::sys::fd_flags::O_NONBLOCK,
        0,
        "accepted blocking"
    );
    assert_eq!(
        sys.fcntl(s, simkern::poller::sys::Fcntl::GetFd),
        Ok(libc::FD_CLOEXEC),
        "accepted without FD_CLOEXEC"
    );
    assert_eq!(sys.connect_unix(c, &a), Err(Errno::EISCONN));
    assert_eq!(
        sys.unix_name(s, false),
        Ok(a.clone()),
        "accepted: named as the listener"
    );
    assert_eq!(sys.unix_name(s, true), Ok(UnixAddr::Unnamed));
    assert_eq!(sys.unix_name(c, false), Ok(UnixAddr::Unnamed));
    assert_eq!(sys.unix_name(c, true), Ok(a.clone()));
    assert_eq!(sys.unix_name(c3, true), Err(Errno::ENOTCONN));
    assert_eq!(
        sys.getsockname(c),
        Err(Errno::EAFNOSUPPORT),
        "inet name of a Unix socket"
    );
    let mut buf = [0u8; 64];
    assert_eq!(
        sys.recvfrom_unix(s, &mut buf, MsgFlags::PEEK),
        Ok((5, UnixAddr::Unnamed))
    );
    assert_eq!(sys.read(s, &mut buf[..3]), Ok(3));
    assert_eq!(&buf[..3], b"hel");
    assert_eq!(sys.write(s, b"back"), Ok(4));
    assert_eq!(
        sys.recvfrom_unix(c, &mut buf, MsgFlags::EMPTY),
        Ok((4, a.clone())),
        "the sender is the accepted socket, named as the listener"
    );
    assert_eq!(sys.read(c, &mut buf), Err(Errno::EAGAIN));
    assert_eq!(
        sys.read(c3, &mut buf),
        Err(Errno::EINVAL),
        "read unconnected"
    );

    // Peer close: the rest, then 0; EPIPE; HUP.
    sys.close(c).expect("close client");
    assert_eq!(mask(sys, s), EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLRDHUP);
    assert_eq!(sys.read(s, &mut buf), Ok(2));
    assert_eq!(sys.read(s, &mut buf), Ok(0));
    assert_eq!(sys.write(s, b"x"), Err(Errno::EPIPE));
    assert_eq!(
        sys.unix_name(s, true),
        Ok(UnixAddr::Unnamed),
        "the peer's name outlives it"
    );
    sys.close(s).expect("close");

    // A listener closed with a connection queued resets it; its path stays until unlink.
    sys.close(l).expect("close listener");
    assert_eq!(
        mask(sys, c2),
        EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDHUP
    );
    assert_eq!(sys.read(c2, &mut buf), Err(Errno::ECONNRESET));
    assert_eq!(sys.read(c2, &mut buf), Ok(0));
    assert_eq!(sys.write(c2, b"x"), Err(Errno::EPIPE));
    let c4 = sock(sys, SockType::Stream);
    assert_eq!(
        sys.connect_unix(c4, &a),
        Err(Errno::ECONNREFUSED),
        "the file stays"
    );
    assert_eq!(
        sys.bind_unix(l2, &a),
        Err(Errno::EADDRINUSE),
        "the file stays"
    );
    unlink_path(sys, &a);
    assert_eq!(sys.connect_unix(c4, &a), Err(Errno::ENOENT));
    let UnixAddr::Path(p) = &a else {
        unreachable!()
    };
    assert_eq!(sys.unlink(p), Err(Errno::ENOENT));
    sys.bind_unix(l2, &a).expect("bind after unlink");
    unlink_path(sys, &a);

    // Closing with unread data gives the peer ECONNRESET after nothing is queued.
    let (x, y) = sys.socketpair(SockType::Stream).expect("socketpair");
    assert_eq!(sys.unix_name(x, true), Ok(UnixAddr::Unnamed));
    assert_eq!(sys.write(y, b"unread"), Ok(6));
    sys.close(x).expect("close");
    assert_eq!(sys.so_error(y), Ok(Some(Errno::ECONNRESET)));
    assert_eq!(sys.read(y, &mut buf), Ok(0));

    // Shutdown mirrors onto the peer.
    let (x, y2) = sys.socketpair(SockType::Stream).expect("socketpair");
    sys.shutdown(x, Shutdown::Write).expect("shutdown");
    assert_eq!(mask(sys, y2), EPOLLIN | EPOLLOUT | EPOLLRDHUP);
    assert_eq!(mask(sys, x), EPOLLOUT);
    assert_eq!(sys.read(y2, &mut buf), Ok(0));
    assert_eq!(sys.write(x, b"a"), Err(Errno::EPIPE));
    sys.shutdown(x, Shutdown::Read).expect("shutdown");
    assert_eq!(sys.write(y2, b"a"), Err(Errno::EPIPE));
    assert_eq!(mask(sys, x), EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLRDHUP);
    assert_eq!(
        sys.shutdown(c4, Shutdown::Both),
        Ok(()),
        "unconnected: no ENOTCONN"
    );

    // Abstract names vanish with their socket.
    let ab = names.abs("abs");
    let al = sock(sys, SockType::Stream);
    sys.bind_unix(al, &ab).expect("bind abstract");
    sys.listen(al, 4).expect("listen");
    let other = sock(sys, SockType::Stream);
    assert_eq!(sys.bind_unix(other, &ab), Err(Errno::EADDRINUSE));
    assert_eq!(sys.unix_name(al, false), Ok(ab.clone()));
    let ac = sock(sys, SockType::Stream);
    sys.connect_unix(ac, &ab).expect("connect abstract");
    sys.close(al).expect("close");
    let ac2 = sock(sys, SockType::Stream);
    assert_eq!(sys.connect_unix(ac2, &ab), Err(Errno::ECONNREFUSED));
    assert_eq!(
        sys.connect_unix(ac2, &names.abs("none")),
        Err(Errno::ECONNREFUSED)
    );
    sys.bind_unix(other, &ab).expect("the name is free again");

    // A datagram path refuses a stream connect.
    let d = names.path("d");
    let dg = sock(sys, SockType::Dgram);
    sys.bind_unix(dg, &d).expect("bind dgram");
    assert_eq!(sys.connect_unix(ac2, &d), Err(Errno::EPROTOTYPE));
    assert_eq!(sys.listen(dg, 1), Err(Errno::EOPNOTSUPP));
    unlink_path(sys, &d);

    // A Unix address on a TCP socket: shorter than a sockaddr_in is EINVAL, else
    // EAFNOSUPPORT (inet_bind); a Unix name of it is EAFNOSUPPORT.
    let t = sys.socket(Domain::Inet, SockType::Stream).expect("socket");
    let short = UnixAddr::Path(b"/s".to_vec());
    let long = UnixAddr::Path(b"/nonexistent/simkern".to_vec());
    assert_eq!(sys.bind_unix(t, &short), Err(Errno::EINVAL));
    assert_eq!(sys.bind_unix(t, &long), Err(Errno::EAFNOSUPPORT));
    assert_eq!(sys.unix_name(t, false), Err(Errno::EAFNOSUPPORT));
    sys.close(t).expect("close");

    for fd in [c2, c3, c4, y, x, y2, l2, other, ac, ac2, dg] {
        sys.close(fd).expect("close");
    }
}

/// The stream send buffer: bounded by the sender's `SO_SNDBUF`, writable again when drained.
pub fn unix_stream_buffer<S: Sys>(sys: &S, sizes: &Sizes) {
    let (x, y) = sys.socketpair(SockType::Stream).expect("socketpair");
    let chunk = vec![7u8; 65_536];
    let mut total = 0;
    loop {
        match sys.write(x, &chunk) {
            Ok(n) => total += n,
            Err(e) => {
                assert_eq!(e, Errno::EAGAIN);
                break;
            }
        }
    }
    if sizes.charges_fitted {
        assert_eq!(
            total, 233_152,
            "65,536-byte writes fill a 212,992-byte sndbuf"
        );
    }
    assert!(total > 0, "a fresh stream takes some bytes before EAGAIN");
    assert_eq!(mask(sys, x), 0, "full: not writable");
    let mut buf = vec![0u8; 1000];
    assert_eq!(sys.read(y, &mut buf), Ok(1000));
    assert_eq!(mask(sys, x), 0, "a partly read skb frees nothing");
    let mut big = vec![0u8; 1 << 20];
    let mut got = 1000;
    while let Ok(n) = sys.read(y, &mut big) {
        got += n;
    }
    assert_eq!(got, total);
    assert_eq!(mask(sys, x), EPOLLOUT);
    sys.close(x).expect("close");
    sys.close(y).expect("close");
}

/// Datagram sockets: boundaries, names, queue limit, connected peers, errors.
pub fn unix_dgram_behaviours<S: Sys>(sys: &S, names: &Names, sizes: &Sizes) {
    let rp = names.path("r");
    let r = sock(sys, SockType::Dgram);
    sys.bind_unix(r, &rp).expect("bind");
    assert_eq!(mask(sys, r), EPOLLOUT);
    assert_eq!(sys.getsockopt(r, SockOptGet::Type), Ok(2));
    assert_eq!(
        sys.getsockopt(r, SockOptGet::NoDelay),
        Err(Errno::EOPNOTSUPP),
        "AF_UNIX has no protocol-level options"
    );
    let s = sock(sys, SockType::Dgram);
    assert_eq!(
        sys.sendto_unix(s, b"x", MsgFlags::EMPTY, Some(&names.path("none"))),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        sys.sendto_unix(s, b"x", MsgFlags::EMPTY, None),
        Err(Errno::ENOTCONN)
    );

    // max_dgram_qlen + 1 datagrams, then EAGAIN; the unconnected sender stays writable.
    for i in 0..=sizes.dgram_qlen {
        assert_eq!(
            sys.sendto_unix(s, b"abc", MsgFlags::EMPTY, Some(&rp)),
            Ok(3),
            "datagram {i}"
        );
    }
    assert_eq!(
        sys.sendto_unix(s, b"abc", MsgFlags::EMPTY, Some(&rp)),
        Err(Errno::EAGAIN)
    );
    assert_eq!(mask(sys, s), EPOLLOUT);
    assert_eq!(mask(sys, r), EPOLLIN | EPOLLOUT);
    let c = sock(sys, SockType::Dgram);
    sys.connect_unix(c, &rp).expect("connect");
    assert_eq!(mask(sys, c), 0, "a connected sender to a full receiver");
    assert_eq!(sys.write(c, b"q"), Err(Errno::EAGAIN));
    let mut buf = [0u8; 64];
    for _ in 0..=sizes.dgram_qlen {
        assert_eq!(
            sys.recvfrom_unix(r, &mut buf, MsgFlags::EMPTY),
            Ok((3, UnixAddr::Unnamed))
        );
    }
    assert_eq!(
        sys.recvfrom_unix(r, &mut buf, MsgFlags::EMPTY),
        Err(Errno::EAGAIN)
    );
    assert_eq!(mask(sys, c), EPOLLOUT);

    // Boundaries, peek, truncation, a named sender, an empty datagram.
    let sp = names.path("s2");
    let s2 = sock(sys, SockType::Dgram);
    sys.bind_unix(s2, &sp).expect("bind");
    assert_eq!(
        sys.sendto_unix(s2, b"hello", MsgFlags::EMPTY, Some(&rp)),
        Ok(5)
    );
    assert_eq!(sys.sendto_unix(s2, b"", MsgFlags::EMPTY, Some(&rp)), Ok(0));
    assert_eq!(
        sys.recvfrom_unix(r, &mut buf, MsgFlags::PEEK),
        Ok((5, sp.clone()))
    );
    assert_eq!(
        sys.recvfrom_unix(r, &mut buf[..2], MsgFlags::TRUNC),
        Ok((5, sp.clone()))
    );
    assert_eq!(
        sys.recvfrom_unix(r, &mut buf, MsgFlags::EMPTY),
        Ok((0, sp.clone()))
    );
    assert_eq!(
        sys.recvfrom(r, &mut buf, MsgFlags::EMPTY),
        Err(Errno::EAGAIN)
    );
    assert_eq!(sys.write(c, &vec![0u8; 300_000]), Err(Errno::EMSGSIZE));
    assert_eq!(
        sys.sendto(
            c,
            b"x",
            MsgFlags::EMPTY,
            Some("127.0.0.1:9".parse().unwrap())
        ),
        Err(Errno::EINVAL)
    );

    // A socket connected elsewhere refuses third parties.
    let (xp, yp) = (names.path("x"), names.path("y"));
    let x = sock(sys, SockType::Dgram);
    let y = sock(sys, SockType::Dgram);
    sys.bind_unix(x, &xp).expect("bind");
    sys.bind_unix(y, &yp).expect("bind");
    sys.connect_unix(x, &yp).expect("connect");
    assert_eq!(
        sys.sendto_unix(s, b"1", MsgFlags::EMPTY, Some(&xp)),
        Err(Errno::EPERM)
    );
    assert_eq!(sys.connect_unix(s, &xp), Err(Errno::EPERM));
    assert_eq!(sys.sendto_unix(y, b"1", MsgFlags::EMPTY, Some(&xp)), Ok(1));
    assert_eq!(
        sys.recvfrom_unix(x, &mut buf, MsgFlags::EMPTY),
        Ok((1, yp.clone()))
    );
    assert_eq!(sys.unix_name(x, true), Ok(yp.clone()));

    // The receiver closes: ECONNREFUSED once, then ENOTCONN; by name ECONNREFUSED.
    sys.close(r).expect("close");
    assert_eq!(mask(sys, c), EPOLLOUT);
    assert_eq!(sys.write(c, b"x"), Err(Errno::ECONNREFUSED));
    assert_eq!(sys.write(c, b"x"), Err(Errno::ENOTCONN));
    assert_eq!(sys.unix_name(c, true), Err(Errno::ENOTCONN));
    assert_eq!(
        sys.sendto_unix(s, b"x", MsgFlags::EMPTY, Some(&rp)),
        Err(Errno::ECONNREFUSED)
    );

    // Shutdown.
    let qp = names.path("q");
    let q = sock(sys, SockType::Dgram);
    sys.bind_unix(q, &qp).expect("bind");
    sys.shutdown(q, Shutdown::Read).expect("shutdown");
    assert_eq!(mask(sys, q), EPOLLIN | EPOLLOUT | EPOLLRDHUP);
    assert_eq!(
        sys.sendto_unix(s, b"a", MsgFlags::EMPTY, Some(&qp)),
        Err(Errno::EPIPE)
    );
    assert_eq!(sys.read(q, &mut buf), Err(Errno::EAGAIN));
    sys.shutdown(s, Shutdown::Write)
        .expect("shutdown unconnected");
    assert_eq!(
        sys.sendto_unix(s, b"a", MsgFlags::EMPTY, Some(&xp)),
        Err(Errno::EPIPE)
    );

    // A socketpair: bounded by the sender's sndbuf, not the queue length.
    let (a, b) = sys.socketpair(SockType::Dgram).expect("socketpair");
    let mut n = 0;
    while sys.write(a, b"abc").is_ok() {
        n += 1;
    }
    if sizes.charges_fitted {
        assert_eq!(n, 278, "768-byte charges in a 212,992-byte sndbuf");
    }
    assert!(n > 0, "a socketpair end takes some datagrams before EAGAIN");
    assert_eq!(mask(sys, a), 0);
    assert_eq!(
        sys.recvfrom_unix(b, &mut buf, MsgFlags::EMPTY),
        Ok((3, UnixAddr::Unnamed))
    );
    sys.close(b).expect("close");
    assert_eq!(sys.write(a, b"x"), Err(Errno::ECONNREFUSED));
    assert_eq!(sys.write(a, b"x"), Err(Errno::ENOTCONN));
    assert_eq!(sys.read(a, &mut buf), Err(Errno::EAGAIN));

    for p in [&rp, &sp, &xp, &yp, &qp] {
        unlink_path(sys, p);
    }
    for fd in [s, c, s2, x, y, q, a] {
        sys.close(fd).expect("close");
    }
}

/// One edge-triggered harvest of `ep` (timeout 0): `(data, events)` in report order.
fn harvest<S: Sys>(sys: &S, ep: Fd) -> Vec<(u64, u32)> {
    let mut out = [EpollEvent::zeroed(); 8];
    let n = sys.epoll_wait(ep, &mut out, 0).expect("epoll_wait");
    let mut got: Vec<(u64, u32)> = out[..n].iter().map(|e| (e.data(), e.events())).collect();
    got.sort_unstable();
    got
}

/// Edge-triggered wakeups, as mio registers: each arrival is an edge, a partial read is none,
/// freed send space is one, the peer's close is one; a full datagram receiver's reader gives
/// its connected sender an `EPOLLOUT` edge.
pub fn unix_edge_triggered<S: Sys>(sys: &S, names: &Names) {
    use simkern::poller::sys::epoll::EPOLLET;
    let ep = sys.epoll_create().expect("epoll_create");
    let (x, y) = sys.socketpair(SockType::Stream).expect("socketpair");
    for (fd, data) in [(x, 1), (y, 2)] {
        sys.epoll_ctl(
            ep,
            EpollOp::Add,
            fd,
            Some(EpollEvent::new(ALL | EPOLLET, data)),
        )
        .expect("epoll_ctl");
    }
    assert_eq!(harvest(sys, ep), vec![(1, EPOLLOUT), (2, EPOLLOUT)]);
    assert_eq!(harvest(sys, ep), vec![], "no edge, no report");
    assert_eq!(sys.write(x, b"one"), Ok(3));
    assert_eq!(harvest(sys, ep), vec![(2, EPOLLIN | EPOLLOUT)]);
    assert_eq!(sys.write(x, b"two"), Ok(3));
    assert_eq!(
        harvest(sys, ep),
        vec![(2, EPOLLIN | EPOLLOUT)],
        "every arrival is an edge"
    );
    let mut buf = [0u8; 2];
    assert_eq!(sys.read(y, &mut buf), Ok(2));
    assert_eq!(harvest(sys, ep), vec![], "a partial read is no edge");
    sys.close(x).expect("close");
    assert_eq!(
        harvest(sys, ep),
        vec![(2, EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLRDHUP)]
    );
    sys.close(y).expect("close");

    let rp = names.path("et");
    let r = sock(sys, SockType::Dgram);
    sys.bind_unix(r, &rp).expect("bind");
    let c = sock(sys, SockType::Dgram);
    sys.connect_unix(c, &rp).expect("connect");
    sys.epoll_ctl(ep, EpollOp::Add, c, Some(EpollEvent::new(ALL | EPOLLET, 3)))
        .expect("epoll_ctl");
    assert_eq!(harvest(sys, ep), vec![(3, EPOLLOUT)]);
    while sys.write(c, b"d").is_ok() {}
    assert_eq!(harvest(sys, ep), vec![], "full: no EPOLLOUT");
    let mut buf = [0u8; 4];
    assert_eq!(sys.read(r, &mut buf), Ok(1));
    assert_eq!(
        harvest(sys, ep),
        vec![(3, EPOLLOUT)],
        "the reader frees a slot: an edge"
    );
    unlink_path(sys, &rp);
    for fd in [r, c, ep] {
        sys.close(fd).expect("close");
    }
}
