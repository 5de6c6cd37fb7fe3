//! One test body of the waiting calls (`poll`, `ppoll`, `epoll_pwait`, `epoll_pwait2`,
//! `nanosleep`) and of blocking I/O (`pipe2`/`eventfd` without `O_NONBLOCK`, `fcntl` clearing
//! it), generic over `Sys`: run on real Linux by `tests/real` and on the simulated kernel by
//! `tests/sim`. Time is checked only from below (a wait lasts at least its timeout), which
//! holds on any machine, loaded or not.

use simkern::poller::sys::epoll::EPOLLIN;
use simkern::poller::sys::fd_flags::{FD_CLOEXEC, O_NONBLOCK};
use simkern::poller::sys::pollbits::{POLLHUP, POLLIN, POLLNVAL, POLLOUT};
use simkern::poller::sys::{
    Domain, EfdFlags, EpollEvent, EpollOp, Errno, Fcntl, Fd, PipeFlags, PollFd, SockType, Sys,
};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Clears `O_NONBLOCK` on `fd`'s file.
fn make_blocking<S: Sys>(sys: &S, fd: Fd) {
    let fl = sys.fcntl(fd, Fcntl::GetFl).expect("F_GETFL");
    sys.fcntl(fd, Fcntl::SetFl(fl & !O_NONBLOCK))
        .expect("F_SETFL");
}

/// `poll` over a pipe: what is asked and what is reported unasked (`POLLHUP`, `POLLNVAL`), a
/// skipped negative fd, and a timeout that lasts at least its length.
pub fn poll_reports<S: Sys>(sys: &S) {
    let (r, w) = sys.pipe2().expect("pipe2");
    let mut fds = [
        PollFd::new(r, POLLIN),
        PollFd::new(w, POLLOUT),
        PollFd::new(Fd(-1), POLLIN),
    ];
    assert_eq!(sys.poll(&mut fds, 0), Ok(1), "only the write end is ready");
    assert_eq!(
        (fds[0].revents, fds[1].revents, fds[2].revents),
        (0, POLLOUT, 0)
    );

    let start = sys.monotonic_now();
    let mut one = [PollFd::new(r, POLLIN)];
    assert_eq!(
        sys.poll(&mut one, 20),
        Ok(0),
        "nothing written: poll times out"
    );
    assert!(
        sys.monotonic_now() - start >= ms(20),
        "poll returned before its timeout"
    );

    assert_eq!(sys.write(w, b"ab"), Ok(2));
    assert_eq!(sys.ppoll(&mut one, Some(Duration::ZERO)), Ok(1));
    assert_eq!(one[0].revents, POLLIN);

    sys.close(w).expect("close");
    assert_eq!(sys.poll(&mut one, 0), Ok(1));
    assert_eq!(
        one[0].revents,
        POLLIN | POLLHUP,
        "POLLHUP is reported unasked"
    );
    let mut gone = [PollFd::new(w, POLLOUT)];
    assert_eq!(sys.poll(&mut gone, 0), Ok(1));
    assert_eq!(
        gone[0].revents, POLLNVAL,
        "a closed fd is POLLNVAL, whatever was asked"
    );
    sys.close(r).expect("close");
}

/// `ppoll` with no timeout waits for another thread's write; `nanosleep` lasts its length.
pub fn ppoll_waits_for_a_writer<S: Sys>(sys: &S) {
    let (r, w) = sys.pipe2().expect("pipe2");
    let start = sys.monotonic_now();
    let writer = {
        let sys2 = sys.clone();
        sys.spawn("writer", move || {
            sys2.nanosleep(ms(15)).expect("nanosleep");
            assert_eq!(sys2.write(w, b"x"), Ok(1));
        })
        .expect("spawn")
    };
    let mut one = [PollFd::new(r, POLLIN)];
    assert_eq!(sys.ppoll(&mut one, None), Ok(1));
    assert_eq!(one[0].revents, POLLIN);
    assert!(
        sys.monotonic_now() - start >= ms(15),
        "woke before the write"
    );
    sys.join(writer);
    sys.close(r).expect("close");
    sys.close(w).expect("close");
}

