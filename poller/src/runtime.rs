//! `Runtime`: one event loop per thread — reactor, timers, tasks and the cross-thread waker.
//!
//! One turn of the loop: run the tasks that were woken (one batch, for fairness), compute the
//! sleep from the earliest timer (rounded *up* to whole milliseconds, so a loop never wakes
//! just before its deadline and spins), tell the waker it is going to sleep, `epoll_wait`,
//! dispatch the events, fire the timers that are due. `EINTR` from `epoll_wait` is retried
//! (the timeout is recomputed); any other error ends `block_on` with that errno.
//!
//! The loop id is the epoll fd number: unique among live loops of a process and
//! deterministic under the simulator.

use crate::errno_policy::{self, Call};
use crate::executor::{joinable, JoinHandle, Task, TaskKey};
use crate::reactor::{OpKey, Reactor};
use crate::sys::{EpollEvent, ErrnoAction, Fd, Probe, Sys, SysResult};
use crate::timer::Timers;
use crate::waker::{Remote, RemoteHandle, Work};
use slotmap::SlotMap;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::task::Context;

/// How many events one `epoll_wait` may return. Bounded so one turn's work is bounded; the
/// rest stay ready in the kernel for the next turn (as mio's default `Events` capacity).
pub const MAX_EVENTS: usize = 1024;
/// The event buffer a loop starts with. A harvest that fills it doubles it, up to
/// `MAX_EVENTS`: a loop over a few fds (a client, a helper thread) keeps 768 bytes instead of
/// 12 KiB, and a busy one reaches the full buffer after a few full turns (nothing is lost
/// meanwhile: what did not fit stays ready for the next `epoll_wait`).
pub const INITIAL_EVENTS: usize = 64;

/// Counters of one loop, for tests and benchmarks.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Turns of the loop (each one `epoll_wait` attempt).
    pub iterations: u64,
    /// `epoll_wait` calls with a non-zero timeout (the loop was prepared to block).
    pub sleeps: u64,
    /// Events dispatched to live operators.
    pub events: u64,
    /// Events dropped because their operator was gone (stale handle).
    pub stale_events_dropped: u64,
    /// `epoll_wait` calls that returned `EINTR` and were retried.
    pub eintr_retries: u64,
    /// Times `accept4` failed with fd exhaustion and the listener backed off.
    pub accept_backoffs: u64,
    /// `RemoteHandle::wake` calls.
    pub wakes_requested: u64,
    /// Wakeups the loop picked up.
    pub wakes_observed: u64,
    /// Writes to the waker eventfd.
    pub eventfd_writes: u64,
    /// Live operators (registered fds, the waker's eventfd included).
    pub operators: u64,
    /// Armed timers.
    pub timers: u64,
    /// Live tasks.
    pub tasks: u64,
}

pub(crate) struct Shared<S: Sys> {
    pub(crate) sys: S,
    loop_id: u64,
    pub(crate) reactor: RefCell<Reactor<S>>,
    pub(crate) timers: RefCell<Timers>,
    tasks: RefCell<SlotMap<TaskKey, Task<S>>>,
    remote: Arc<Remote<S>>,
    waker_key: OpKey,
    pub(crate) next_owner: Cell<u64>,
    stats: Cell<Stats>,
    closed: Cell<bool>,
    /// `epoll_wait`'s buffer, kept across turns (not zeroed per turn): `INITIAL_EVENTS`
    /// entries, doubled by each harvest that fills it, up to `MAX_EVENTS`.
    events: RefCell<Vec<EpollEvent>>,
}

/// A cheap, cloneable reference to a loop, for code running on the loop's thread.
pub struct Handle<S: Sys> {
    shared: Rc<Shared<S>>,
}

impl<S: Sys> Clone for Handle<S> {
    fn clone(&self) -> Self {
        Handle {
            shared: self.shared.clone(),
        }
    }
}

/// An event loop. Dropping it cancels every task still alive and closes its fds.
pub struct Runtime<S: Sys> {
    handle: Handle<S>,
}

