//! Where an injected `EINTR` lands: a signal interrupts only a call that waits, as on Linux
//! (`tcp_recvmsg` answers `EAGAIN` before it looks at pending signals when the socket is
//! nonblocking; `ep_poll` returns ready events, or 0 for a zero timeout, before it does).
//! Each case runs under a plan that gives the call `EINTR` every time, and counts what the
//! trace shows: a fault recorded is a fault the caller saw.

use simkern::poller::sys::{
    fd_flags::O_NONBLOCK, Domain, EpollEvent, EpollOp, Errno, Fcntl, Fd, PipeFlags, SockType,
};
use simkern::poller::Sys;
use simkern::sim::fault::{Plan, Rule};
use simkern::sim::trace::What;
use simkern::sim::{run, Config, Faults, SimSys};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

fn always(call: &str) -> Faults {
    Faults::Plan(
        Plan::from_rules(vec![Rule {
            call: call.into(),
            fault: "EINTR".into(),
            num: 1,
            den: 1,
            threads: Vec::new(),
        }])
        .unwrap(),
    )
}

/// Runs `body` under `faults`; its assertions are the test, and the count of `EINTR` faults
/// the trace recorded is returned.
fn faults_seen(faults: Faults, body: impl FnOnce() + 'static) -> usize {
    let mut config = Config::new(1);
    config.faults = faults;
    config.keep_events = true;
    let outcome = run(&config, body);
    assert!(outcome.passed(), "{:?}", outcome.stop);
    outcome
        .all_events
        .unwrap()
        .iter()
        .filter(|e| {
            matches!(
                e.what,
                What::Fault {
                    errno: Errno::EINTR,
                    ..
                }
            )
        })
        .count()
}

fn make_blocking(fd: Fd) {
    let fl = SimSys.fcntl(fd, Fcntl::GetFl).unwrap();
    SimSys.fcntl(fd, Fcntl::SetFl(fl & !O_NONBLOCK)).unwrap();
}

#[test]
fn a_nonblocking_read_is_never_interrupted_and_a_blocking_one_is_when_it_would_wait() {
    let seen = faults_seen(always("read"), || {
        let (r, w) = SimSys.pipe2_flags(PipeFlags::NONBLOCK).unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(
            SimSys.read(r, &mut buf),
            Err(Errno::EAGAIN),
            "empty: not ready"
        );
        assert_eq!(SimSys.write(w, b"ab"), Ok(2));
        assert_eq!(SimSys.read(r, &mut buf), Ok(2), "a ready read completes");
        make_blocking(r);
        assert_eq!(SimSys.read(r, &mut buf), Err(Errno::EINTR), "it would wait");
        assert_eq!(SimSys.write(w, b"c"), Ok(1));
        assert_eq!(
            SimSys.read(r, &mut buf),
            Ok(1),
            "data there: no wait to interrupt"
        );
    });
    assert_eq!(seen, 1);
}

#[test]
fn a_blocking_write_interrupted_after_queuing_part_returns_the_part() {
    let seen = faults_seen(always("write"), || {
        let (r, w) = SimSys.pipe2_flags(PipeFlags::CLOEXEC).unwrap();
        let _ = r;
        // More than the pipe holds: the write queues 64 KiB, then would wait for room.
        let big = vec![1u8; 100 * 1024];
        assert_eq!(SimSys.write(w, &big), Ok(64 * 1024));
        assert_eq!(
            SimSys.write(w, b"x"),
            Err(Errno::EINTR),
            "full: nothing queued"
        );
        let (_, w2) = SimSys.pipe2_flags(PipeFlags::NONBLOCK).unwrap();
        assert_eq!(
            SimSys.write(w2, &big),
            Ok(64 * 1024),
            "nonblocking: short, never EINTR"
        );
        assert_eq!(SimSys.write(w2, b"x"), Err(Errno::EAGAIN));
    });
    assert_eq!(seen, 2);
}

#[test]
fn epoll_wait_is_interrupted_only_when_it_would_sleep() {
    let seen = faults_seen(always("epoll_wait"), || {
        let ep = SimSys.epoll_create().unwrap();
        let (r, w) = SimSys.pipe2_flags(PipeFlags::NONBLOCK).unwrap();
        let ev = EpollEvent::new(simkern::poller::sys::epoll::EPOLLIN, 7);
        SimSys.epoll_ctl(ep, EpollOp::Add, r, Some(ev)).unwrap();
        let mut events = [EpollEvent::new(0, 0); 4];
        assert_eq!(SimSys.epoll_wait(ep, &mut events, 0), Ok(0), "zero timeout");
        assert_eq!(SimSys.epoll_wait(ep, &mut events, 10), Err(Errno::EINTR));
        assert_eq!(SimSys.epoll_wait(ep, &mut events, -1), Err(Errno::EINTR));
        assert_eq!(SimSys.write(w, b"a"), Ok(1));
        assert_eq!(SimSys.epoll_wait(ep, &mut events, -1), Ok(1), "ready first");
        assert_eq!(events[0].data(), 7);
    });
    assert_eq!(seen, 2);
}

#[test]
fn a_nonblocking_connect_and_accept_are_never_interrupted() {
    let faults = Faults::Plan(
        Plan::from_rules(
            ["connect", "accept4"]
                .into_iter()
                .map(|call| Rule {
                    call: call.into(),
                    fault: "EINTR".into(),
                    num: 1,
                    den: 1,
                    threads: Vec::new(),
                })
                .collect(),
        )
        .unwrap(),
    );
    let seen = faults_seen(faults, || {
        let any = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0));
        let l = SimSys.socket(Domain::Inet, SockType::Stream).unwrap();
        SimSys.bind(l, any).unwrap();
        SimSys.listen(l, 8).unwrap();
        let at = SimSys.getsockname(l).unwrap();
        assert_eq!(SimSys.accept4(l).map(|_| ()), Err(Errno::EAGAIN));
        let c = SimSys.socket(Domain::Inet, SockType::Stream).unwrap();
        assert_eq!(SimSys.connect(c, at), Err(Errno::EINPROGRESS));
        // A blocking connect is interrupted in its wait and goes on without the caller
        // (connect(2): EINTR, then EALREADY while in progress).
        let b = SimSys.socket(Domain::Inet, SockType::Stream).unwrap();
        make_blocking(b);
        assert_eq!(SimSys.connect(b, at), Err(Errno::EINTR));
    });
    assert_eq!(seen, 1);
}
