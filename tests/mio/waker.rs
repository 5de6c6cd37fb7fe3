//! `Waker` through `simkern::mio`: a wake from another thread ends a poll with the waker's
//! token; wakes before a poll coalesce into one event.

use crate::support::{both_kernels, poll_retrying};
use simkern::mio::{Events, Poll, Token, Waker};
use std::sync::Arc;
use std::time::Duration;

both_kernels!(a_wake_from_another_thread_ends_a_poll, wake_from_thread);
both_kernels!(wakes_before_a_poll_are_one_event, wakes_coalesce);

const WAKER: Token = Token(10);

fn wake_from_thread() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).unwrap());
    let remote = waker.clone();
    let thread = simkern::thread::spawn("waker", move || remote.wake().unwrap()).unwrap();
    // No timeout: only the wake can end this poll.
    poll_retrying(&mut poll, &mut events, None);
    let got: Vec<_> = events
        .iter()
        .map(|e| (e.token(), e.is_readable()))
        .collect();
    assert_eq!(got, [(WAKER, true)]);
    thread.join();
}

fn wakes_coalesce() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let waker = Waker::new(poll.registry(), WAKER).unwrap();
    for _ in 0..3 {
        waker.wake().unwrap();
    }
    poll_retrying(&mut poll, &mut events, Some(Duration::from_millis(100)));
    assert_eq!(events.iter().count(), 1, "{events:?}");
    poll_retrying(&mut poll, &mut events, Some(Duration::ZERO));
    assert!(events.is_empty(), "no second event without a new wake");
    waker.wake().unwrap();
    poll_retrying(&mut poll, &mut events, Some(Duration::from_millis(100)));
    assert_eq!(
        events.iter().map(|e| e.token()).collect::<Vec<_>>(),
        [WAKER]
    );
}
