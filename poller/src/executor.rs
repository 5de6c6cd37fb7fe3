//! Tasks: the single-threaded executor's futures, their wakers and join handles.
//!
//! A task is a boxed `!Send` future in a `slotmap` slot. Its `Waker` is an `Arc<TaskWake>`
//! that queues the task's key on the loop's `Remote` (so a task can be woken from any thread);
//! a `scheduled` flag keeps a task queued at most once however often it is woken.
//! Dropping a task's future is how it is cancelled: every resource it holds (fd registrations,
//! timers) releases itself in `Drop`.

use crate::runtime::Handle;
use crate::sys::Sys;
use crate::waker::{Remote, Work};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

slotmap::new_key_type! {
    /// Generational handle of a task.
    pub struct TaskKey;
}

pub(crate) struct TaskWake<S: Sys> {
    key: TaskKey,
    scheduled: AtomicBool,
    remote: Arc<Remote<S>>,
}

impl<S: Sys> Wake for TaskWake<S> {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.scheduled.swap(true, SeqCst) {
            self.remote.push(Work::Task(self.key));
        }
    }
}

pub(crate) type BoxFuture = Pin<Box<dyn Future<Output = ()>>>;

pub(crate) struct Task<S: Sys> {
    /// `None` while the task is being polled (it is moved out so no borrow is held).
    pub(crate) future: Option<BoxFuture>,
    pub(crate) wake: Arc<TaskWake<S>>,
    pub(crate) waker: Waker,
}

impl<S: Sys> Task<S> {
    pub(crate) fn new(key: TaskKey, remote: Arc<Remote<S>>, future: BoxFuture) -> Self {
        // Born scheduled: the spawner queues it once.
        let wake = Arc::new(TaskWake {
            key,
            scheduled: AtomicBool::new(true),
            remote,
        });
        let waker = Waker::from(wake.clone());
        Task {
            future: Some(future),
            wake,
            waker,
        }
    }

    /// Clears the queued flag just before a poll, so a wake during the poll queues it again.
    pub(crate) fn unschedule(&self) {
        self.wake.scheduled.store(false, SeqCst);
    }
}

struct JoinState<T> {
    output: Option<T>,
    waiter: Option<Waker>,
}

/// Awaits a spawned task's output. Dropping it detaches the task (it keeps running).
pub struct JoinHandle<T, S: Sys> {
    state: Rc<RefCell<JoinState<T>>>,
    key: TaskKey,
    handle: Handle<S>,
}

impl<T, S: Sys> JoinHandle<T, S> {
    /// Whether the task has finished.
    pub fn is_finished(&self) -> bool {
        self.state.borrow().output.is_some()
    }

    /// Cancels the task: its future is dropped now, releasing everything it holds.
    pub fn abort(self) {
        self.handle.abort_task(self.key);
    }
}

impl<T, S: Sys> Future for JoinHandle<T, S> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.state.borrow_mut();
        match state.output.take() {
            Some(out) => Poll::Ready(out),
            None => {
                state.waiter = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Wraps `future` so its output lands in a `JoinHandle`.
pub(crate) fn joinable<F, S>(
    handle: &Handle<S>,
    key_slot: TaskKey,
    future: F,
) -> (BoxFuture, JoinHandle<F::Output, S>)
where
    F: Future + 'static,
    S: Sys,
{
    let state = Rc::new(RefCell::new(JoinState {
        output: None,
        waiter: None,
    }));
    let task_state = state.clone();
    let wrapped = async move {
        let out = future.await;
        let waiter = {
            let mut s = task_state.borrow_mut();
            s.output = Some(out);
            s.waiter.take()
        };
        if let Some(w) = waiter {
            w.wake();
        }
    };
    (
        Box::pin(wrapped),
        JoinHandle {
            state,
            key: key_slot,
            handle: handle.clone(),
        },
    )
}
