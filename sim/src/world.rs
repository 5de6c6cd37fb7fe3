//! `World`: the state of one run — kernel, threads, decisions, strategy, faults, trace, clock —
//! and the scheduler that moves it forward.
//!
//! One run lives on one OS thread. The world is reached through a thread-local pointer set for
//! the run's duration (`SimSys` is a zero-sized handle, `Send + Sync` like the real backend).
//! No `&mut World` is ever held across a coroutine switch: every access is a short
//! `with_world` scope, on whichever stack is running.
//!
//! Scheduling: each step (syscall or scheduling point) asks the strategy who runs next among
//! the runnable threads. If it is another thread, the current coroutine suspends to the run
//! loop, which resumes the chosen one. A thread that parks (in `epoll_wait` with nothing
//! ready, or in `join`) suspends and the run loop picks again; when no thread can run,
//! virtual time jumps to the earliest thread deadline or network event. Nothing to wait for
//! is a deadlock; more steps than the budget is a livelock.

use crate::decision::Decisions;
use crate::fault::Plan;
use crate::kernel::Kernel;
use crate::strategy::Strategy;
use crate::thread::{State, ThreadId, THREADS_MAX};
use crate::trace::{Event, Trace, What};
use corosensei::Yielder;
use std::cell::Cell;

/// Why a run stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The root thread returned.
    Completed,
    /// A thread panicked. `location` is kept apart so the failure signature (the message)
    /// survives edits that move the panic to another line.
    Panic {
        thread: ThreadId,
        message: String,
        location: String,
    },
    /// Every live thread is parked and nothing (no timer, no network event) can wake one.
    Deadlock { parked: Vec<(ThreadId, State)> },
    /// The step budget ran out.
    Livelock { steps: u64 },
    /// More threads than `THREADS_MAX`.
    TooManyThreads,
}

pub(crate) struct World {
    pub kernel: Kernel,
    pub decisions: Decisions,
    pub strategy: Box<dyn Strategy>,
    pub faults: Plan,
    pub trace: Trace,
    pub now_ns: u64,
    pub step: u64,
    pub step_budget: u64,
    pub threads: Vec<State>,
    pub names: Vec<String>,
    pub current: ThreadId,
    /// Each live coroutine's yielder, set when it starts.
    pub yielders: Vec<*const Yielder<(), ()>>,
    pub pending_spawns: Vec<(ThreadId, Box<dyn FnOnce()>)>,
    pub stop: Option<Stop>,
    /// Set while coroutines are force-unwound after the run: syscalls then act at once,
    /// without steps, faults or trace, so destructors can release what they hold.
    pub tearing_down: bool,
    runnable: Vec<ThreadId>,
}

thread_local! {
    static WORLD: Cell<*mut World> = const { Cell::new(std::ptr::null_mut()) };
}

/// Runs `f` with the current run's world. Panics outside a run, naming the mistake.
#[inline]
pub(crate) fn with_world<R>(f: impl FnOnce(&mut World) -> R) -> R {
    let ptr = WORLD.with(|w| w.get());
    assert!(
        !ptr.is_null(),
        "SimSys used outside a simulation run (or from a real OS thread it spawned)"
    );
    // SAFETY: the pointer is set by `install` for the run's duration and cleared after; one
    // run per OS thread, and no other `&mut World` is live while `f` runs (accesses are
    // short scopes that never span a coroutine switch).
    f(unsafe { &mut *ptr })
}

/// Whether a run is active on this OS thread.
pub(crate) fn in_run() -> bool {
    WORLD.with(|w| !w.get().is_null())
}

/// Makes `world` the current run's world until the guard drops.
pub(crate) fn install(world: &mut World) -> Installed {
    WORLD.with(|w| {
        assert!(
            w.get().is_null(),
            "a simulation run is already active on this thread: runs do not nest"
        );
        w.set(world as *mut World);
    });
    Installed
}

pub(crate) struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        WORLD.with(|w| w.set(std::ptr::null_mut()));
    }
}

impl World {
    pub fn new(
        kernel: Kernel,
        decisions: Decisions,
        strategy: Box<dyn Strategy>,
        faults: Plan,
        trace: Trace,
        step_budget: u64,
    ) -> Self {
        World {
            kernel,
            decisions,
            strategy,
            faults,
            trace,
            now_ns: 0,
            step: 0,
            step_budget,
            threads: Vec::new(),
            names: Vec::new(),
            current: ThreadId::ROOT,
            yielders: Vec::new(),
            pending_spawns: Vec::new(),
            stop: None,
            tearing_down: false,
            runnable: Vec::new(),
        }
    }

