//! Deadlock and livelock are reported as such, with the seed that shows them.

use crate::signature;
use simkern::poller::sys::EpollEvent;
use simkern::poller::Sys;
use simkern::sim::{run, Config, SimSys, Stop};

#[test]
fn all_threads_waiting_with_nothing_pending_is_a_deadlock() {
    let outcome = run(&Config::new(3), || {
        let sys = SimSys;
        let epfd = sys.epoll_create().unwrap();
        let mut events = [EpollEvent::zeroed(); 4];
        // Nothing is registered and there is no timeout: nothing can ever wake this thread.
        let _ = sys.epoll_wait(epfd, &mut events, -1);
    });
    match &outcome.stop {
        Stop::Deadlock { parked } => assert_eq!(parked.len(), 1, "{parked:?}"),
        other => panic!("expected a deadlock, got {other:?}"),
    }
    assert_eq!(signature(&outcome.stop), "deadlock");
}

#[test]
fn two_threads_joining_each_other_through_a_third_is_a_deadlock_not_a_hang() {
    let outcome = run(&Config::new(4), || {
        let sys = SimSys;
        let (r, _w) = sys.pipe2().unwrap();
        let waiter = sys
            .spawn("waiter", move || {
                let epfd = SimSys.epoll_create().unwrap();
                let ev = EpollEvent::new(simkern::poller::sys::epoll::EPOLLIN, 1);
                SimSys
                    .epoll_ctl(epfd, simkern::poller::sys::EpollOp::Add, r, Some(ev))
                    .unwrap();
                let mut events = [EpollEvent::zeroed(); 1];
                let _ = SimSys.epoll_wait(epfd, &mut events, -1);
            })
            .unwrap();
        sys.join(waiter);
    });
    assert!(
        matches!(outcome.stop, Stop::Deadlock { .. }),
        "{:?}",
        outcome.stop
    );
}

#[test]
fn a_thread_that_never_blocks_is_a_livelock_at_the_step_budget() {
    let mut config = Config::new(5);
    config.step_budget = 10_000;
    let outcome = run(&config, || loop {
        SimSys.sched_point();
    });
    assert_eq!(outcome.stop, Stop::Livelock { steps: 10_000 });
    assert_eq!(signature(&outcome.stop), "livelock");
}

#[test]
fn a_panic_in_any_thread_is_the_runs_failure_with_its_message() {
    let outcome = run(&Config::new(6), || {
        let t = SimSys
            .spawn("doomed", || panic!("the code under test broke"))
            .unwrap();
        SimSys.join(t);
    });
    match &outcome.stop {
        Stop::Panic { message, .. } => assert_eq!(message, "the code under test broke"),
        other => panic!("expected a panic, got {other:?}"),
    }
}