impl<S: Sys> Runtime<S> {
    /// Creates the loop's epoll instance and waker eventfd.
    pub fn new(sys: S) -> SysResult<Self> {
        let epfd = sys.epoll_create()?;
        let eventfd = match sys.eventfd(0, false) {
            Ok(fd) => fd,
            Err(e) => {
                let _ = sys.close(epfd);
                return Err(e);
            }
        };
        let mut reactor = Reactor::new(sys.clone(), epfd);
        // Level-triggered would do too; edge-triggered is enough because every reported edge
        // is drained by `drain_eventfd` before the loop sleeps again.
        let waker_key = match reactor.register(eventfd) {
            Ok(key) => key,
            Err(e) => {
                let _ = sys.close(eventfd);
                let _ = sys.close(epfd);
                return Err(e);
            }
        };
        let loop_id = epfd.0 as u64;
        let remote = Arc::new(Remote::new(sys.clone(), loop_id, eventfd));
        let shared = Rc::new(Shared {
            sys,
            loop_id,
            reactor: RefCell::new(reactor),
            timers: RefCell::new(Timers::default()),
            tasks: RefCell::new(SlotMap::with_key()),
            remote,
            waker_key,
            next_owner: Cell::new(crate::timer::SELF_OWNED + 1),
            stats: Cell::new(Stats::default()),
            closed: Cell::new(false),
            events: RefCell::new(vec![EpollEvent::zeroed(); INITIAL_EVENTS]),
        });
        Ok(Runtime {
            handle: Handle { shared },
        })
    }

    pub fn handle(&self) -> &Handle<S> {
        &self.handle
    }

    /// Runs the loop until `future` completes. Fails only if `epoll_wait` fails with an errno
    /// other than `EINTR` (which is retried).
    pub fn block_on<F: Future + 'static>(&self, future: F) -> SysResult<F::Output> {
        let mut main = self.handle.spawn(future);
        let noop = std::task::Waker::noop();
        let mut batch = Vec::new();
        loop {
            self.handle.run_batch(&mut batch);
            if main.is_finished() {
                let mut cx = Context::from_waker(noop);
                match std::pin::Pin::new(&mut main).poll(&mut cx) {
                    std::task::Poll::Ready(out) => return Ok(out),
                    std::task::Poll::Pending => unreachable!("a finished task's output is ready"),
                }
            }
            self.handle.turn()?;
        }
    }
}

impl<S: Sys> Drop for Runtime<S> {
    fn drop(&mut self) {
        let shared = &self.handle.shared;
        // Cancel tasks first (their drops deregister fds and cancel timers), outside any borrow.
        let tasks: Vec<Task<S>> = shared.tasks.borrow_mut().drain().map(|(_, t)| t).collect();
        drop(tasks);
        shared.closed.set(true);
        let epfd = shared.reactor.borrow().epfd();
        {
            let mut reactor = shared.reactor.borrow_mut();
            let _ = reactor.deregister(shared.waker_key);
            reactor.free(shared.waker_key);
        }
        // The waker's eventfd is not closed here: `RemoteHandle`s on other threads may still
        // write it, and a closed fd number can be reused by another file. It belongs to the
        // `Remote` and closes when the last handle to it drops.
        let _ = shared.sys.close(epfd);
    }
}

impl<S: Sys> Handle<S> {
    pub(crate) fn shared(&self) -> &Shared<S> {
        &self.shared
    }

    /// The syscall backend.
    pub fn sys(&self) -> &S {
        &self.shared.sys
    }

    /// This loop's id (its epoll fd number).
    pub fn loop_id(&self) -> u64 {
        self.shared.loop_id
    }

    /// Whether the runtime has been dropped (fds of survivors are then only closed).
    pub(crate) fn is_closed(&self) -> bool {
        self.shared.closed.get()
    }