    /// Registers a thread; its coroutine is made when it first runs.
    pub fn add_thread(&mut self, name: &str, f: Box<dyn FnOnce()>) -> Option<ThreadId> {
        if self.threads.len() >= THREADS_MAX {
            return None;
        }
        let id = ThreadId(self.threads.len() as u32);
        self.threads.push(State::Runnable);
        self.names.push(name.to_owned());
        self.yielders.push(std::ptr::null());
        self.pending_spawns.push((id, f));
        self.strategy.on_spawn(id, &mut self.decisions);
        Some(id)
    }

    fn can_run(&self, thread: ThreadId) -> bool {
        match self.threads[thread.index()] {
            State::Runnable => true,
            State::Epoll { epfd, deadline_ns } => {
                deadline_ns.is_some_and(|d| d <= self.now_ns) || self.kernel.epoll_is_ready(epfd)
            }
            State::Join { target } => self.threads[target.index()] == State::Finished,
            State::Finished => false,
        }
    }

    fn collect_runnable(&mut self) {
        let mut runnable = std::mem::take(&mut self.runnable);
        runnable.clear();
        runnable.extend(
            (0..self.threads.len() as u32)
                .map(ThreadId)
                .filter(|&t| self.can_run(t)),
        );
        self.runnable = runnable;
    }

    /// Counts a step; false (with `stop` set) when the budget is spent.
    pub fn count_step(&mut self) -> bool {
        self.step += 1;
        if self.step > self.step_budget {
            self.stop.get_or_insert(Stop::Livelock {
                steps: self.step_budget,
            });
            return false;
        }
        true
    }

    /// The strategy's pick for the next step; `current` is runnable, so someone is.
    pub fn pick_at_step(&mut self) -> ThreadId {
        self.collect_runnable();
        debug_assert!(
            self.runnable.contains(&self.current),
            "the running thread {} is not runnable",
            self.current
        );
        self.strategy
            .pick(self.step, self.current, &self.runnable, &mut self.decisions)
    }

    /// After the current thread parked or finished: who runs next, advancing virtual time
    /// when nobody can. Sets `stop` on deadlock or when every thread has finished.
    pub fn pick_after_park(&mut self) {
        loop {
            self.collect_runnable();
            if !self.runnable.is_empty() {
                self.current = self.strategy.pick(
                    self.step,
                    self.current,
                    &self.runnable,
                    &mut self.decisions,
                );
                return;
            }
            let thread_deadline = self
                .threads
                .iter()
                .filter_map(|s| match s {
                    State::Epoll { deadline_ns, .. } => *deadline_ns,
                    _ => None,
                })
                .min();
            let next = match (thread_deadline, self.kernel.next_event_time()) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => {
                    let parked: Vec<(ThreadId, State)> = (0..self.threads.len() as u32)
                        .map(ThreadId)
                        .filter(|t| self.threads[t.index()] != State::Finished)
                        .map(|t| (t, self.threads[t.index()]))
                        .collect();
                    self.stop.get_or_insert(if parked.is_empty() {
                        Stop::Completed
                    } else {
                        Stop::Deadlock { parked }
                    });
                    return;
                }
            };
            assert!(
                next >= self.now_ns || thread_deadline.is_some(),
                "network event at {next} ns is in the past (now {} ns)",
                self.now_ns
            );
            self.now_ns = self.now_ns.max(next);
            self.kernel.advance(self.now_ns, &mut self.decisions);
        }
    }

    pub fn record(&mut self, what: What) {
        let event = Event {
            step: self.step,
            thread: self.current,
            time_ns: self.now_ns,
            what,
        };
        self.trace.push(event);
    }
}

/// Suspends the coroutine of thread `me` (the one running this code) back to the run loop.
/// `me` is passed, not read from `current`, because a switch sets `current` to the thread
/// that runs next before this one suspends.
pub(crate) fn suspend(me: ThreadId) {
    let yielder = with_world(|w| w.yielders[me.index()]);
    assert!(
        !yielder.is_null(),
        "suspend of {me}, which is not a running simulated thread"
    );
    // SAFETY: the yielder belongs to the running coroutine (set when it started, valid until
    // it returns), and no borrow of the world is held across the switch.
    unsafe { (*yielder).suspend(()) };
}

/// A step: count it, let the strategy pick who runs it, switch if it is someone else.
/// Returns false when the run is over (budget spent); the caller then parks for good.
pub(crate) fn step() -> bool {
    let (go_on, next, me) = with_world(|w| {
        if !w.count_step() {
            return (false, w.current, w.current);
        }
        let me = w.current;
        (true, w.pick_at_step(), me)
    });
    if !go_on {
        // The run is stopping: hand control back and never come back.
        suspend(me);
        unreachable!("a stopped run resumed a thread");
    }
    if next != me {
        with_world(|w| w.current = next);
        suspend(me);
        debug_assert_eq!(
            with_world(|w| w.current),
            me,
            "resumed a thread that was not picked"
        );
    }
    true
}