/// `epoll_pwait` and `epoll_pwait2`: the `epoll_wait` answers, and a nanosecond timeout.
pub fn epoll_pwait_forms<S: Sys>(sys: &S) {
    let ep = sys.epoll_create().expect("epoll_create");
    let efd = sys.eventfd(0, false).expect("eventfd");
    sys.epoll_ctl(ep, EpollOp::Add, efd, Some(EpollEvent::new(EPOLLIN, 7)))
        .expect("epoll_ctl");
    let mut evs = [EpollEvent::zeroed(); 4];
    assert_eq!(sys.epoll_pwait(ep, &mut evs, 0), Ok(0));
    let start = sys.monotonic_now();
    let timeout = Duration::from_micros(2_500);
    assert_eq!(sys.epoll_pwait2(ep, &mut evs, Some(timeout)), Ok(0));
    assert!(
        sys.monotonic_now() - start >= timeout,
        "epoll_pwait2 returned early"
    );
    assert_eq!(sys.write(efd, &1u64.to_ne_bytes()), Ok(8));
    assert_eq!(sys.epoll_pwait2(ep, &mut evs, None), Ok(1));
    assert_eq!((evs[0].events(), evs[0].data()), (EPOLLIN, 7));
    assert_eq!(sys.epoll_pwait(ep, &mut evs, -1), Ok(1));
    sys.close(efd).expect("close");
    sys.close(ep).expect("close");
}

/// The flags of `pipe2` and `eventfd`: which reach the fd and the file, and which are refused.
pub fn open_flags<S: Sys>(sys: &S) {
    let (r, w) = sys.pipe2_flags(PipeFlags::EMPTY).expect("pipe2(0)");
    for fd in [r, w] {
        assert_eq!(sys.fcntl(fd, Fcntl::GetFl).unwrap() & O_NONBLOCK, 0);
        assert_eq!(sys.fcntl(fd, Fcntl::GetFd), Ok(0), "no FD_CLOEXEC asked");
        sys.close(fd).expect("close");
    }
    let (r, w) = sys
        .pipe2_flags(PipeFlags::CLOEXEC)
        .expect("pipe2(O_CLOEXEC)");
    assert_eq!(sys.fcntl(r, Fcntl::GetFd), Ok(FD_CLOEXEC));
    assert_eq!(sys.fcntl(w, Fcntl::GetFl).unwrap() & O_NONBLOCK, 0);
    sys.close(r).expect("close");
    sys.close(w).expect("close");
    assert_eq!(
        sys.pipe2_flags(PipeFlags(0o1)),
        Err(Errno::EINVAL),
        "O_WRONLY"
    );

    let e = sys.eventfd_flags(3, EfdFlags::SEMAPHORE).expect("eventfd");
    assert_eq!(sys.fcntl(e, Fcntl::GetFl).unwrap() & O_NONBLOCK, 0);
    assert_eq!(sys.fcntl(e, Fcntl::GetFd), Ok(0));
    let mut buf = [0u8; 8];
    assert_eq!(sys.read(e, &mut buf), Ok(8));
    assert_eq!(u64::from_ne_bytes(buf), 1, "semaphore mode reads one");
    sys.close(e).expect("close");
    let e = sys
        .eventfd_flags(0, EfdFlags::NONBLOCK | EfdFlags::CLOEXEC)
        .expect("eventfd");
    assert_eq!(sys.read(e, &mut buf), Err(Errno::EAGAIN));
    sys.close(e).expect("close");
    assert_eq!(sys.eventfd_flags(0, EfdFlags(0o2)), Err(Errno::EINVAL));
}

