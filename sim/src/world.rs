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
//!
//! A thread unwinding a panic takes no steps and never suspends (`crate::unwind` says why).

use crate::decision::Decisions;
use crate::fault::Plan;
use crate::kernel::{EpollKey, Kernel};
use crate::strategy::{SchedPoint, Strategy};
use crate::thread::{State, ThreadId};
use crate::thread_set::ThreadSet;
use crate::trace::{Event, Trace, What};
use crate::unwind::{unwinding, Unwinding};
use corosensei::Yielder;
use slotmap::SecondaryMap;
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

mod threads;

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
    /// A lifecycle oracle saw a violation (see `simkern_model::oracle`).
    Oracle {
        oracle: &'static str,
        message: String,
        /// What the verdict names (see `oracles::Violation`).
        subjects: Vec<crate::oracles::Subject>,
    },
}

pub(crate) struct World {
    /// The run's seed (for self-tests only; code under test never sees it).
    pub seed: u64,
    pub kernel: Kernel,
    pub decisions: Decisions,
    pub strategy: Box<dyn Strategy>,
    pub faults: Plan,
    pub trace: Trace,
    pub oracles: Option<crate::oracles::Oracles>,
    pub now_ns: u64,
    pub step: u64,
    pub step_budget: u64,
    pub threads: Vec<State>,
    pub names: Vec<String>,
    /// Per thread: harness code (the test's own clients and checkers), whose calls fault
    /// plans never touch (`crate::harness`). Spawned threads inherit it.
    pub harness: Vec<bool>,
    /// The process of each thread (`crate::process`).
    pub procs: crate::process::Members,
    pub current: ThreadId,
    /// Each live coroutine's yielder, set when it starts.
    pub yielders: Vec<*const Yielder<(), ()>>,
    pub pending_spawns: Vec<(ThreadId, Box<dyn FnOnce()>)>,
    pub stop: Option<Stop>,
    /// Every scheduling point (a pick among two or more threads), when the run records them
    /// (for shrinking and exhaustive search).
    pub sched_points: Option<Vec<SchedPoint>>,
    /// Set while coroutines are force-unwound after the run: syscalls then act at once,
    /// without steps, faults or trace, so destructors can release what they hold.
    pub tearing_down: bool,
    /// The running thread's unwinding of a panic, while it lasts (`crate::unwind`).
    pub unwinding: Unwinding,
    /// The threads that may run next, ascending: recomputed from `maybe` when `dirty` (or
    /// when it holds parked threads), kept up by `note_in_runnable` through the common changes.
    runnable: Vec<ThreadId>,
    /// Threads that might be runnable: every `Runnable` one, and parked ones whose wait may
    /// have ended (their epoll was woken, their deadline passed, their join target finished).
    /// A superset of the runnable threads; `collect_runnable` filters it exactly. Keeping it
    /// incremental makes a step cost O(candidates), not O(threads) with an epoll poll each.
    maybe: ThreadSet,
    /// Threads parked in `epoll_wait`, by the epoll they wait on.
    parked_on: SecondaryMap<EpollKey, Vec<ThreadId>>,
    /// The epoll each thread is parked on (so unparking finds its entry).
    parked_key: Vec<Option<EpollKey>>,
    /// Deadlines of parked `epoll_wait`s, `(deadline_ns, thread)`.
    deadlines: BTreeSet<(u64, ThreadId)>,
    /// Threads in `join`, by the thread they wait for.
    joiners: BTreeMap<ThreadId, Vec<ThreadId>>,
    /// Threads in `poll`, `nanosleep` or blocking I/O, and what each waits for.
    pub(crate) waiters: crate::waiters::Waiters,
    /// `runnable` must be recomputed: `maybe` or a thread's state changed in a way
    /// `note_in_runnable` does not follow.
    dirty: bool,
    /// `runnable` holds parked threads (whose readiness any syscall may take away), so it is
    /// re-validated at every pick; otherwise it changes only when `dirty` or through
    /// `note_in_runnable`.
    runnable_has_parked: bool,
    woken: Vec<EpollKey>,
    /// `strategy.single_pick_is_free()`, asked once.
    single_pick_free: bool,
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
            single_pick_free: strategy.single_pick_is_free(),
            seed: 0,
            kernel,
            decisions,
            strategy,
            faults,
            trace,
            oracles: Some(crate::oracles::Oracles::new()),
            now_ns: 0,
            step: 0,
            step_budget,
            threads: Vec::new(),
            names: Vec::new(),
            harness: Vec::new(),
            procs: crate::process::Members::default(),
            current: ThreadId::ROOT,
            yielders: Vec::new(),
            pending_spawns: Vec::new(),
            stop: None,
            sched_points: None,
            tearing_down: false,
            unwinding: Unwinding::default(),
            runnable: Vec::new(),
            maybe: ThreadSet::default(),
            parked_on: SecondaryMap::new(),
            parked_key: Vec::new(),
            deadlines: BTreeSet::new(),
            joiners: BTreeMap::new(),
            waiters: crate::waiters::Waiters::default(),
            woken: Vec::new(),
            dirty: true,
            runnable_has_parked: false,
        }
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
        let step_ns_max = self.kernel.config().step_ns_max;
        if step_ns_max > 0 {
            // Work takes time: what falls due meanwhile (deliveries, deadlines) lands now,
            // between this thread's steps, and may wake others.
            let dt = self.decisions.step_ns(step_ns_max);
            self.now_ns += dt;
            self.kernel.advance(self.now_ns, &mut self.decisions);
        }
        self.collect_runnable();
        debug_assert!(
            self.runnable.contains(&self.current),
            "the running thread {} is not runnable",
            self.current
        );
        self.pick()
    }

    /// The strategy's pick among `runnable` (non-empty), recorded when asked.
    ///
    /// Most steps have one thread that can run and a strategy that keeps nothing for such
    /// picks: that answer is inlined, the strategy's call is not (its register saves cost
    /// the common case more than the answer itself).
    #[inline(always)]
    fn pick(&mut self) -> ThreadId {
        if self.runnable.len() == 1 && self.single_pick_free {
            return self.runnable[0];
        }
        self.pick_by_strategy()
    }

    #[inline(never)]
    fn pick_by_strategy(&mut self) -> ThreadId {
        let picked =
            self.strategy
                .pick(self.step, self.current, &self.runnable, &mut self.decisions);
        debug_assert!(
            self.runnable.contains(&picked),
            "picked a thread that cannot run"
        );
        if let Some(points) = &mut self.sched_points {
            if self.runnable.len() >= 2 {
                points.push(SchedPoint {
                    step: self.step,
                    current: self.current,
                    runnable: self.runnable.clone(),
                    picked,
                });
            }
        }
        picked
    }

    /// After the current thread parked or finished: who runs next, advancing virtual time
    /// when nobody can. Sets `stop` on deadlock or when every thread has finished.
    pub fn pick_after_park(&mut self) {
        loop {
            self.collect_runnable();
            if !self.runnable.is_empty() {
                self.current = self.pick();
                return;
            }
            let thread_deadline = self.earliest_deadline();
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
        // `what` is read in place, never copied into an `Event` unless a tail, an export or
        // coverage keeps it: a copy's 16-byte loads of fields the caller just stored one by
        // one stall store forwarding, and that stall was a fifth of the recorder's time.
        // Human logs carry virtual time; off (one static check) unless a subscriber asks.
        tracing::trace!(
            target: "simkern::step",
            virtual_ms = self.now_ns as f64 / 1e6,
            step = self.step,
            thread = self.current.as_u32(),
            what = ?what,
        );
        if let Some(oracles) = &mut self.oracles {
            let pid = self.procs.of(self.current).as_u32();
            if let Some(v) = oracles.observe_parts(self.now_ns, self.current, pid, &what) {
                let verdict = Stop::Oracle {
                    oracle: v.oracle,
                    message: v.message,
                    subjects: v.subjects,
                };
                if unwinding() && !self.tearing_down {
                    self.hold_verdict(verdict);
                } else {
                    self.stop.get_or_insert(verdict);
                }
            }
        }
        // Coverage for `guided` (off unless a run is wrapped in `coverage::collect`): reads
        // the event, never changes the run.
        if crate::coverage::active() {
            crate::coverage::observe(&Event {
                step: self.step,
                thread: self.current,
                time_ns: self.now_ns,
                what: what.clone(),
            });
        }
        self.trace
            .record(self.step, self.current, self.now_ns, &what);
    }
}

/// Suspends the coroutine of thread `me` (the one running this code) back to the run loop.
/// `me` is passed, not read from `current`, because a switch sets `current` to the thread
/// that runs next before this one suspends.
pub(crate) fn suspend(me: ThreadId) {
    if unwinding() {
        // The invariant of `crate::unwind`: `tearing_down` or `unwinding()` answers every
        // call at once before it can get here. An assert would panic inside a destructor during
        // cleanup, which aborts without its message; this says what broke first.
        eprintln!(
            "simkern: thread {me} would suspend while unwinding a panic; a syscall path does \
             not answer unwinding threads at once (sim/src/sys.rs)"
        );
        std::process::abort();
    }
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
        // A step is taken by a thread that is not unwinding: an unwinding it caught is over.
        w.end_unwinding(false);
        // A stop already decided (an oracle's verdict) ends the run at this thread's next step.
        if w.stop.is_some() || !w.count_step() {
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
