//! The oracles fed from traces: a stale delivery, a wakeup lost by time alone, fd leaks
//! judged only after the opt-in.

use super::*;
use simkern_poller::sys::Probe;

fn event(step: u64, thread: u32, what: What) -> Event {
    Event {
        step,
        thread: ThreadId(thread),
        time_ns: step * 1000,
        what,
    }
}

#[test]
fn a_late_event_reaching_a_reused_slot_is_judged_from_the_trace() {
    let mut o = Oracles::new();
    let probes = [
        Probe::OperatorCreated {
            handle: 0,
            fd: Fd(5),
        },
        Probe::OperatorFreed {
            handle: 0,
            fd: Fd(5),
        },
        Probe::OperatorCreated {
            handle: 0,
            fd: Fd(6),
        },
    ];
    for (i, p) in probes.into_iter().enumerate() {
        assert_eq!(o.observe(&event(i as u64, 1, What::Probe(p))), None);
    }
    let ready = What::Ready {
        data: 0,
        events: 4,
        source: Fd(5),
    };
    assert_eq!(o.observe(&event(4, 1, ready)), None);
    let wait = What::Syscall {
        call: Call::EpollWait,
        args: [3, 64, -1],
        result: 1,
    };
    assert_eq!(o.observe(&event(5, 1, wait)), None);
    let delivered = What::Probe(Probe::EventDelivered {
        handle: 0,
        fd: Fd(6),
        events: 4,
    });
    let v = o.observe(&event(6, 1, delivered)).expect("stale delivery");
    assert_eq!(v.oracle, "stale_delivery");
    assert!(
        v.message.starts_with("thread t1 at 0.006000 ms"),
        "{}",
        v.message
    );
    // The verdict names the fact's handle and fd, not words parsed from its message.
    assert_eq!(
        v.subjects,
        vec![Subject::Fd(1, 6), Subject::Handle(ThreadId(1), 0)]
    );
}

#[test]
fn a_wakeup_lost_by_time_alone_names_the_sleeping_loop() {
    let mut o = Oracles::new();
    let at = |ns: u64, thread: u32, what: What| Event {
        step: 0,
        thread: ThreadId(thread),
        time_ns: ns,
        what,
    };
    let sleep = What::Probe(Probe::LoopSleep {
        loop_id: 3,
        timeout_ms: -1,
    });
    let other = What::Probe(Probe::LoopSleep {
        loop_id: 9,
        timeout_ms: -1,
    });
    let wake = What::Probe(Probe::WakeRequested { loop_id: 3 });
    assert_eq!(o.observe(&at(0, 1, sleep)), None);
    assert_eq!(o.observe(&at(0, 3, other)), None);
    assert_eq!(o.observe(&at(1_000, 2, wake)), None);
    // Long past the bound, on an event that is no fact at all.
    let later = What::Syscall {
        call: Call::Close,
        args: [4, 0, 0],
        result: 0,
    };
    let v = o
        .observe(&at(10_000_000_000, 2, later))
        .expect("a lost wakeup");
    assert_eq!(v.oracle, "lost_wakeup");
    assert_eq!(v.subjects, vec![Subject::Loop(3)]);
}

#[test]
fn fd_leaks_are_judged_only_after_the_scenario_opts_in() {
    let mut quiet = Oracles::new();
    assert_eq!(quiet.finish(1, &[Fd(3)]), None);
    let mut promised = Oracles::new();
    let promise = What::Probe(Probe::User {
        name: EXPECT_NO_FDS_AT_END,
        a: 0,
        b: 0,
    });
    assert_eq!(promised.observe(&event(1, 0, promise)), None);
    let leak = promised.finish(1, &[Fd(3)]).expect("fd 3 leaked");
    assert_eq!(
        (leak.oracle, leak.subjects),
        ("fd_leak", vec![Subject::Fd(1, 3)])
    );
}
