//! The network's freedom: before `Settle`, any prefix of the traffic may have arrived.

use super::*;
use crate::errno::*;
use crate::event::{EPOLLIN, EPOLLOUT};

#[test]
fn before_settle_a_connection_may_or_may_not_be_acceptable_yet() {
    let mut m = model();
    let l = new_fd(&mut m, Op::Socket);
    ok(
        &mut m,
        Op::Bind {
            fd: l,
            port: Port(0),
        },
    );
    ok(&mut m, Op::Listen { fd: l, backlog: 4 });
    let c = new_fd(&mut m, Op::Socket);
    assert_eq!(
        errno(
            &mut m,
            Op::Connect {
                fd: c,
                port: Port(0)
            }
        ),
        EINPROGRESS
    );
    let accept = Op::Accept { fd: l };
    assert!(allows(&m, &accept, &Outcome::Err(EAGAIN)));
    assert!(allows(&m, &accept, &Outcome::Fd(Fd(5))));
    observe(&mut m, accept.clone(), Outcome::Err(EAGAIN));
    ok(&mut m, Op::Settle);
    assert_eq!(run(&mut m, accept), Outcome::Fd(Fd(5)));
}

#[test]
fn observing_an_early_accept_tells_the_model_the_client_is_connected() {
    let mut m = model();
    let l = new_fd(&mut m, Op::Socket);
    ok(
        &mut m,
        Op::Bind {
            fd: l,
            port: Port(0),
        },
    );
    ok(&mut m, Op::Listen { fd: l, backlog: 4 });
    let c = new_fd(&mut m, Op::Socket);
    errno(
        &mut m,
        Op::Connect {
            fd: c,
            port: Port(0),
        },
    );
    let again = Op::Connect {
        fd: c,
        port: Port(0),
    };
    assert!(allows(&m, &again, &Outcome::Err(EALREADY)));
    observe(&mut m, Op::Accept { fd: l }, Outcome::Fd(Fd(5)));
    // The child exists only after the client got the SYN-ACK: no state with EALREADY is left.
    ok(&mut m, again);
}

#[test]
fn before_settle_a_read_sees_none_or_some_of_the_writes_in_order() {
    let mut m = model();
    let (_, c, s) = connected(&mut m, 0);
    bytes(&mut m, Op::Write { fd: c, len: 10 });
    bytes(&mut m, Op::Write { fd: c, len: 20 });
    let read = Op::Read { fd: s, len: 100 };
    for outcome in [Outcome::Err(EAGAIN), Outcome::Bytes(10), Outcome::Bytes(30)] {
        assert!(allows(&m, &read, &outcome), "{outcome:?}");
    }
    assert!(
        !allows(&m, &read, &Outcome::Bytes(20)),
        "FIFO: not the second write alone"
    );
    observe(&mut m, read.clone(), Outcome::Bytes(10));
    ok(&mut m, Op::Settle);
    assert_eq!(run(&mut m, read), Outcome::Bytes(20));
}

#[test]
fn closing_while_data_is_in_flight_may_reset_or_finish_the_connection() {
    let mut m = model();
    let (_, c, s) = connected(&mut m, 0);
    bytes(&mut m, Op::Write { fd: c, len: 5 });
    ok(&mut m, Op::Close { fd: s });
    ok(&mut m, Op::Settle);
    // Data already there at close: RST, ECONNRESET. Data still in flight: FIN first (EOF),
    // then the data meets a closed socket and draws a RST (EPIPE in CLOSE_WAIT, not shown
    // by read after EOF).
    let read = Op::Read { fd: c, len: 1 };
    assert!(allows(&m, &read, &Outcome::Err(ECONNRESET)));
    assert!(allows(&m, &read, &Outcome::Bytes(0)));
    observe(&mut m, read, Outcome::Bytes(0));
    assert_eq!(errno(&mut m, Op::Write { fd: c, len: 1 }), EPIPE);
}

#[test]
fn readiness_before_settle_is_a_set_of_ready_sets() {
    let mut m = model();
    let (_, c, s) = connected(&mut m, 0);
    let ep = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(ep, s, EPOLLIN));
    bytes(&mut m, Op::Write { fd: c, len: 1 });
    let op = Op::EpollWait {
        epfd: ep,
        maxevents: 4,
    };
    assert!(allows(&m, &op, &events(&[])));
    assert!(allows(&m, &op, &events(&[(5, EPOLLIN)])));
    assert!(
        !allows(&m, &op, &events(&[(5, EPOLLIN | EPOLLOUT)])),
        "OUT was not asked"
    );
    observe(&mut m, op.clone(), events(&[(5, EPOLLIN)]));
    // Once seen, the data is there: level-triggered, it stays reported.
    assert_eq!(ready(&m, ep, 4), vec![(5, vec![EPOLLIN], true)]);
}
