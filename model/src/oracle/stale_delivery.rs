//! `stale_delivery`: an epoll event reaches the wrong operator.
//!
//! netpoll's crash: a dial's operator was freed when its wait was cancelled, while its fd was
//! still in the epoll interest list; the slot was reused, and a late event for the old fd was
//! handed to whatever lived in the slot. Two facts expose it:
//! - an event delivered to a handle that is not a live operator (freed, or never created);
//! - an event delivered to a live operator whose fd is not the fd the kernel produced the
//!   event for (the handle in the epoll data was reused while the old fd was still registered
//!   under it). The kernel's truth is the `EpollReady` facts of the thread's last harvest,
//!   matched to deliveries by data, first come first served.
//!
//! State per `(thread, handle)`: absent (never created, or freed) → `Live` → `Deregistered` →
//! absent. Also refused: deregistering or freeing an operator twice.

use super::{At, Fact};
use std::collections::BTreeMap;

pub const NAME: &str = "stale_delivery";

/// An operator's lifecycle state (absent = not live).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Op {
    /// Registered with epoll under its handle.
    Live { fd: i32 },
    /// Out of the interest list, slot not yet freed (events already harvested may still come).
    Deregistered { fd: i32 },
}

/// One event of a thread's last `epoll_wait` harvest.
#[derive(Copy, Clone, Debug)]
struct Ready {
    data: u64,
    source_fd: i32,
    delivered: bool,
}

/// A thread's last harvest.
#[derive(Default)]
struct Harvest {
    events: Vec<Ready>,
    /// Its `epoll_wait` returned: the next `EpollReady` starts a new harvest.
    complete: bool,
}

/// Handles whose low 32 bits are below this live in a vector slot (a slab's or slotmap's
/// index is the low half of its handle); others, and a second live handle on the same index,
/// in a map. This oracle sees every delivered event, so its lookup is kept off the tree.
const DENSE_INDEXES: u64 = 1 << 16;

/// One thread's operators by handle.
#[derive(Default)]
struct OpTable {
    dense: Vec<Option<(u64, Op)>>,
    sparse: BTreeMap<u64, Op>,
}

impl OpTable {
    fn index(handle: u64) -> Option<usize> {
        let i = handle & 0xffff_ffff;
        (i < DENSE_INDEXES).then_some(i as usize)
    }

    fn get(&self, handle: u64) -> Option<Op> {
        if let Some(Some((h, op))) = Self::index(handle).and_then(|i| self.dense.get(i)) {
            if *h == handle {
                return Some(*op);
            }
        }
        self.sparse.get(&handle).copied()
    }

    fn set(&mut self, handle: u64, op: Option<Op>) {
        if let Some(i) = Self::index(handle) {
            if self.dense.len() <= i {
                self.dense.resize(i + 1, None);
            }
            match (&mut self.dense[i], op) {
                (Some((h, slot)), Some(op)) if *h == handle => {
                    *slot = op;
                    return;
                }
                (Some((h, _)), None) if *h == handle => {
                    self.dense[i] = None;
                    return;
                }
                (empty @ None, Some(op)) if !self.sparse.contains_key(&handle) => {
                    *empty = Some((handle, op));
                    return;
                }
                _ => {}
            }
        }
        match op {
            Some(op) => {
                self.sparse.insert(handle, op);
            }
            None => {
                self.sparse.remove(&handle);
            }
        }
    }
}

/// One thread's operators and last harvest.
#[derive(Default)]
struct Thread {
    ops: OpTable,
    harvest: Harvest,
}

/// Per thread, indexed by thread id (ids are small and dense).
#[derive(Default)]
pub struct StaleDelivery {
    threads: Vec<Thread>,
}

/// What happens to one operator.
#[derive(Copy, Clone, Debug)]
enum Step {
    Created { fd: i32 },
    Deregistered { fd: i32 },
    Freed { fd: i32 },
    Delivered { fd: i32, events: u32 },
    DroppedStale,
}

