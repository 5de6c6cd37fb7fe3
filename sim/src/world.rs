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

use crate::decision::{Choice, Decisions};
use crate::fault::Plan;
use crate::kernel::{EpollKey, Kernel};
use crate::strategy::{SchedPoint, Strategy};
use crate::thread::{State, ThreadId, THREADS_MAX};
use crate::thread_set::ThreadSet;
use crate::trace::{Event, Trace, What};
use crate::unwind::{unwinding, Unwinding};
use corosensei::Yielder;
use slotmap::SecondaryMap;
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

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

    /// Changes a thread's state; every change goes through here, so the bookkeeping of who
    /// waits for what stays exact.
    pub fn set_state(&mut self, thread: ThreadId, state: State) {
        let before = self.threads[thread.index()];
        match before {
            State::Epoll { deadline_ns, .. } => {
                if let Some(key) = self.parked_key[thread.index()].take() {
                    let waiters = self
                        .parked_on
                        .get_mut(key)
                        .expect("parked thread is listed under its epoll");
                    // An emptied list stays: the loop parks on the same epoll again soon, and
                    // removing it would free and reallocate it at every park (7% of a step).
                    // The map grows by at most one entry per epoll a run creates.
                    waiters.retain(|&t| t != thread);
                }
                if let Some(d) = deadline_ns {
                    self.deadlines.remove(&(d, thread));
                }
            }
            State::Join { target } => {
                if let Some(j) = self.joiners.get_mut(&target) {
                    j.retain(|&t| t != thread);
                }
            }
            State::Wait { deadline_ns, .. } => {
                self.waiters.unpark(thread);
                if let Some(d) = deadline_ns {
                    self.deadlines.remove(&(d, thread));
                }
            }
            State::Runnable | State::Finished => {}
        }
        self.threads[thread.index()] = state;
        self.note_in_runnable(thread, before, state);
        match state {
            State::Runnable => {
                self.maybe.insert(thread);
            }
            State::Epoll { epfd, deadline_ns } => {
                // A thread parks only after a harvest found nothing and before its deadline,
                // so it cannot run now: it leaves the candidates until its epoll is woken or
                // its deadline passes (`collect_runnable` takes in both).
                debug_assert!(!self.can_run(thread), "{thread} parked while it could run");
                let key = self.kernel.epoll_key(epfd);
                self.parked_key[thread.index()] = key;
                if let Some(key) = key {
                    self.parked_on
                        .entry(key)
                        .expect("epoll_key returns the key of a live epoll")
                        .or_default()
                        .push(thread);
                }
                if let Some(d) = deadline_ns {
                    self.deadlines.insert((d, thread));
                }
                self.maybe.remove(thread);
            }
            State::Join { target } => {
                self.joiners.entry(target).or_default().push(thread);
                self.maybe.insert(thread);
            }
            State::Wait { deadline_ns, .. } => {
                // As for `Epoll`: it parks only when its wait cannot end now; its set was
                // given to `waiters` first, and it re-enters the candidates at each pick
                // while it waits on fds, or when its deadline passes.
                debug_assert!(!self.can_run(thread), "{thread} parked while it could run");
                if let Some(d) = deadline_ns {
                    self.deadlines.insert((d, thread));
                }
                self.maybe.remove(thread);
            }
            State::Finished => {
                self.maybe.remove(thread);
                for j in self.joiners.remove(&thread).unwrap_or_default() {
                    self.maybe.insert(j);
                }
            }
        }
    }

    /// Keeps `runnable` exact through `thread`'s change from `before` to `after` where that is
    /// cheap, and marks it for recomputation otherwise. The two changes of every round trip are
    /// cheap: a parked thread that was picked resumes (`Runnable`: it stays in the list), and
    /// the running thread parks (it leaves the list). Either leaves the rest of the list as a
    /// recomputation would find it, unless the list holds parked threads, whose readiness
    /// any syscall may take away; then it is recomputed as before.
    fn note_in_runnable(&mut self, thread: ThreadId, before: State, after: State) {
        if self.dirty {
            return;
        }
        let parked = |s: State| {
            matches!(
                s,
                State::Epoll { .. } | State::Join { .. } | State::Wait { .. }
            )
        };
        match (before, after) {
            (b, State::Runnable) if parked(b) && self.runnable.contains(&thread) => {
                // Still runnable; it no longer counts as a parked one.
                self.runnable_has_parked = self
                    .runnable
                    .iter()
                    .any(|t| self.threads[t.index()] != State::Runnable);
            }
            (State::Runnable, State::Epoll { .. }) if !self.runnable_has_parked => {
                // It cannot run (see `set_state`); the others are `Runnable` and stay so.
                self.runnable.retain(|&t| t != thread);
            }
            _ => self.dirty = true,
        }
    }

    /// Registers a thread of the spawner's process (the root: of process 1); its coroutine
    /// is made when it first runs.
    pub fn add_thread(&mut self, name: &str, f: Box<dyn FnOnce()>) -> Option<ThreadId> {
        let pid = match self.threads.is_empty() {
            true => crate::kernel::Pid::ROOT,
            false => self.procs.of(self.current),
        };
        self.add_thread_in(name, f, pid)
    }

    /// Registers a thread of process `pid`.
    pub fn add_thread_in(
        &mut self,
        name: &str,
        f: Box<dyn FnOnce()>,
        pid: crate::kernel::Pid,
    ) -> Option<ThreadId> {
        if self.threads.len() >= THREADS_MAX {
            return None;
        }
        let id = ThreadId(self.threads.len() as u32);
        self.procs.add(id, pid);
        self.threads.push(State::Runnable);
        self.parked_key.push(None);
        self.waiters.add_thread();
        self.maybe.insert(id);
        self.dirty = true;
        let inherited = self.harness.get(self.current.index()).copied() == Some(true);
        self.harness.push(inherited && !self.names.is_empty());
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
                deadline_ns.is_some_and(|d| d <= self.now_ns)
                    || self.kernel.epoll_is_ready_in(self.procs.of(thread), epfd)
            }
            State::Join { target } => self.threads[target.index()] == State::Finished,
            State::Wait { deadline_ns, .. } => {
                deadline_ns.is_some_and(|d| d <= self.now_ns)
                    || self
                        .waiters
                        .ready(thread, self.procs.of(thread), &self.kernel)
            }
            State::Finished => false,
        }
    }

    /// The runnable threads, exactly (`can_run` of every candidate), after taking in what
    /// may have woken parked threads since the last pick.
    fn collect_runnable(&mut self) {
        let mut woken = std::mem::take(&mut self.woken);
        self.kernel.take_woken(&mut woken);
        for key in &woken {
            if let Some(waiters) = self.parked_on.get(*key) {
                for &t in waiters {
                    self.maybe.insert(t);
                    self.dirty = true;
                }
            }
        }
        self.woken = woken;
        for &t in self.waiters.waiting() {
            self.maybe.insert(t);
            self.dirty = true;
        }
        while let Some(&(d, t)) = self.deadlines.first() {
            if d > self.now_ns {
                break;
            }
            self.deadlines.pop_first();
            self.maybe.insert(t);
            self.dirty = true;
        }
        if !self.dirty && !self.runnable_has_parked {
            // The incremental upkeep (`note_in_runnable`) must leave what a recomputation
            // finds (debug builds check it at every pick it skips).
            debug_assert_eq!(
                self.runnable,
                self.maybe
                    .iter()
                    .filter(|&t| self.can_run(t))
                    .collect::<Vec<_>>(),
                "runnable list out of date"
            );
            return;
        }
        let mut runnable = std::mem::take(&mut self.runnable);
        runnable.clear();
        runnable.extend(self.maybe.iter());
        // Keep exactly the runnable ones; drop parked candidates whose wait has not ended.
        runnable.retain(|&t| {
            let run = self.can_run(t);
            if !run {
                self.maybe.remove(t);
            }
            run
        });
        self.runnable_has_parked = runnable
            .iter()
            .any(|t| self.threads[t.index()] != State::Runnable);
        self.runnable = runnable;
        self.dirty = false;
    }

    /// The earliest deadline of a parked thread (`epoll_wait`, `poll`, `nanosleep`), if any.
    fn earliest_deadline(&self) -> Option<u64> {
        self.deadlines.first().map(|&(d, _)| d)
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
            let dt = self.decisions.choose(Choice::Kernel, step_ns_max + 1);
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
    fn pick(&mut self) -> ThreadId {
        if self.runnable.len() == 1 && self.single_pick_free {
            return self.runnable[0];
        }
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
