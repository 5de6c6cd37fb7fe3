//! eventfd through the model.

use super::*;
use crate::errno::{EAGAIN, EINVAL};
use crate::event::{EPOLLET, EPOLLIN, EPOLLOUT};

#[test]
fn an_eventfd_counts_writes_and_a_read_takes_the_whole_count() {
    let mut m = model();
    let e = new_fd(
        &mut m,
        Op::EventFd {
            init: 3,
            semaphore: false,
        },
    );
    assert_eq!(
        run(
            &mut m,
            Op::EventFdWrite {
                fd: e,
                value: 4,
                len: 8
            }
        ),
        Outcome::Bytes(8)
    );
    assert_eq!(
        run(&mut m, Op::EventFdRead { fd: e, len: 8 }),
        Outcome::Value(7)
    );
    assert_eq!(errno(&mut m, Op::EventFdRead { fd: e, len: 8 }), EAGAIN);
}

#[test]
fn a_semaphore_eventfd_hands_out_one_at_a_time() {
    let mut m = model();
    let e = new_fd(
        &mut m,
        Op::EventFd {
            init: 2,
            semaphore: true,
        },
    );
    assert_eq!(
        run(&mut m, Op::EventFdRead { fd: e, len: 8 }),
        Outcome::Value(1)
    );
    assert_eq!(
        run(&mut m, Op::EventFdRead { fd: e, len: 8 }),
        Outcome::Value(1)
    );
    assert_eq!(errno(&mut m, Op::EventFdRead { fd: e, len: 8 }), EAGAIN);
}

#[test]
fn eventfd_buffers_under_eight_bytes_and_the_value_u64_max_are_einval() {
    let mut m = model();
    let e = new_fd(
        &mut m,
        Op::EventFd {
            init: 1,
            semaphore: false,
        },
    );
    assert_eq!(errno(&mut m, Op::EventFdRead { fd: e, len: 4 }), EINVAL);
    assert_eq!(
        errno(
            &mut m,
            Op::EventFdWrite {
                fd: e,
                value: 1,
                len: 7
            }
        ),
        EINVAL
    );
    assert_eq!(
        errno(
            &mut m,
            Op::EventFdWrite {
                fd: e,
                value: u64::MAX,
                len: 8
            }
        ),
        EINVAL
    );
    let overflow = Op::EventFdWrite {
        fd: e,
        value: u64::MAX - 1,
        len: 8,
    };
    assert_eq!(
        errno(&mut m, overflow),
        EAGAIN,
        "1 + (2^64 - 2) would reach u64::MAX"
    );
}

#[test]
fn every_eventfd_write_is_a_new_edge_even_when_already_readable() {
    let mut m = model();
    let e = new_fd(
        &mut m,
        Op::EventFd {
            init: 0,
            semaphore: false,
        },
    );
    let ep = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(ep, e, EPOLLIN | EPOLLET));
    run(
        &mut m,
        Op::EventFdWrite {
            fd: e,
            value: 1,
            len: 8,
        },
    );
    wait(&mut m, ep, 8, &[(3, EPOLLIN)]);
    wait(&mut m, ep, 8, &[]);
    // The counter is still 1; writing 0 changes nothing but still wakes (eventfd_write).
    run(
        &mut m,
        Op::EventFdWrite {
            fd: e,
            value: 0,
            len: 8,
        },
    );
    assert_eq!(ready(&m, ep, 8), vec![(3, vec![EPOLLIN], true)]);
}

#[test]
fn eventfd_readiness_is_in_while_positive_and_out_below_the_maximum() {
    let mut m = model();
    let e = new_fd(
        &mut m,
        Op::EventFd {
            init: 0,
            semaphore: false,
        },
    );
    let ep = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(ep, e, EPOLLIN | EPOLLOUT));
    assert_eq!(ready(&m, ep, 8), vec![(3, vec![EPOLLOUT], true)]);
    run(
        &mut m,
        Op::EventFdWrite {
            fd: e,
            value: u64::MAX - 1,
            len: 8,
        },
    );
    assert_eq!(ready(&m, ep, 8), vec![(3, vec![EPOLLIN], true)]);
}

#[test]
fn generic_read_and_write_on_an_eventfd_are_outside_the_model() {
    let mut m = model();
    let e = new_fd(
        &mut m,
        Op::EventFd {
            init: 0,
            semaphore: false,
        },
    );
    assert!(m.check(&Op::Read { fd: e, len: 8 }).is_err());
    assert!(m.check(&Op::Write { fd: e, len: 8 }).is_err());
    let s = new_fd(&mut m, Op::Socket);
    assert!(m.check(&Op::EventFdRead { fd: s, len: 8 }).is_err());
}

#[test]
fn an_eventfd_write_longer_than_eight_bytes_is_einval_since_linux_6_6_or_takes_eight_before() {
    let mut m = model();
    let e = new_fd(
        &mut m,
        Op::EventFd {
            init: 0,
            semaphore: false,
        },
    );
    let long = Op::EventFdWrite {
        fd: e,
        value: 5,
        len: 16,
    };
    assert!(
        allows(&m, &long, &Outcome::Err(EINVAL)),
        "Linux 6.6 and later"
    );
    assert!(allows(&m, &long, &Outcome::Bytes(8)), "older kernels");
    observe(&mut m, long, Outcome::Err(EINVAL));
    assert_eq!(
        errno(&mut m, Op::EventFdRead { fd: e, len: 8 }),
        EAGAIN,
        "nothing added"
    );
    let bad_fd = Op::EventFdWrite {
        fd: Fd(9),
        value: 5,
        len: 16,
    };
    assert_eq!(
        errno(&mut m, bad_fd),
        crate::errno::EBADF,
        "EBADF comes first"
    );
}