/// The operator lifecycle table: the state after `step`, or why `step` is impossible.
fn transition(handle: u64, from: Option<Op>, step: Step) -> Result<Option<Op>, String> {
    match (from, step) {
        (None, Step::Created { fd }) => Ok(Some(Op::Live { fd })),
        // Created again while still live: its loop went away without freeing it (a runtime
        // dropped before its fds only closes them), and a new loop on the thread numbers its
        // operators from the start. If the old fd were still registered under this data, its
        // next event would be caught by the source check below.
        (Some(Op::Live { .. } | Op::Deregistered { .. }), Step::Created { fd }) => {
            Ok(Some(Op::Live { fd }))
        }
        (Some(Op::Live { fd: live }), Step::Deregistered { fd }) if live == fd => {
            Ok(Some(Op::Deregistered { fd }))
        }
        (Some(Op::Live { fd: live }), Step::Deregistered { fd }) => Err(format!(
            "handle {handle} deregistered as fd {fd}, but it is the operator of fd {live}"
        )),
        (Some(Op::Deregistered { .. }), Step::Deregistered { fd }) => Err(format!(
            "operator {handle} (fd {fd}) deregistered twice: a double free of its owner?"
        )),
        (None, Step::Deregistered { fd }) => Err(format!(
            "handle {handle} (fd {fd}) deregistered, but it is not a live operator (freed, or \
             never registered)"
        )),
        (Some(Op::Live { .. } | Op::Deregistered { .. }), Step::Freed { .. }) => Ok(None),
        (None, Step::Freed { fd }) => Err(format!(
            "handle {handle} (fd {fd}) freed, but it is not a live operator: freed twice?"
        )),
        (
            Some(op @ (Op::Live { fd: live } | Op::Deregistered { fd: live })),
            Step::Delivered { fd, .. },
        ) if live == fd => Ok(Some(op)),
        (
            Some(Op::Live { fd: live } | Op::Deregistered { fd: live }),
            Step::Delivered { fd, .. },
        ) => Err(format!(
            "an event for handle {handle} was handed to fd {fd}, but handle {handle} is the \
                 operator of fd {live}"
        )),
        (None, Step::Delivered { fd, events }) => Err(format!(
            "event {events:#x} with handle {handle} was handed to an operator (fd {fd}), but \
             handle {handle} is not live: it was freed while epoll could still report it. Likely \
             cause: the operator was freed without EPOLL_CTL_DEL first, and handles are not \
             generational, so a stale event reached a recycled slot"
        )),
        // A stale event dropped is the fix working; nothing changes.
        (op, Step::DroppedStale) => Ok(op),
    }
}

impl StaleDelivery {
    fn thread(&mut self, thread: u32) -> &mut Thread {
        let i = thread as usize;
        if self.threads.len() <= i {
            self.threads.resize_with(i + 1, Thread::default);
        }
        &mut self.threads[i]
    }

    pub fn observe(&mut self, at: At, fact: &Fact) -> Result<(), String> {
        let (handle, step) = match *fact {
            Fact::EpollReady {
                data, source_fd, ..
            } => {
                let h = &mut self.thread(at.thread).harvest;
                if h.complete {
                    h.events.clear();
                    h.complete = false;
                }
                h.events.push(Ready {
                    data,
                    source_fd,
                    delivered: false,
                });
                return Ok(());
            }
            Fact::EpollWaitReturned { result } => {
                let h = &mut self.thread(at.thread).harvest;
                if result <= 0 {
                    h.events.clear();
                }
                h.complete = true;
                return Ok(());
            }
            Fact::OperatorCreated { handle, fd } => (handle, Step::Created { fd }),
            Fact::OperatorDeregistered { handle, fd } => (handle, Step::Deregistered { fd }),
            Fact::OperatorFreed { handle, fd } => (handle, Step::Freed { fd }),
            Fact::EventDelivered { handle, fd, events } => (handle, Step::Delivered { fd, events }),
            Fact::EventDroppedStale { handle } => (handle, Step::DroppedStale),
            _ => return Ok(()),
        };
        let ops = &mut self.thread(at.thread).ops;
        let from = ops.get(handle);
        let to = transition(handle, from, step)?;
        if to != from {
            ops.set(handle, to);
        }
        if let Step::Delivered { fd, events } = step {
            self.check_source(at.thread, handle, fd, events)?;
        }
        Ok(())
    }

    /// The delivered event must come from the fd it was delivered to: the first undelivered
    /// event of the harvest with that data says which fd produced it. No such event (the code
    /// delivered something the kernel did not report, or the facts come without kernel truth)
    /// is not judged here.
    fn check_source(
        &mut self,
        thread: u32,
        handle: u64,
        fd: i32,
        events: u32,
    ) -> Result<(), String> {
        let h = &mut self.thread(thread).harvest;
        let Some(ready) = h
            .events
            .iter_mut()
            .find(|r| r.data == handle && !r.delivered)
        else {
            return Ok(());
        };
        ready.delivered = true;
        if ready.source_fd == fd {
            return Ok(());
        }
        Err(format!(
            "epoll reported event {events:#x} for fd {} with data {handle}, and the code handed \
             it to the operator of fd {fd}, which now holds handle {handle}. Likely cause: the \
             operator of fd {} was freed without EPOLL_CTL_DEL while its fd stayed open, and its \
             slot (handle {handle}) was reused by fd {fd}; handles must be generational and \
             deregistration must come before the free",
            ready.source_fd, ready.source_fd
        ))
    }
}

#[cfg(test)]
mod tests;
