//! `Notify`: a one-shot, cross-thread event ("stop now", "the address is ready").
//!
//! `notify` sets a flag and wakes the task waiting in `notified`, through that task's waker —
//! which, from another thread, goes through the loop's eventfd waker. No blocking primitive is
//! involved, so it works the same on real threads and on simulated ones (where a blocking
//! mutex or channel would stall the whole simulation). `Sys::sched_point` marks the flag's
//! atomic steps for the simulator.

use crate::sys::Sys;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

struct Inner {
    set: AtomicBool,
    waiter: Mutex<Option<Waker>>,
}

/// A one-shot event; clones share it.
pub struct Notify<S: Sys> {
    sys: S,
    inner: Arc<Inner>,
}

impl<S: Sys> Clone for Notify<S> {
    fn clone(&self) -> Self {
        Notify {
            sys: self.sys.clone(),
            inner: self.inner.clone(),
        }
    }
}

impl<S: Sys> Notify<S> {
    pub fn new(sys: S) -> Self {
        Notify {
            sys,
            inner: Arc::new(Inner {
                set: AtomicBool::new(false),
                waiter: Mutex::new(None),
            }),
        }
    }

    /// Sets the event (idempotent) and wakes the waiter, if any.
    pub fn notify(&self) {
        self.sys.sched_point();
        self.inner.set.store(true, SeqCst);
        let waiter = self
            .inner
            .waiter
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(w) = waiter {
            w.wake();
        }
    }

    /// Whether the event is set.
    pub fn is_set(&self) -> bool {
        self.sys.sched_point();
        self.inner.set.load(SeqCst)
    }

    /// Completes once the event is set.
    pub async fn notified(&self) {
        poll_fn(|cx| {
            if self.inner.set.load(SeqCst) {
                return Poll::Ready(());
            }
            *self.inner.waiter.lock().unwrap_or_else(|p| p.into_inner()) = Some(cx.waker().clone());
            // Re-check after publishing the waker: a `notify` between the first check and the
            // store would otherwise find no waiter and the wakeup would be lost.
            if self.inner.set.load(SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

/// Runs two futures; returns the output of whichever finishes first (`a` wins ties). The other
/// is dropped, which cancels it.
pub async fn race<A: std::future::Future, B: std::future::Future<Output = A::Output>>(
    a: A,
    b: B,
) -> A::Output {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(v);
        }
        b.as_mut().poll(cx)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LinuxSys;

    #[test]
    fn is_set_reads_false_until_a_clone_notifies_then_true_for_every_clone() {
        let a = Notify::new(LinuxSys);
        let b = a.clone();
        assert!(!a.is_set() && !b.is_set(), "a fresh event reads as set");
        b.notify();
        assert!(a.is_set() && b.is_set(), "a notified event reads as unset");
        b.notify();
        assert!(a.is_set(), "a second notify unset the event");
    }
}