    /// Starts a task on this loop.
    pub fn spawn<F: Future + 'static>(&self, future: F) -> JoinHandle<F::Output, S> {
        let mut join = None;
        let key = self.shared.tasks.borrow_mut().insert_with_key(|key| {
            let (boxed, handle) = joinable(self, key, future);
            join = Some(handle);
            Task::new(key, self.shared.remote.clone(), boxed)
        });
        self.shared.remote.push(Work::Task(key));
        join.expect("insert_with_key runs its closure")
    }

    pub(crate) fn abort_task(&self, key: TaskKey) {
        let task = self.shared.tasks.borrow_mut().remove(key);
        // Dropped here, outside the borrow: the future's drops may touch the loop.
        drop(task);
    }

    /// A `Send` handle other threads use to wake this loop or run code on it.
    pub fn remote(&self) -> RemoteHandle<S> {
        RemoteHandle {
            remote: self.shared.remote.clone(),
        }
    }

    /// The loop's counters.
    pub fn stats(&self) -> Stats {
        let mut s = self.shared.stats.get();
        let reactor = self.shared.reactor.borrow();
        s.stale_events_dropped = reactor.stale_events_dropped;
        s.operators = reactor.len() as u64;
        s.timers = self.shared.timers.borrow().len() as u64;
        s.tasks = self.shared.tasks.borrow().len() as u64;
        s.eventfd_writes = self.shared.remote.eventfd_writes.load(SeqCst);
        s.wakes_requested = self.shared.remote.wakes_requested.load(SeqCst);
        s
    }

    fn bump(&self, f: impl FnOnce(&mut Stats)) {
        let mut s = self.shared.stats.get();
        f(&mut s);
        self.shared.stats.set(s);
    }

    /// Runs one batch of queued work.
    fn run_batch(&self, batch: &mut Vec<Work<S>>) {
        self.shared.remote.take(batch);
        for work in batch.drain(..) {
            match work {
                Work::Task(key) => self.poll_task(key),
                Work::Run(f) => f(self),
                Work::Wake => {
                    self.bump(|s| s.wakes_observed += 1);
                    self.sys().probe(Probe::WakeObserved {
                        loop_id: self.shared.loop_id,
                    });
                }
            }
        }
    }

    fn poll_task(&self, key: TaskKey) {
        // The future and its waker are moved out for the poll (no borrow is held while the
        // task runs, and moving the waker saves the reference-count traffic of a clone).
        let (mut future, waker) = {
            let mut tasks = self.shared.tasks.borrow_mut();
            let Some(task) = tasks.get_mut(key) else {
                return;
            }; // aborted or finished
            let Some(future) = task.future.take() else {
                return;
            };
            task.unschedule();
            let waker = std::mem::replace(&mut task.waker, std::task::Waker::noop().clone());
            (future, waker)
        };
        let mut cx = Context::from_waker(&waker);
        let done = future.as_mut().poll(&mut cx).is_ready();
        let mut tasks = self.shared.tasks.borrow_mut();
        if done {
            let task = tasks.remove(key);
            drop(tasks);
            drop(task);
            drop(future);
        } else if let Some(task) = tasks.get_mut(key) {
            task.future = Some(future);
            task.waker = waker;
        } else {
            // Aborted during its own poll.
            drop(tasks);
            drop(future);
        }
    }

    /// One `epoll_wait` and what follows it.
    fn turn(&self) -> SysResult<()> {
        let sys = self.sys();
        self.bump(|s| s.iterations += 1);
        let mut timeout_ms = match self.shared.timers.borrow().next_deadline() {
            None => -1,
            Some(deadline) => {
                let left = deadline.saturating_sub(sys.monotonic_now());
                // Round up: waking a fraction of a millisecond early would spin.
                let ms = left.as_nanos().div_ceil(1_000_000);
                ms.min(i32::MAX as u128) as i32
            }
        };
        if self.shared.remote.prepare_sleep() {
            timeout_ms = 0;
        }
        if timeout_ms != 0 {
            self.bump(|s| s.sleeps += 1);
        }
        let loop_id = self.shared.loop_id;
        sys.probe(Probe::LoopSleep {
            loop_id,
            timeout_ms,
        });
        let mut events = self.shared.events.borrow_mut();
        let epfd = self.shared.reactor.borrow().epfd();
        let result = sys.epoll_wait(epfd, &mut events[..], timeout_ms);
        self.shared.remote.woke();
        sys.probe(Probe::LoopWoke { loop_id });
        let n = match result {
            Ok(n) => n,
            Err(e) => match errno_policy::handle(sys, Call::EpollWait, e) {
                ErrnoAction::Retry => {
                    self.bump(|s| s.eintr_retries += 1);
                    return Ok(());
                }
                _ => return Err(e),
            },
        };
        let len = events.len();
        assert!(
            n <= len && len <= MAX_EVENTS,
            "epoll_wait returned {n} events for a buffer of {len} (at most {MAX_EVENTS})"
        );
        let mut delivered = 0;
        for event in &events[..n] {
            if event.data() == self.shared.waker_key.to_data() {
                self.shared.remote.drain_eventfd();
                continue;
            }
            if self
                .shared
                .reactor
                .borrow_mut()
                .dispatch(event.data(), event.events())
            {
                delivered += 1;
            }
        }
        self.bump(|s| s.events += delivered);
        if n == len && len < MAX_EVENTS {
            // Full: more may be ready than fit. Grow for the next turn.
            events.resize((len * 2).min(MAX_EVENTS), EpollEvent::zeroed());
        }
        drop(events);
        self.fire_due_timers();
        Ok(())
    }

    /// Registers `fd` with this loop's epoll.
    pub(crate) fn register(&self, fd: Fd) -> SysResult<OpKey> {
        self.shared.reactor.borrow_mut().register(fd)
    }

    pub(crate) fn note_accept_backoff(&self) {
        self.bump(|s| s.accept_backoffs += 1);
    }
}

#[cfg(test)]
mod tests {
    use super::Runtime;
    use crate::sys::linux::LinuxSys;

    /// Probes and traces tell loops apart by this id: two live loops must not share one.
    #[test]
    fn live_loops_have_distinct_ids() {
        let (a, b) = (
            Runtime::new(LinuxSys).expect("a loop"),
            Runtime::new(LinuxSys).expect("a loop"),
        );
        assert_ne!(a.handle().loop_id(), b.handle().loop_id());
    }
}
