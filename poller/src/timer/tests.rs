//! Timers on the real kernel: ties fire in arming order, a dropped sleep disarms, owners
//! have distinct ids, a sleep wakes the task that polled it last, a sleep reports its deadline
//! and never ends before it.

use crate::counting_waker::Counting;
use crate::sys::linux::LinuxSys;
use crate::{Runtime, Sys};
use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::Context;
use std::time::Duration;

/// Ties are the common case under the simulator (virtual time stands still between
/// steps, so timers armed in one handler share a deadline), and their order must be a
/// stated property, not an accident of the queue: equal deadlines fire in arming order.
#[test]
fn timers_with_equal_deadlines_fire_in_arming_order() {
    let rt = Runtime::new(LinuxSys).expect("a loop");
    let h = rt.handle().clone();
    let fired: Rc<RefCell<Vec<usize>>> = Rc::default();
    let deadline = LinuxSys.monotonic_now() + Duration::from_millis(2);
    // Sleeps in tasks, armed in spawn order (tasks first run in spawn order).
    let sleepers: Vec<_> = (0..5)
        .map(|i| {
            let (h, fired) = (h.clone(), fired.clone());
            rt.handle().spawn(async move {
                h.sleep_until(deadline).await;
                fired.borrow_mut().push(i);
            })
        })
        .collect();
    rt.block_on(async move {
        for s in sleepers {
            s.await;
        }
    })
    .expect("the loop ran");
    assert_eq!(
        *fired.borrow(),
        [0, 1, 2, 3, 4],
        "ties fired out of arming order"
    );
}

/// `Sleep::deadline` is the instant on the monotonic clock the sleep ends at: the one given
/// to `sleep_until`, `now + duration` for `sleep`; and the sleep does not end before it.
#[test]
fn a_sleep_reports_its_deadline_and_does_not_end_before_it() {
    let rt = Runtime::new(LinuxSys).expect("a loop");
    let h = rt.handle().clone();
    let at = LinuxSys.monotonic_now() + Duration::from_millis(3);
    assert_eq!(h.sleep_until(at).deadline(), at);
    let before = LinuxSys.monotonic_now();
    let sleep = h.sleep(Duration::from_millis(2));
    let after = LinuxSys.monotonic_now();
    let deadline = sleep.deadline();
    let ms2 = Duration::from_millis(2);
    assert!(
        before + ms2 <= deadline && deadline <= after + ms2,
        "sleep(2 ms) between {before:?} and {after:?} has deadline {deadline:?}"
    );
    let woke = rt
        .block_on(async move {
            sleep.await;
            LinuxSys.monotonic_now()
        })
        .expect("the loop ran");
    assert!(woke >= deadline, "woke at {woke:?}, before {deadline:?}");
}

/// What a user prints of a timeout says what happened.
#[test]
fn an_elapsed_timeout_names_itself() {
    let text = crate::timer::Elapsed.to_string();
    assert!(text.contains("deadline"), "Elapsed displays as {text:?}");
}

/// A `Sleep` dropped before its deadline (here by `timeout`) leaves no timer armed: an
/// armed leftover would wake the loop for nothing at its deadline.
#[test]
fn a_sleep_dropped_before_its_deadline_disarms_its_timer() {
    let rt = Runtime::new(LinuxSys).expect("a loop");
    let h = rt.handle().clone();
    let stats = rt
        .block_on(async move {
            let long = h.sleep(Duration::from_secs(3600));
            let out = h.timeout(Duration::from_millis(1), long).await;
            assert!(out.is_err(), "an hour's sleep finished within 1 ms");
            h.stats()
        })
        .expect("the loop ran");
    assert_eq!(stats.timers, 0, "the dropped sleep's timer is still armed");
}

/// Callback timers of one owner, armed in one handler with the same delay: on the real
/// clock their deadlines may differ by nanoseconds, so this states the weaker property
/// that holds either way (earlier-armed never fires later), plus the owner's identity.
#[test]
fn callback_timers_fire_in_arming_order_and_owners_have_distinct_ids() {
    let rt = Runtime::new(LinuxSys).expect("a loop");
    let h = rt.handle().clone();
    let fired: Rc<RefCell<Vec<u64>>> = Rc::default();
    let (a, b) = (h.owner(), h.owner());
    assert_ne!(a.id(), b.id(), "two live owners share an id");
    for owner in [&a, &b] {
        assert_ne!(
            owner.id(),
            super::SELF_OWNED,
            "a user's owner has the id of self-owned sleeps"
        );
    }
    let mut timers = Vec::new();
    for owner in [&a, &b, &a] {
        let (fired, id) = (fired.clone(), owner.id());
        timers.push(h.timer(owner, Duration::from_millis(1), move || {
            fired.borrow_mut().push(id)
        }));
    }
    assert!(
        timers.iter().all(|t| t.is_armed()),
        "a timer reads as disarmed before its deadline"
    );
    let h2 = h.clone();
    rt.block_on(async move { h2.sleep(Duration::from_millis(3)).await })
        .expect("the loop ran");
    assert!(timers.iter().all(|t| !t.is_armed()), "a timer did not fire");
    assert_eq!(*fired.borrow(), [a.id(), b.id(), a.id()]);
}

/// A sleep polled again from another context (moved into another task, or re-polled by a
/// combinator that swapped its waker) must wake the context that polled it last: waking the
/// first one instead loses the wakeup, and the sleeper never runs again.
#[test]
fn a_sleep_wakes_the_context_that_polled_it_last() {
    let rt = Runtime::new(LinuxSys).expect("a loop");
    let h = rt.handle();
    let mut sleep = pin!(h.sleep(Duration::from_millis(1)));
    let ((first, first_waker), (last, last_waker)) = (Counting::waker(), Counting::waker());
    for waker in [&first_waker, &last_waker] {
        let pending = sleep
            .as_mut()
            .poll(&mut Context::from_waker(waker))
            .is_pending();
        assert!(pending, "a 1 ms sleep finished at once");
    }
    // The loop fires every due timer on its way to this later one.
    let h2 = h.clone();
    rt.block_on(async move { h2.sleep(Duration::from_millis(2)).await })
        .expect("the loop ran");
    assert_eq!(
        last.wakes(),
        1,
        "the context that polled last was not woken"
    );
    assert_eq!(first.wakes(), 0, "a replaced waker was woken");
    let done = sleep
        .as_mut()
        .poll(&mut Context::from_waker(&last_waker))
        .is_ready();
    assert!(done, "the woken sleep is not ready");
}

/// A timer is due at its deadline, not only after it: a loop that wakes exactly at the
/// deadline (as under the simulator, whose clock stands still between steps) fires it in that
/// turn, not on a later one after the clock has moved past it.
#[test]
fn a_timer_is_due_at_its_deadline_exactly() {
    use crate::timer::{Action, Timers, SELF_OWNED};
    let mut timers = Timers::default();
    let at = Duration::from_millis(5);
    let key = timers.arm(at, SELF_OWNED, Action::Call(Box::new(|| {})));
    assert!(
        timers.pop_due(at - Duration::from_nanos(1)).is_none(),
        "due before its deadline"
    );
    assert_eq!(
        timers.pop_due(at).map(|(k, _)| k),
        Some(key),
        "not due at its deadline"
    );
    assert!(timers.pop_due(at).is_none(), "popped twice");
}
