//! One test body of the fd calls `dup3`, `dup2`, `fcntl`, `ioctl(FIONREAD)` and `writev`, generic over
//! `Sys`: run on real Linux by `tests/real` and on the simulated kernel by `tests/sim`, so
//! both backends give Linux's answers (each first seen on Linux 6.18 by this body).
//! Only fds the body opened itself are ever a `dup2`/`dup3` target: other tests run in
//! parallel in the same process on Linux.

use simkern::poller::sys::epoll::EPOLLIN;
use simkern::poller::sys::fd_flags::{
    FD_CLOEXEC, O_APPEND, O_DIRECT, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY,
};
use simkern::poller::sys::{
    Domain, Dup3Flags, EpollEvent, EpollOp, Errno, Fcntl, Fd, SockType, Sys,
};
use std::io::IoSlice;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

/// `O_CREAT`: not a status flag, so `F_SETFL` ignores it.
const O_CREAT: i32 = 0o100;

fn close_all<S: Sys>(sys: &S, fds: &[Fd]) {
    for &fd in fds {
        sys.close(fd).expect("close");
    }
}

/// The data of the events a fresh `epoll_wait` (up to `timeout_ms`) reports on `ep`.
fn ready<S: Sys>(sys: &S, ep: Fd, timeout_ms: i32) -> Vec<u64> {
    let mut evs = [EpollEvent::zeroed(); 8];
    let n = sys
        .epoll_wait(ep, &mut evs, timeout_ms)
        .expect("epoll_wait");
    evs[..n].iter().map(|e| e.data()).collect()
}

/// `F_GETFL`/`F_SETFL` and `F_GETFD`/`F_SETFD` on each kind of file, and which level (fd or
/// file) each flag lives at.
pub fn fcntl_flags<S: Sys>(sys: &S) {
    let sock = sys.socket(Domain::Inet, SockType::Stream).expect("socket");
    let udp = sys.socket(Domain::Inet, SockType::Dgram).expect("socket");
    let (r, w) = sys.pipe2().expect("pipe2");
    let efd = sys.eventfd(0, false).expect("eventfd");
    let ep = sys.epoll_create().expect("epoll_create");
    // Every fd the trait makes is nonblocking and close-on-exec; the access mode is the
    // kind's (sock_alloc_file O_RDWR, create_pipe_files O_RDONLY/O_WRONLY, anon inodes O_RDWR).
    for (fd, mode) in [
        (sock, O_RDWR),
        (udp, O_RDWR),
        (r, O_RDONLY),
        (w, O_WRONLY),
        (efd, O_RDWR),
    ] {
        assert_eq!(
            sys.fcntl(fd, Fcntl::GetFl),
            Ok(mode | O_NONBLOCK),
            "F_GETFL {fd}"
        );
        assert_eq!(sys.fcntl(fd, Fcntl::GetFd), Ok(FD_CLOEXEC), "F_GETFD {fd}");
    }
    // epoll_create1 asks no O_NONBLOCK: the epoll file has none.
    assert_eq!(
        sys.fcntl(ep, Fcntl::GetFl),
        Ok(O_RDWR),
        "F_GETFL of an epoll"
    );
    assert_eq!(
        sys.fcntl(ep, Fcntl::GetFd),
        Ok(FD_CLOEXEC),
        "F_GETFD of an epoll"
    );

    // FD_CLOEXEC is the fd's: a dup keeps its own (the trait's dup is F_DUPFD_CLOEXEC).
    let d = sys.dup(r).expect("dup");
    assert_eq!(sys.fcntl(r, Fcntl::SetFd(0)), Ok(0));
    assert_eq!(
        sys.fcntl(r, Fcntl::GetFd),
        Ok(0),
        "F_SETFD 0 clears FD_CLOEXEC"
    );
    assert_eq!(
        sys.fcntl(d, Fcntl::GetFd),
        Ok(FD_CLOEXEC),
        "the dup keeps its own"
    );
    assert_eq!(
        sys.fcntl(r, Fcntl::SetFd(!0)),
        Ok(0),
        "bits but FD_CLOEXEC ignored"
    );
    assert_eq!(sys.fcntl(r, Fcntl::GetFd), Ok(FD_CLOEXEC));

    // Status flags are the open file's: set through one fd, seen through the dup. Bits
    // outside SETFL_MASK (the access mode, O_CREAT) are ignored.
    let set = O_NONBLOCK | O_APPEND | O_CREAT | O_RDWR;
    assert_eq!(sys.fcntl(r, Fcntl::SetFl(set)), Ok(0));
    assert_eq!(
        sys.fcntl(d, Fcntl::GetFl),
        Ok(O_RDONLY | O_NONBLOCK | O_APPEND)
    );
    // Clearing O_NONBLOCK is reported (no I/O is done on the fd while it is blocking).
    assert_eq!(sys.fcntl(d, Fcntl::SetFl(0)), Ok(0));
    assert_eq!(sys.fcntl(r, Fcntl::GetFl), Ok(O_RDONLY));
    assert_eq!(sys.fcntl(r, Fcntl::SetFl(O_NONBLOCK)), Ok(0));
    assert_eq!(sys.fcntl(d, Fcntl::GetFl), Ok(O_RDONLY | O_NONBLOCK));
    assert_eq!(
        sys.read(d, &mut [0; 4]),
        Err(Errno::EAGAIN),
        "nonblocking again"
    );

    // O_DIRECT is in SETFL_MASK, but a socket cannot do direct I/O (no FMODE_CAN_ODIRECT):
    // EINVAL, and nothing changes. (A pipe takes it on Linux, packet mode, which the
    // simulated kernel does not model and refuses: not asked here.)
    for s in [sock, udp] {
        assert_eq!(
            sys.fcntl(s, Fcntl::SetFl(O_NONBLOCK | O_DIRECT)),
            Err(Errno::EINVAL),
            "F_SETFL O_DIRECT on socket {s}"
        );
        assert_eq!(sys.fcntl(s, Fcntl::GetFl), Ok(O_RDWR | O_NONBLOCK));
    }

    close_all(sys, &[sock, udp, r, w, efd, ep, d]);
    // A closed number may be another test's fd by now on Linux: -1 is never open.
    assert_eq!(
        sys.fcntl(Fd(-1), Fcntl::GetFd),
        Err(Errno::EBADF),
        "not an fd"
    );
}

