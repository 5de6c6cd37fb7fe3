use super::*;

fn run(facts: &[Fact]) -> Result<(), String> {
    let mut o = StaleDelivery::default();
    for f in facts {
        o.observe(At::new(0, 2), f)?;
    }
    Ok(())
}

#[test]
fn a_late_event_for_a_freed_operator_handed_to_the_slots_new_owner_is_caught() {
    // netpoll: slot 3 for fd 7, freed on cancel without DEL; slot 3 reused by fd 8; the
    // late EPOLLOUT of fd 7 comes with data 3.
    let err = run(&[
        Fact::OperatorCreated { handle: 3, fd: 7 },
        Fact::OperatorFreed { handle: 3, fd: 7 },
        Fact::OperatorCreated { handle: 3, fd: 8 },
        Fact::EpollReady {
            data: 3,
            events: 4,
            source_fd: 7,
        },
        Fact::EpollWaitReturned { result: 1 },
        Fact::EventDelivered {
            handle: 3,
            fd: 8,
            events: 4,
        },
    ])
    .unwrap_err();
    assert!(err.contains("for fd 7 with data 3"), "{err}");
    assert!(err.contains("operator of fd 8"), "{err}");
}

#[test]
fn an_event_delivered_to_a_freed_handle_is_caught() {
    let err = run(&[
        Fact::OperatorCreated { handle: 3, fd: 7 },
        Fact::OperatorFreed { handle: 3, fd: 7 },
        Fact::EventDelivered {
            handle: 3,
            fd: 7,
            events: 1,
        },
    ])
    .unwrap_err();
    assert!(err.contains("is not live"), "{err}");
}

#[test]
fn deregister_then_free_then_a_dropped_stale_event_is_clean() {
    // The poller: generational handles; the late event carries the old handle and is dropped.
    run(&[
        Fact::OperatorCreated {
            handle: 1 << 32 | 3,
            fd: 7,
        },
        Fact::EpollReady {
            data: 1 << 32 | 3,
            events: 4,
            source_fd: 7,
        },
        Fact::EpollWaitReturned { result: 1 },
        Fact::EventDelivered {
            handle: 1 << 32 | 3,
            fd: 7,
            events: 4,
        },
        Fact::OperatorDeregistered {
            handle: 1 << 32 | 3,
            fd: 7,
        },
        Fact::OperatorFreed {
            handle: 1 << 32 | 3,
            fd: 7,
        },
        Fact::OperatorCreated {
            handle: 2 << 32 | 3,
            fd: 7,
        },
        Fact::EpollReady {
            data: 1 << 32 | 3,
            events: 4,
            source_fd: 7,
        },
        Fact::EpollWaitReturned { result: 1 },
        Fact::EventDroppedStale {
            handle: 1 << 32 | 3,
        },
    ])
    .unwrap();
}

#[test]
fn a_new_harvest_forgets_the_last_one() {
    // Handle 3 is fd 8's; an old harvest's event from fd 7 must not be matched to a delivery
    // of a later harvest that really came from fd 8.
    run(&[
        Fact::OperatorCreated { handle: 3, fd: 8 },
        Fact::EpollReady {
            data: 3,
            events: 4,
            source_fd: 7,
        },
        Fact::EpollWaitReturned { result: 1 },
        Fact::EpollReady {
            data: 3,
            events: 1,
            source_fd: 8,
        },
        Fact::EpollWaitReturned { result: 1 },
        Fact::EventDelivered {
            handle: 3,
            fd: 8,
            events: 1,
        },
    ])
    .unwrap();
}

#[test]
fn double_free_and_double_deregistration_are_caught() {
    assert!(run(&[
        Fact::OperatorCreated { handle: 1, fd: 5 },
        Fact::OperatorFreed { handle: 1, fd: 5 },
        Fact::OperatorFreed { handle: 1, fd: 5 },
    ])
    .unwrap_err()
    .contains("freed twice"));
    assert!(run(&[
        Fact::OperatorCreated { handle: 1, fd: 5 },
        Fact::OperatorDeregistered { handle: 1, fd: 5 },
        Fact::OperatorDeregistered { handle: 1, fd: 5 },
    ])
    .unwrap_err()
    .contains("deregistered twice"));
}

#[test]
fn handles_sharing_an_index_or_beyond_the_dense_range_are_kept_apart() {
    let mut t = OpTable::default();
    let (a, b, far) = (1 << 32 | 7, 2 << 32 | 7, 1 << 40);
    t.set(a, Some(Op::Live { fd: 1 }));
    t.set(b, Some(Op::Live { fd: 2 }));
    t.set(far, Some(Op::Live { fd: 3 }));
    assert_eq!(t.get(a), Some(Op::Live { fd: 1 }));
    assert_eq!(t.get(b), Some(Op::Live { fd: 2 }));
    assert_eq!(t.get(far), Some(Op::Live { fd: 3 }));
    t.set(a, None);
    assert_eq!(t.get(a), None);
    assert_eq!(t.get(b), Some(Op::Live { fd: 2 }));
    t.set(b, Some(Op::Deregistered { fd: 2 }));
    assert_eq!(t.get(b), Some(Op::Deregistered { fd: 2 }));
    t.set(b, None);
    assert_eq!(t.get(b), None);
}

#[test]
fn handles_of_different_threads_are_different_operators() {
    let mut o = StaleDelivery::default();
    o.observe(At::new(0, 1), &Fact::OperatorCreated { handle: 1, fd: 5 })
        .unwrap();
    o.observe(At::new(0, 2), &Fact::OperatorCreated { handle: 1, fd: 6 })
        .unwrap();
}
