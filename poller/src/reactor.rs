//! The operator registry: one `Operator` per registered fd, keyed by a generational handle.
//!
//! The handle (a `slotmap` key, version and index in one `u64`) is the epoll event's data, so
//! an event collected for an operator that has since been freed finds no operator — even when
//! its slot and its fd number have both been reused — and is dropped (netpoll's use-after-free
//! cannot happen here). Invariants:
//! - an fd is in the epoll interest list exactly while its operator is in the registry
//!   (`register` adds both; `deregister` removes from epoll *before* freeing the slot);
//! - readiness bits are set only by epoll events and cleared only by an I/O call that saw
//!   `EAGAIN` (or a short read), the edge-triggered contract.
//!
//! Registration is edge-triggered for `EPOLLIN | EPOLLOUT | EPOLLRDHUP` once, for the fd's
//! life: no `epoll_ctl` per wait, as in mio and tokio.

use crate::errno_policy::{self, Call};
use crate::sys::epoll::{EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP};
use crate::sys::{EpollEvent, EpollOp, Fd, Probe, Sys, SysResult};
use slotmap::{Key, KeyData, SlotMap};
use std::task::{Context, Poll, Waker};

slotmap::new_key_type! {
    /// Generational handle of an operator; its `u64` form is the epoll event data.
    pub struct OpKey;
}

impl OpKey {
    pub fn to_data(self) -> u64 {
        self.data().as_ffi()
    }
    pub fn from_data(data: u64) -> OpKey {
        KeyData::from_ffi(data).into()
    }
}

/// Which half of an fd a task waits on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Direction {
    Read,
    Write,
}

/// Readiness bits, as the poller tracks them.
pub mod ready {
    pub const READABLE: u8 = 1;
    pub const WRITABLE: u8 = 2;
    pub const READ_CLOSED: u8 = 4;
    pub const WRITE_CLOSED: u8 = 8;
    pub const ERROR: u8 = 16;
}

const INTEREST: u32 = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

struct Operator {
    fd: Fd,
    ready: u8,
    read_waker: Option<Waker>,
    write_waker: Option<Waker>,
}

pub(crate) struct Reactor<S: Sys> {
    sys: S,
    epfd: Fd,
    ops: SlotMap<OpKey, Operator>,
    pub(crate) stale_events_dropped: u64,
}

fn readiness_of(events: u32) -> u8 {
    let mut r = 0;
    if events & (EPOLLIN | EPOLLPRI) != 0 {
        r |= ready::READABLE;
    }
    if events & EPOLLOUT != 0 {
        r |= ready::WRITABLE;
    }
    if events & (EPOLLRDHUP | EPOLLHUP) != 0 {
        r |= ready::READ_CLOSED | ready::READABLE;
    }
    if events & EPOLLHUP != 0 {
        r |= ready::WRITE_CLOSED | ready::WRITABLE;
    }
    if events & EPOLLERR != 0 {
        // An error is reported to whoever looks next, reader or writer.
        r |= ready::ERROR | ready::READABLE | ready::WRITABLE;
    }
    r
}

impl<S: Sys> Reactor<S> {
    pub(crate) fn new(sys: S, epfd: Fd) -> Self {
        Reactor {
            sys,
            epfd,
            ops: SlotMap::with_key(),
            stale_events_dropped: 0,
        }
    }

    pub(crate) fn epfd(&self) -> Fd {
        self.epfd
    }

    pub(crate) fn len(&self) -> usize {
        self.ops.len()
    }

    /// Adds `fd` to epoll under a fresh handle. On failure nothing stays registered.
    pub(crate) fn register(&mut self, fd: Fd) -> SysResult<OpKey> {
        let key = self.ops.insert(Operator {
            fd,
            ready: 0,
            read_waker: None,
            write_waker: None,
        });
        let event = EpollEvent::new(INTEREST, key.to_data());
        if let Err(e) = self.sys.epoll_ctl(self.epfd, EpollOp::Add, fd, Some(event)) {
            self.ops.remove(key);
            return Err(e);
        }
        self.sys.probe(Probe::OperatorCreated {
            handle: key.to_data(),
            fd,
        });
        Ok(key)
    }