/// `dup2` and `dup3`: their errors, `FD_CLOEXEC` of the new fd, the close of what the
/// target named, and the epoll gotcha (an entry is keyed by fd and file, and outlives the fd
/// it was added under while another fd names the file).
pub fn dup2_dup3<S: Sys>(sys: &S) {
    let (r, w) = sys.pipe2().expect("pipe2");
    let (r2, w2) = sys.pipe2().expect("pipe2");
    let spare = sys.eventfd(0, false).expect("eventfd");

    assert_eq!(
        sys.dup3(r, r, Dup3Flags::EMPTY),
        Err(Errno::EINVAL),
        "dup3(fd, fd)"
    );
    assert_eq!(
        sys.dup3(r, spare, Dup3Flags(1)),
        Err(Errno::EINVAL),
        "a flag but O_CLOEXEC"
    );
    assert_eq!(sys.dup2(r, r), Ok(r), "dup2(fd, fd) is fd");
    assert_eq!(
        sys.fcntl(r, Fcntl::GetFd),
        Ok(FD_CLOEXEC),
        "and changes nothing"
    );
    assert_eq!(
        sys.dup2(Fd(-1), Fd(-1)),
        Err(Errno::EBADF),
        "dup2 of a closed fd to itself"
    );
    assert_eq!(sys.dup2(r, Fd(-1)), Err(Errno::EBADF), "a negative target");
    assert_eq!(
        sys.dup2(r, Fd(i32::MAX)),
        Err(Errno::EBADF),
        "a target past RLIMIT_NOFILE"
    );
    assert_eq!(
        sys.fcntl(spare, Fcntl::GetFl),
        Ok(O_RDWR | O_NONBLOCK),
        "failed dups close nothing"
    );

    // dup2 onto w2 closes the second pipe's only write end: its reader sees EOF.
    assert_eq!(sys.dup2(w, w2), Ok(w2));
    assert_eq!(
        sys.read(r2, &mut [0; 4]),
        Ok(0),
        "the replaced write end was closed"
    );
    assert_eq!(
        sys.fcntl(w2, Fcntl::GetFd),
        Ok(0),
        "dup2's fd has no FD_CLOEXEC"
    );
    assert_eq!(
        sys.fcntl(w2, Fcntl::GetFl),
        Ok(O_WRONLY | O_NONBLOCK),
        "w's file"
    );
    assert_eq!(sys.write(w2, b"abc"), Ok(3));
    assert_eq!(
        sys.read(r, &mut [0; 8]),
        Ok(3),
        "written through the new fd"
    );
    assert_eq!(sys.dup3(r, r2, Dup3Flags::CLOEXEC), Ok(r2));
    assert_eq!(
        sys.fcntl(r2, Fcntl::GetFd),
        Ok(FD_CLOEXEC),
        "dup3 with O_CLOEXEC"
    );

    // The gotcha: add r, dup it onto `spare`, close r. The entry (r, file) still reports,
    // though r is closed; `spare` cannot remove it (nor can r, now `EBADF` or another file).
    let ep = sys.epoll_create().expect("epoll_create");
    let data = 0x5eed;
    sys.epoll_ctl(ep, EpollOp::Add, r, Some(EpollEvent::new(EPOLLIN, data)))
        .expect("add r");
    assert_eq!(sys.dup2(r, spare), Ok(spare));
    sys.close(r).expect("close r");
    sys.close(r2).expect("close r2");
    assert_eq!(sys.write(w, b"x"), Ok(1));
    assert_eq!(
        ready(sys, ep, 100),
        vec![data],
        "the entry of closed r still reports"
    );
    assert_eq!(
        sys.epoll_ctl(ep, EpollOp::Del, spare, None),
        Err(Errno::ENOENT),
        "the entry is keyed (r, file), not (spare, file)"
    );
    // Only the last fd of the file removes it.
    sys.close(spare).expect("close spare");
    assert_eq!(
        ready(sys, ep, 0),
        Vec::<u64>::new(),
        "the file's last close removes it"
    );
    close_all(sys, &[w, w2, ep]);
}

