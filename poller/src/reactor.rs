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
    debug_assert!(
        (r & (ready::READ_CLOSED | ready::ERROR) == 0 || r & ready::READABLE != 0)
            && (r & (ready::WRITE_CLOSED | ready::ERROR) == 0 || r & ready::WRITABLE != 0),
        "a close or an error without the readiness of its half: {r:#x} from {events:#x}"
    );
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
        // `will_wake`-equal and skips cloning it again. A close or an error always comes with
        // the readable/writable bit of the half it concerns (readiness_of), so those two bits
        // alone say whom to wake.
        if r & ready::READABLE != 0 {
            if let Some(w) = &op.read_waker {
                w.wake_by_ref();
            }
        }
        if r & ready::WRITABLE != 0 {
            if let Some(w) = &op.write_waker {
                w.wake_by_ref();
            }
        }
        true
    }

    /// Ready when the direction's bit (or its close bit) is set; otherwise parks `cx`.
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
        // An error needs no bit of its own here: it arrives with both directions' bits and
        // leaves with either of them (`clear_ready`), so while it is set both are.
        debug_assert!(
            op.ready & ready::ERROR == 0
                || op.ready & (ready::READABLE | ready::WRITABLE)
                    == ready::READABLE | ready::WRITABLE,
            "an error bit without both directions' bits: {:#x}",
            op.ready
        );
        let mask = match dir {
            Direction::Read => ready::READABLE | ready::READ_CLOSED,
            Direction::Write => ready::WRITABLE | ready::WRITE_CLOSED,
        };
        if op.ready & mask != 0 {
            return Poll::Ready(op.ready);
        }
        let slot = match dir {
            Direction::Read => &mut op.read_waker,
            Direction::Write => &mut op.write_waker,
        };
        // `Waker::clone_from` keeps the stored waker when it would wake the same task.
        match slot {
            Some(w) => w.clone_from(cx.waker()),
            None => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Clears a readiness bit after the I/O call said `EAGAIN` (or a read came back short),
    /// and the error bit with it. Close bits stay: a hung-up socket answers every later call
    /// at once (0 or `EPIPE`), never `EAGAIN`. An error does not stay: the call that reports
    /// it consumes it (`sk_err` is read and cleared), so a call that then says `EAGAIN` has
    /// none left to report, and a new error is a new `EPOLLERR` edge. A kept error bit made
    /// every later wait return at once: a connected UDP socket's reader, after its one
    /// `ECONNREFUSED`, spun on `EAGAIN` without ever waiting.
    pub(crate) fn clear_ready(&mut self, key: OpKey, dir: Direction) {
        let op = self
            .ops
            .get_mut(key)
            .expect("clear_ready on a freed operator");
        op.ready &= !(ready::ERROR
            | match dir {
                Direction::Read => ready::READABLE,
                Direction::Write => ready::WRITABLE,
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counting_waker::Counting;
    use crate::sys::linux::LinuxSys;

    /// Which parked tasks one epoll event wakes, and what each then sees.
    struct Woken {
        reader: bool,
        writer: bool,
        ready: u8,
    }

    /// A reader and a writer parked on one fd (a real eventfd on a real epoll), then one event
    /// with `events` for it.
    fn deliver(events: u32) -> Woken {
        let sys = LinuxSys;
        let epfd = sys.epoll_create().expect("epoll_create");
        let fd = sys.eventfd(0, false).expect("eventfd");
        let mut reactor = Reactor::new(sys, epfd);
        let key = reactor.register(fd).expect("register");
        let ((reader, rw), (writer, ww)) = (Counting::waker(), Counting::waker());
        let pending = |r: &mut Reactor<LinuxSys>, dir, w| {
            r.poll_ready(key, dir, &mut Context::from_waker(w))
                .is_pending()
        };
        assert!(
            pending(&mut reactor, Direction::Read, &rw),
            "nothing reported yet"
        );
        assert!(
            pending(&mut reactor, Direction::Write, &ww),
            "nothing reported yet"
        );
        assert!(reactor.dispatch(key.to_data(), events), "a live operator");
        let ready = reactor.ops[key].ready;
        let woken = Woken {
            reader: reader.wakes() > 0,
            writer: writer.wakes() > 0,
            ready,
        };
        // A woken task's next poll must find it ready, or it would park again and hang.
        assert_eq!(
            !pending(&mut reactor, Direction::Read, &rw),
            woken.reader,
            "events {events:#x}: the reader's wake and its next poll disagree"
        );
        assert_eq!(
            !pending(&mut reactor, Direction::Write, &ww),
            woken.writer,
            "events {events:#x}: the writer's wake and its next poll disagree"
        );
        reactor.deregister(key).expect("EPOLL_CTL_DEL");
        reactor.free(key);
        sys.close(fd).expect("close");
        sys.close(epfd).expect("close");
        woken
    }

    use ready::{ERROR, READABLE, READ_CLOSED, WRITABLE, WRITE_CLOSED};

    /// Linux's `epoll_wait` may report any of these alone or together (`EPOLLERR` alone on a
    /// socket whose pending error is all there is, e.g. a refused connect on some kernels;
    /// `EPOLLHUP` with `EPOLLERR` after an RST). Whoever looks next must see an error or a
    /// hang-up, reader or writer: a task parked on the other half would otherwise sleep forever.
    #[test]
    fn each_epoll_event_wakes_the_half_it_concerns_and_an_error_wakes_both() {
        let table: [(u32, bool, bool, u8); 11] = [
            (EPOLLIN, true, false, READABLE),
            (EPOLLPRI, true, false, READABLE),
            (EPOLLOUT, false, true, WRITABLE),
            (EPOLLRDHUP, true, false, READ_CLOSED | READABLE),
            (
                EPOLLHUP,
                true,
                true,
                READ_CLOSED | READABLE | WRITE_CLOSED | WRITABLE,
            ),
            (EPOLLERR, true, true, ERROR | READABLE | WRITABLE),
            (EPOLLIN | EPOLLOUT, true, true, READABLE | WRITABLE),
            (EPOLLIN | EPOLLRDHUP, true, false, READABLE | READ_CLOSED),
            (
                EPOLLOUT | EPOLLHUP,
                true,
                true,
                READ_CLOSED | READABLE | WRITE_CLOSED | WRITABLE,
            ),
            (
                EPOLLIN | EPOLLOUT | EPOLLERR,
                true,
                true,
                ERROR | READABLE | WRITABLE,
            ),
            (
                EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP | EPOLLERR,
                true,
                true,
                READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED | ERROR,
            ),
        ];
        for (events, reader, writer, ready) in table {
            let woken = deliver(events);
            assert_eq!(
                (woken.reader, woken.writer, woken.ready),
                (reader, writer, ready),
                "events {events:#x}: (reader woken, writer woken, readiness bits)"
            );
        }
    }

    #[test]
    fn a_reader_parked_on_a_socket_that_reports_only_epollerr_wakes_and_sees_the_error() {
        let woken = deliver(EPOLLERR);
        assert!(woken.reader, "EPOLLERR alone left the parked reader asleep");
        assert_ne!(
            woken.ready & ERROR,
            0,
            "the reader woke without the error bit"
        );
    }

    #[test]
    fn an_event_for_a_freed_operator_is_dropped_and_counted() {
        let sys = LinuxSys;
        let epfd = sys.epoll_create().expect("epoll_create");
        let fd = sys.eventfd(0, false).expect("eventfd");
        let mut reactor = Reactor::new(sys, epfd);
        let key = reactor.register(fd).expect("register");
        assert_eq!(reactor.len(), 1);
        reactor.deregister(key).expect("EPOLL_CTL_DEL");
        reactor.free(key);
        assert_eq!(reactor.len(), 0);
        assert!(
            !reactor.dispatch(key.to_data(), EPOLLIN),
            "a stale handle was delivered"
        );
        assert_eq!(reactor.stale_events_dropped, 1);
        sys.close(fd).expect("close");
        sys.close(epfd).expect("close");
    }

    /// A waiter that gave up (a read under a timeout, dropped) must not keep the slot: the
    /// task that parks next on the same half is the one the event wakes.
    #[test]
    fn the_latest_waiter_on_a_half_is_the_one_woken() {
        let sys = LinuxSys;
        let epfd = sys.epoll_create().expect("epoll_create");
        let fd = sys.eventfd(0, false).expect("eventfd");
        let mut reactor = Reactor::new(sys, epfd);
        let key = reactor.register(fd).expect("register");
        let ((gone, gone_waker), (next, next_waker)) = (Counting::waker(), Counting::waker());
        for waker in [&gone_waker, &next_waker] {
            let mut cx = Context::from_waker(waker);
            assert!(reactor
                .poll_ready(key, Direction::Read, &mut cx)
                .is_pending());
        }
        assert!(reactor.dispatch(key.to_data(), EPOLLIN), "a live operator");
        assert_eq!(next.wakes(), 1, "the task parked last was not woken");
        assert_eq!(gone.wakes(), 0, "a replaced waker was woken");
        reactor.deregister(key).expect("EPOLL_CTL_DEL");
        reactor.free(key);
        sys.close(fd).expect("close");
        sys.close(epfd).expect("close");
    }
}