    /// Removes the operator: first from epoll, then from the registry.
    ///
    /// The order is the point: once this returns, no event for `key` can be collected any more
    /// and the slot may be reused. If `EPOLL_CTL_DEL` fails the caller still closes the fd,
    /// which (as the fd's only owner) removes it from epoll too; the error is returned so the
    /// caller can see it.
    pub(crate) fn deregister(&mut self, key: OpKey) -> SysResult<()> {
        let fd = self
            .ops
            .get(key)
            .expect("deregister of an unknown operator: double free of an IoSource?")
            .fd;
        let result = self.sys.epoll_ctl(self.epfd, EpollOp::Del, fd, None);
        match result {
            Ok(()) => self.sys.probe(Probe::OperatorDeregistered {
                handle: key.to_data(),
                fd,
            }),
            Err(e) => {
                errno_policy::handle(&self.sys, Call::Other("epoll_ctl"), e);
            }
        }
        result
    }

    /// Frees the slot of an operator already deregistered (or whose fd is already closed).
    pub(crate) fn free(&mut self, key: OpKey) {
        let op = self.ops.remove(key).expect("free of an unknown operator");
        self.sys.probe(Probe::OperatorFreed {
            handle: key.to_data(),
            fd: op.fd,
        });
        // Wake anyone still parked so they observe the cancellation instead of hanging.
        for waker in [op.read_waker, op.write_waker].into_iter().flatten() {
            waker.wake();
        }
    }

    /// Hands one epoll event to its operator; returns false when the event was stale.
    pub(crate) fn dispatch(&mut self, data: u64, events: u32) -> bool {
        let key = OpKey::from_data(data);
        let Some(op) = self.ops.get_mut(key) else {
            self.stale_events_dropped += 1;
            self.sys.probe(Probe::EventDroppedStale {
                handle: data,
                events,
            });
            return false;
        };
        self.sys.probe(Probe::EventDelivered {
            handle: data,
            fd: op.fd,
            events,
        });
        let r = readiness_of(events);
        op.ready |= r;
        // Wake in place: the waker stays in its slot, so the task's next `poll_ready` finds it
        // `will_wake`-equal and skips cloning it again.
        if r & (ready::READABLE | ready::READ_CLOSED | ready::ERROR) != 0 {
            if let Some(w) = &op.read_waker {
                w.wake_by_ref();
            }
        }
        if r & (ready::WRITABLE | ready::WRITE_CLOSED | ready::ERROR) != 0 {
            if let Some(w) = &op.write_waker {
                w.wake_by_ref();
            }
        }
        true
    }

    /// Ready when the direction's bit (or a close/error bit) is set; otherwise parks `cx`.
    pub(crate) fn poll_ready(
        &mut self,
        key: OpKey,
        dir: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<u8> {
        let op = self
            .ops
            .get_mut(key)
            .expect("poll_ready on a freed operator");
        let mask = match dir {
            Direction::Read => ready::READABLE | ready::READ_CLOSED | ready::ERROR,
            Direction::Write => ready::WRITABLE | ready::WRITE_CLOSED | ready::ERROR,
        };
        if op.ready & mask != 0 {
            return Poll::Ready(op.ready);
        }
        let slot = match dir {
            Direction::Read => &mut op.read_waker,
            Direction::Write => &mut op.write_waker,
        };
        match slot {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Clears a readiness bit after the I/O call said `EAGAIN` (or a read came back short).
    /// Close and error bits stay: they are final.
    pub(crate) fn clear_ready(&mut self, key: OpKey, dir: Direction) {
        let op = self
            .ops
            .get_mut(key)
            .expect("clear_ready on a freed operator");
        op.ready &= !match dir {
            Direction::Read => ready::READABLE,
            Direction::Write => ready::WRITABLE,
        };
    }
}