/// `epoll_ctl` without an event (`None`): `ADD` and `MOD` register no interest (the all-zero
/// event, data 0), so only what epoll always reports comes back (`EPOLLHUP` once the pipe's
/// writer closes); `DEL` ignores whatever event it is given.
pub fn epoll_ctl_without_an_event<S: Sys>(sys: &S) {
    let (r, w) = sys.pipe2().expect("pipe2");
    let ep = sys.epoll_create().expect("epoll_create");
    assert_eq!(
        sys.epoll_ctl(ep, EpollOp::Add, r, None),
        Ok(()),
        "ADD, no event"
    );
    assert_eq!(sys.write(w, b"x"), Ok(1));
    assert_eq!(ready(sys, ep, 0), Vec::<u64>::new(), "EPOLLIN unasked");
    assert_eq!(
        sys.epoll_ctl(ep, EpollOp::Mod, r, None),
        Ok(()),
        "MOD, no event"
    );
    assert_eq!(ready(sys, ep, 0), Vec::<u64>::new(), "EPOLLIN unasked");
    sys.close(w).expect("close w");
    assert_eq!(ready(sys, ep, 100), vec![0], "EPOLLHUP is reported unasked");
    let ignored = EpollEvent::new(EPOLLIN, 7);
    assert_eq!(sys.epoll_ctl(ep, EpollOp::Del, r, Some(ignored)), Ok(()));
    assert_eq!(ready(sys, ep, 0), Vec::<u64>::new(), "deleted");
    close_all(sys, &[r, ep]);
}

