//! Scenario tests through the public API, one file per area. Each test drives a `Model` the
//! way a harness would and states what Linux does and why.

mod allowed;
mod epoll;
mod eventfd;
mod fd;
mod network;
mod pipe;
mod properties;
mod socket;
mod udp;
mod unix;

use crate::event::Event;
use crate::{Config, Ctl, Expect, Fd, Model, Op, Outcome, Port};

pub(super) fn model() -> Model {
    Model::new(Config::default())
}

/// Runs `op`, which must have exactly one allowed outcome, and returns it.
#[track_caller]
pub(super) fn run(m: &mut Model, op: Op) -> Outcome {
    let allowed = m.allowed(&op).unwrap_or_else(|e| panic!("{e}"));
    let outcome = allowed.only().cloned().unwrap_or_else(|| {
        panic!(
            "{op:?}: expected one outcome, Linux allows {allowed}\n{}",
            m.dump()
        )
    });
    m.observe(&op, &outcome).unwrap_or_else(|e| panic!("{e}"));
    outcome
}

#[track_caller]
pub(super) fn new_fd(m: &mut Model, op: Op) -> Fd {
    match run(m, op) {
        Outcome::Fd(fd) => fd,
        other => panic!("expected an fd, got {other:?}\n{}", m.dump()),
    }
}

#[track_caller]
pub(super) fn ok(m: &mut Model, op: Op) {
    assert_eq!(run(m, op), Outcome::Ok, "\n{}", m.dump());
}

#[track_caller]
pub(super) fn errno(m: &mut Model, op: Op) -> i32 {
    match run(m, op) {
        Outcome::Err(e) => e,
        other => panic!("expected an errno, got {other:?}\n{}", m.dump()),
    }
}

#[track_caller]
pub(super) fn bytes(m: &mut Model, op: Op) -> usize {
    match run(m, op) {
        Outcome::Bytes(n) => n,
        other => panic!("expected a byte count, got {other:?}\n{}", m.dump()),
    }
}

#[track_caller]
pub(super) fn observe(m: &mut Model, op: Op, outcome: Outcome) {
    m.observe(&op, &outcome).unwrap_or_else(|e| panic!("{e}"));
}

/// Whether the model would accept `outcome` for `op` (without running it).
#[track_caller]
pub(super) fn allows(m: &Model, op: &Op, outcome: &Outcome) -> bool {
    m.allowed(op)
        .unwrap_or_else(|e| panic!("{e}"))
        .contains(outcome)
}

pub(super) fn events(list: &[(u64, u32)]) -> Outcome {
    Outcome::Events(list.iter().map(|&(d, e)| Event::new(d, e)).collect())
}

/// The single ready-set shape `epoll_wait` allows now, as (data, masks, required).
#[track_caller]
pub(super) fn ready(m: &Model, epfd: Fd, maxevents: i32) -> Vec<(u64, Vec<u32>, bool)> {
    let op = Op::EpollWait { epfd, maxevents };
    let allowed = m.allowed(&op).unwrap_or_else(|e| panic!("{e}"));
    match allowed.expects() {
        [Expect::Ready { candidates, .. }] => candidates
            .iter()
            .map(|c| (c.data, c.masks.clone(), c.required))
            .collect(),
        other => panic!("expected one ready-set shape, got {other:?}\n{}", m.dump()),
    }
}

/// Waits on `epfd` and observes exactly `list`.
#[track_caller]
pub(super) fn wait(m: &mut Model, epfd: Fd, maxevents: i32, list: &[(u64, u32)]) {
    observe(m, Op::EpollWait { epfd, maxevents }, events(list));
}

pub(super) fn add(epfd: Fd, fd: Fd, events: u32) -> Op {
    Op::EpollCtl {
        epfd,
        op: Ctl::Add,
        fd,
        events,
        data: fd.0 as u64,
    }
}

pub(super) fn modify(epfd: Fd, fd: Fd, events: u32) -> Op {
    Op::EpollCtl {
        epfd,
        op: Ctl::Mod,
        fd,
        events,
        data: fd.0 as u64,
    }
}

/// A listener on `port` and a client connected to it, settled and accepted:
/// (listener, client, server side).
pub(super) fn connected(m: &mut Model, port: u16) -> (Fd, Fd, Fd) {
    let listener = new_fd(m, Op::Socket);
    ok(
        m,
        Op::Bind {
            fd: listener,
            port: Port(port),
        },
    );
    ok(
        m,
        Op::Listen {
            fd: listener,
            backlog: 16,
        },
    );
    let client = new_fd(m, Op::Socket);
    assert_eq!(
        errno(
            m,
            Op::Connect {
                fd: client,
                port: Port(port)
            }
        ),
        crate::errno::EINPROGRESS
    );
    ok(m, Op::Settle);
    let server = new_fd(m, Op::Accept { fd: listener });
    (listener, client, server)
}

/// A pipe: (read end, write end).
pub(super) fn pipe(m: &mut Model) -> (Fd, Fd) {
    match run(m, Op::Pipe) {
        Outcome::Pair(r, w) => (r, w),
        other => panic!("expected a pipe, got {other:?}"),
    }
}
