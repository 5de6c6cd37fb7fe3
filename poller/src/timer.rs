//! Timers: a queue keyed `(deadline, seq)`, each entry owned by the object that armed it.
//!
//! Two faces, one queue:
//! - `Sleep` (a future) arms on first poll and cancels in `Drop`: a task that is dropped
//!   mid-sleep leaves nothing armed.
//! - `Timer` (a callback for an `Owner`) cancels in `Drop`; an object that holds its `Timer`
//!   cannot outlive-cancel it, which is exactly the libwebsockets bug made impossible.
//!   `Timer::detach` leaves a timer armed on purpose and is the only way to do so.
//!
//! Deadlines are `Duration`s on `Sys::monotonic_now`. Ties fire in arming order (`seq`), so the
//! order is deterministic under the simulator.

use crate::runtime::Handle;
use crate::sys::{Probe, Sys};
use slotmap::{Key, SlotMap};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

slotmap::new_key_type! {
    /// Generational handle of an armed timer.
    pub struct TimerKey;
}

/// The id of an object that can own timers; `Probe::OwnerDestroyed` ends its timers' right to
/// fire.
pub type OwnerId = u64;

/// Owner of timers that own themselves (`Sleep`): destroyed together with their timer.
pub const SELF_OWNED: OwnerId = 0;

enum Action {
    Wake(Option<Waker>),
    Call(Box<dyn FnOnce()>),
}

struct Entry {
    deadline: Duration,
    seq: u64,
    owner: OwnerId,
    action: Action,
}

#[derive(Default)]
pub(crate) struct Timers {
    entries: SlotMap<TimerKey, Entry>,
    queue: BTreeMap<(Duration, u64), TimerKey>,
    next_seq: u64,
}

impl Timers {
    fn arm(&mut self, deadline: Duration, owner: OwnerId, action: Action) -> TimerKey {
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = self.entries.insert(Entry {
            deadline,
            seq,
            owner,
            action,
        });
        let previous = self.queue.insert((deadline, seq), key);
        assert!(
            previous.is_none(),
            "timer queue key (deadline, seq) reused: seq must be unique"
        );
        key
    }

    /// Removes an armed timer; false when it already fired or was cancelled.
    fn cancel(&mut self, key: TimerKey) -> Option<OwnerId> {
        let entry = self.entries.remove(key)?;
        let removed = self.queue.remove(&(entry.deadline, entry.seq));
        assert_eq!(
            removed,
            Some(key),
            "timer entry and queue disagree about {key:?}"
        );
        Some(entry.owner)
    }

    pub(crate) fn next_deadline(&self) -> Option<Duration> {
        self.queue.keys().next().map(|&(deadline, _)| deadline)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Takes the earliest timer due at `now`, if any.
    fn pop_due(&mut self, now: Duration) -> Option<(TimerKey, Entry)> {
        let (&(deadline, seq), &key) = self.queue.iter().next()?;
        if deadline > now {
            return None;
        }
        self.queue.remove(&(deadline, seq));
        let entry = self.entries.remove(key).expect("queued timer has no entry");
        Some((key, entry))
    }

    fn set_waker(&mut self, key: TimerKey, waker: &Waker) {
        if let Some(Entry {
            action: Action::Wake(slot),
            ..
        }) = self.entries.get_mut(key)
        {
            // `Waker::clone_from` keeps the stored waker when it would wake the same task.
            match slot {
                Some(w) => w.clone_from(waker),
                None => *slot = Some(waker.clone()),
            }
        }
    }

    fn is_armed(&self, key: TimerKey) -> bool {
        self.entries.contains_key(key)
    }
}

fn probe_key(key: TimerKey) -> u64 {
    key.data().as_ffi()
}

impl<S: Sys> Handle<S> {
    /// Fires every timer due now. Runs callbacks with no borrow held.
    pub(crate) fn fire_due_timers(&self) {
        if self.shared().timers.borrow().len() == 0 {
            return; // no clock read on a loop with no timers
        }
        let now = self.sys().monotonic_now();
        loop {
            let due = self.shared().timers.borrow_mut().pop_due(now);
            let Some((key, entry)) = due else {
                return;
            };
            self.sys().probe(Probe::TimerFired {
                timer: probe_key(key),
                owner: entry.owner,
            });
            match entry.action {
                Action::Wake(waker) => {
                    if let Some(w) = waker {
                        w.wake();
                    }
                }
                Action::Call(f) => f(),
            }
        }
    }

    fn arm(&self, deadline: Duration, owner: OwnerId, action: Action) -> TimerKey {
        let key = self
            .shared()
            .timers
            .borrow_mut()
            .arm(deadline, owner, action);
        let deadline_ns = deadline.as_nanos().min(u64::MAX as u128) as u64;
        self.sys().probe(Probe::TimerArmed {
            timer: probe_key(key),
            owner,
            deadline_ns,
        });
        key
    }