/// A blocking read waits for the bytes; a blocking write larger than the pipe returns only
/// once a reader has made room for all of it; a blocking eventfd read waits for a write.
pub fn blocking_pipe_and_eventfd<S: Sys>(sys: &S) {
    let (r, w) = sys.pipe2_flags(PipeFlags::CLOEXEC).expect("pipe2");
    const LEN: usize = 200 * 1024; // more than a pipe holds (64 KiB)
    let reader = {
        let sys2 = sys.clone();
        sys.spawn("reader", move || {
            sys2.nanosleep(ms(5)).expect("nanosleep");
            let mut got = 0;
            let mut buf = vec![0u8; 16 * 1024];
            while got < LEN {
                let n = sys2.read(r, &mut buf).expect("blocking read");
                assert!(n > 0, "EOF before every byte came");
                assert!(buf[..n].iter().all(|&b| b == 0x5a));
                got += n;
            }
            assert_eq!(got, LEN);
        })
        .expect("spawn")
    };
    assert_eq!(
        sys.write(w, &vec![0x5a; LEN]),
        Ok(LEN),
        "a blocking write queues every byte"
    );
    sys.join(reader);

    let e = sys.eventfd_flags(0, EfdFlags::CLOEXEC).expect("eventfd");
    let start = sys.monotonic_now();
    let poster = {
        let sys2 = sys.clone();
        sys.spawn("poster", move || {
            sys2.nanosleep(ms(10)).expect("nanosleep");
            assert_eq!(sys2.write(e, &5u64.to_ne_bytes()), Ok(8));
        })
        .expect("spawn")
    };
    let mut buf = [0u8; 8];
    assert_eq!(
        sys.read(e, &mut buf),
        Ok(8),
        "a blocking eventfd read waits"
    );
    assert_eq!(u64::from_ne_bytes(buf), 5);
    assert!(
        sys.monotonic_now() - start >= ms(10),
        "read returned before the write"
    );
    sys.join(poster);
    for fd in [r, w, e] {
        sys.close(fd).expect("close");
    }
}

/// Blocking TCP: `connect` returns once connected (or with `ECONNREFUSED`), `accept` waits for
/// a connection, `read` waits for bytes, and `MSG_DONTWAIT` stays nonblocking.
pub fn blocking_tcp<S: Sys>(sys: &S) {
    let l = sys.socket(Domain::Inet, SockType::Stream).expect("socket");
    sys.bind(l, SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)))
        .expect("bind");
    sys.listen(l, 8).expect("listen");
    let at = sys.getsockname(l).expect("getsockname");
    make_blocking(sys, l);
    let server = {
        let sys2 = sys.clone();
        sys.spawn("server", move || {
            let (s, _) = sys2.accept4(l).expect("blocking accept");
            make_blocking(&sys2, s);
            let mut buf = [0u8; 5];
            assert_eq!(
                sys2.recvfrom(s, &mut buf, simkern::poller::sys::MsgFlags::DONTWAIT),
                Err(Errno::EAGAIN),
                "MSG_DONTWAIT does not wait"
            );
            let mut got = 0;
            while got < 5 {
                let n = sys2.read(s, &mut buf[got..]).expect("blocking read");
                assert!(n > 0, "EOF before the bytes");
                got += n;
            }
            assert_eq!(&buf, b"hello");
            sys2.close(s).expect("close");
        })
        .expect("spawn")
    };
    let c = sys.socket(Domain::Inet, SockType::Stream).expect("socket");
    make_blocking(sys, c);
    assert_eq!(
        sys.connect(c, at),
        Ok(()),
        "a blocking connect returns connected"
    );
    sys.nanosleep(ms(5)).expect("nanosleep");
    assert_eq!(sys.write(c, b"hello"), Ok(5));
    sys.join(server);
    sys.close(c).expect("close");

    // The listener is gone: a blocking connect to its port is refused, not EINPROGRESS.
    sys.close(l).expect("close");
    let c = sys.socket(Domain::Inet, SockType::Stream).expect("socket");
    make_blocking(sys, c);
    assert_eq!(sys.connect(c, at), Err(Errno::ECONNREFUSED));
    sys.close(c).expect("close");
}