/// `ioctl(FIONREAD)` on pipes, TCP, UDP, Unix sockets, eventfd and epoll.
pub fn fionread<S: Sys>(sys: &S) {
    let (r, w) = sys.pipe2().expect("pipe2");
    assert_eq!(sys.fionread(r), Ok(0), "an empty pipe");
    assert_eq!(sys.write(w, b"hello"), Ok(5));
    assert_eq!(sys.fionread(r), Ok(5), "the read end");
    assert_eq!(
        sys.fionread(w),
        Ok(5),
        "the write end counts the same bytes"
    );
    let efd = sys.eventfd(3, false).expect("eventfd");
    let ep = sys.epoll_create().expect("epoll_create");
    assert_eq!(
        sys.fionread(efd),
        Err(Errno::ENOTTY),
        "eventfd has no FIONREAD"
    );
    // epoll has an ioctl since 6.9 (EPIOCSPARAMS), which refuses other requests with EINVAL;
    // before, epoll had none: ENOTTY. Both are Linux.
    let epoll = sys.fionread(ep);
    assert!(
        epoll == Err(Errno::EINVAL) || epoll == Err(Errno::ENOTTY),
        "FIONREAD on an epoll: {epoll:?}"
    );

    // TCP: a listener is EINVAL; a fresh socket 0; a connected one its receive queue.
    let lo = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0));
    let l = sys.socket(Domain::Inet, SockType::Stream).expect("socket");
    sys.bind(l, lo).expect("bind");
    sys.listen(l, 8).expect("listen");
    assert_eq!(sys.fionread(l), Err(Errno::EINVAL), "a listener");
    let c = sys.socket(Domain::Inet, SockType::Stream).expect("socket");
    assert_eq!(sys.fionread(c), Ok(0), "an unconnected socket");
    let at = sys.getsockname(l).expect("getsockname");
    assert_eq!(sys.connect(c, at), Err(Errno::EINPROGRESS));
    sys.epoll_ctl(ep, EpollOp::Add, l, Some(EpollEvent::new(EPOLLIN, 1)))
        .expect("add l");
    assert_eq!(ready(sys, ep, 1000), vec![1], "the connection arrives");
    let (a, _) = sys.accept4(l).expect("accept4");
    assert_eq!(sys.write(c, b"0123456"), Ok(7));
    sys.epoll_ctl(ep, EpollOp::Add, a, Some(EpollEvent::new(EPOLLIN, 2)))
        .expect("add a");
    sys.epoll_ctl(ep, EpollOp::Del, l, None).expect("del l");
    assert_eq!(ready(sys, ep, 1000), vec![2], "the bytes arrive");
    assert_eq!(sys.fionread(a), Ok(7), "bytes queued");
    assert_eq!(sys.read(a, &mut [0; 3]), Ok(3));
    assert_eq!(sys.fionread(a), Ok(4), "what is left");

    // UDP: the next datagram's payload, not the queue's total.
    let u = sys.socket(Domain::Inet, SockType::Dgram).expect("socket");
    sys.bind(u, lo).expect("bind");
    let uat = sys.getsockname(u).expect("getsockname");
    assert_eq!(sys.fionread(u), Ok(0), "an empty queue");
    let from = sys.socket(Domain::Inet, SockType::Dgram).expect("socket");
    let flags = simkern::poller::sys::MsgFlags::EMPTY;
    assert_eq!(sys.sendto(from, b"abc", flags, Some(uat)), Ok(3));
    assert_eq!(sys.sendto(from, b"0123456789", flags, Some(uat)), Ok(10));
    sys.epoll_ctl(ep, EpollOp::Add, u, Some(EpollEvent::new(EPOLLIN, 3)))
        .expect("add u");
    sys.epoll_ctl(ep, EpollOp::Del, a, None).expect("del a");
    assert_eq!(ready(sys, ep, 1000), vec![3], "the datagrams arrive");
    assert_eq!(sys.fionread(u), Ok(3), "the first datagram");

    // Unix: a stream pair sums its queue; a datagram pair gives the next datagram.
    let (s1, s2) = sys.socketpair(SockType::Stream).expect("socketpair");
    assert_eq!(sys.write(s1, b"abcd"), Ok(4));
    assert_eq!(sys.write(s1, b"efghij"), Ok(6));
    assert_eq!(sys.fionread(s2), Ok(10), "a Unix stream's queued bytes");
    let (g1, g2) = sys.socketpair(SockType::Dgram).expect("socketpair");
    assert_eq!(sys.write(g1, b"abcd"), Ok(4));
    assert_eq!(sys.write(g1, b"efghij"), Ok(6));
    assert_eq!(
        sys.fionread(g2),
        Ok(4),
        "a Unix datagram socket's next datagram"
    );

    close_all(sys, &[r, w, efd, ep, l, c, a, u, from, s1, s2, g1, g2]);
    assert_eq!(sys.fionread(Fd(-1)), Err(Errno::EBADF), "not an fd");
}

/// `writev` gathers its slices into one write on every kind that takes bytes: a socket through
/// `sendmsg`, a pipe (where `sendmsg` is `ENOTSOCK`) through `writev(2)`; a pipe's read end
/// refuses it as `write` does.
pub fn writev_gathers<S: Sys>(sys: &S) {
    let bufs = [IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cde")];
    let (r, w) = sys.pipe2().expect("pipe2");
    let (s1, s2) = sys.socketpair(SockType::Stream).expect("socketpair");
    for (to, from, kind) in [(w, r, "pipe"), (s1, s2, "Unix stream")] {
        assert_eq!(sys.writev(to, &bufs), Ok(5), "writev to a {kind}");
        let mut got = [0; 8];
        assert_eq!(sys.read(from, &mut got), Ok(5), "read from a {kind}");
        assert_eq!(
            &got[..5],
            b"abcde",
            "the slices of a {kind} writev, in order"
        );
        assert_eq!(sys.writev(to, &[]), Ok(0), "an empty writev to a {kind}");
    }
    assert_eq!(
        sys.writev(r, &bufs),
        Err(Errno::EBADF),
        "writev to a pipe's read end"
    );
    close_all(sys, &[r, w, s1, s2]);
}