    fn cancel(&self, key: TimerKey) {
        let owner = self.shared().timers.borrow_mut().cancel(key);
        if let Some(owner) = owner {
            self.sys().probe(Probe::TimerCancelled {
                timer: probe_key(key),
                owner,
            });
        }
    }

    /// A future that completes `duration` from now.
    pub fn sleep(&self, duration: Duration) -> Sleep<S> {
        self.sleep_until(self.sys().monotonic_now().saturating_add(duration))
    }

    /// A future that completes at `deadline` on the monotonic clock.
    pub fn sleep_until(&self, deadline: Duration) -> Sleep<S> {
        Sleep {
            handle: self.clone(),
            deadline,
            key: None,
        }
    }

    /// Runs `future` with a deadline `duration` from now; `Err(Elapsed)` if it did not finish.
    /// On timeout `future` is dropped, which cancels whatever it was waiting for.
    pub fn timeout<F: Future>(&self, duration: Duration, future: F) -> Timeout<S, F> {
        Timeout {
            future,
            sleep: self.sleep(duration),
        }
    }

    /// A new timer owner (an object whose destruction must cancel its timers).
    pub fn owner(&self) -> Owner<S> {
        let id = self.shared().next_owner.get();
        self.shared().next_owner.set(id + 1);
        self.sys().probe(Probe::OwnerCreated { owner: id });
        Owner {
            handle: self.clone(),
            id,
        }
    }

    /// Arms a callback timer for `owner`, due `after` from now. Dropping the `Timer` cancels it.
    pub fn timer(
        &self,
        owner: &Owner<S>,
        after: Duration,
        callback: impl FnOnce() + 'static,
    ) -> Timer<S> {
        let deadline = self.sys().monotonic_now().saturating_add(after);
        let key = self.arm(deadline, owner.id, Action::Call(Box::new(callback)));
        Timer {
            handle: self.clone(),
            key: Some(key),
        }
    }
}

/// An object that owns timers. Its `Drop` reports the destruction to the oracles.
pub struct Owner<S: Sys> {
    handle: Handle<S>,
    id: OwnerId,
}

impl<S: Sys> Owner<S> {
    pub fn id(&self) -> OwnerId {
        self.id
    }
}

impl<S: Sys> Drop for Owner<S> {
    fn drop(&mut self) {
        self.handle
            .sys()
            .probe(Probe::OwnerDestroyed { owner: self.id });
    }
}

/// An armed callback timer; dropping it cancels the callback.
pub struct Timer<S: Sys> {
    handle: Handle<S>,
    key: Option<TimerKey>,
}

impl<S: Sys> Timer<S> {
    /// Whether the callback is still due (not fired, not cancelled).
    pub fn is_armed(&self) -> bool {
        self.key
            .is_some_and(|k| self.handle.shared().timers.borrow().is_armed(k))
    }

    /// Leaves the timer armed after this handle is gone: the callback will run even if its
    /// owner is destroyed first. Use only for callbacks that own everything they touch.
    pub fn detach(mut self) {
        self.key = None;
    }
}

impl<S: Sys> Drop for Timer<S> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.handle.cancel(key);
        }
    }
}

/// Future returned by `Handle::sleep`.
pub struct Sleep<S: Sys> {
    handle: Handle<S>,
    deadline: Duration,
    key: Option<TimerKey>,
}

impl<S: Sys> Sleep<S> {
    pub fn deadline(&self) -> Duration {
        self.deadline
    }
}

impl<S: Sys> Future for Sleep<S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        match this.key {
            None => {
                if this.handle.sys().monotonic_now() >= this.deadline {
                    return Poll::Ready(());
                }
                // The sleep owns its timer and cancels it in Drop, so it can never outlive it.
                let key = this.handle.arm(
                    this.deadline,
                    SELF_OWNED,
                    Action::Wake(Some(cx.waker().clone())),
                );
                this.key = Some(key);
                Poll::Pending
            }
            Some(key) => {
                let mut timers = this.handle.shared().timers.borrow_mut();
                if timers.is_armed(key) {
                    timers.set_waker(key, cx.waker());
                    Poll::Pending
                } else {
                    drop(timers);
                    this.key = None;
                    this.deadline = Duration::ZERO;
                    Poll::Ready(())
                }
            }
        }
    }
}

impl<S: Sys> Drop for Sleep<S> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.handle.cancel(key);
        }
    }
}

/// The deadline of a `timeout` passed before its future finished.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Elapsed;

impl std::fmt::Display for Elapsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("deadline elapsed")
    }
}

impl std::error::Error for Elapsed {}

/// Future returned by `Handle::timeout`.
pub struct Timeout<S: Sys, F> {
    future: F,
    sleep: Sleep<S>,
}

impl<S: Sys, F: Future> Future for Timeout<S, F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned (never moved out while pinned); `sleep` is
        // Unpin and not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if let Poll::Ready(out) = future.poll(cx) {
            return Poll::Ready(Ok(out));
        }
        match Pin::new(&mut this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed)),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests;
