//! `run`: one seeded run of a closure on the simulated kernel, and its `Outcome`.
//!
//! The closure is the root thread; the run ends when it returns (threads still alive are then
//! unwound), when a thread panics (its unwinding runs to its end first, taking no steps, so
//! the failure is the first panic), on deadlock, or when the step budget is spent. Everything
//! the run does is a function of the `Config`: the same config gives the same trace hash, in
//! this process or another.

use crate::decision::{Decision, Decisions, Fill};
use crate::fault::{self, Plan, Profile};
use crate::kernel::{self, Kernel};
use crate::strategy::{self, SchedPoint, Switch};
use crate::thread::{State, ThreadId};
use crate::trace::{Event, Trace};
use crate::world::{self, with_world, Stop, World};
use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult};
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

/// Default step budget: far above any scenario's honest length, low enough that a livelock is
/// reported in well under a second.
pub const STEP_BUDGET_DEFAULT: u64 = 5_000_000;
/// Stack of each simulated thread. Generous, because the code under test may recurse (the
/// Cap'n Proto scenario does, on purpose); the guard page turns an overflow into SIGSEGV,
/// which the crash-isolating runner records.
pub const THREAD_STACK_BYTES: usize = 1 << 20;

/// How a run's faults are chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Faults {
    Profile(Profile),
    Plan(Plan),
}

/// Everything a run depends on.
#[derive(Clone, Debug)]
pub struct Config {
    pub seed: u64,
    pub strategy: strategy::Kind,
    pub faults: Faults,
    /// Narrows the plan `faults` gives to some threads and calls.
    pub fault_scope: fault::Scope,
    pub step_budget: u64,
    pub kernel: kernel::Config,
    /// Decisions to replay; after them, `fill` says what answers.
    pub replay: Option<Vec<Decision>>,
    pub fill: Fill,
    /// A schedule to follow instead of `strategy` (shrunk seed files, exhaustive search).
    pub schedule: Option<Vec<Switch>>,
    /// Record every scheduling point (`Outcome::sched_points`).
    pub record_schedule: bool,
    /// Record every decision (for seed files and shrinking).
    pub record_decisions: bool,
    /// Keep the last events for a failure report (off for a batch's first pass, which reruns
    /// failing seeds anyway).
    pub keep_tail: bool,
    /// Keep every trace event (for export and explanations).
    pub keep_events: bool,
    /// Keep a digest per trace event (so a replay can name the first divergent step).
    pub keep_digests: bool,
}

impl Config {
    pub fn new(seed: u64) -> Self {
        Config {
            seed,
            strategy: strategy::Kind::Random,
            faults: Faults::Profile(Profile::None),
            fault_scope: fault::Scope::default(),
            step_budget: STEP_BUDGET_DEFAULT,
            kernel: kernel::Config::default(),
            replay: None,
            fill: Fill::Stream,
            schedule: None,
            record_schedule: false,
            record_decisions: false,
            keep_tail: true,
            keep_events: false,
            keep_digests: false,
        }
    }
}

/// What a run did.
#[derive(Debug)]
pub struct Outcome {
    pub stop: Stop,
    pub trace_hash: u64,
    pub steps: u64,
    pub events: u64,
    pub virtual_ns: u64,
    pub fault_plan: Plan,
    pub decisions: Option<Vec<Decision>>,
    pub sched_points: Option<Vec<SchedPoint>>,
    pub all_events: Option<Vec<Event>>,
    pub digests: Option<Vec<u32>>,
    /// The last events, for a failure report.
    pub tail: Vec<Event>,
    /// The kernel's tables at the end, for failure messages.
    pub kernel_state: String,
    /// Thread names by id.
    pub thread_names: Vec<String>,
    /// Each thread's process id, by thread index (fd numbers are per process).
    pub thread_pids: Vec<u32>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.stop == Stop::Completed
    }
}

thread_local! {
    /// The last panic (message, location) of a simulated thread on this OS thread.
    static LAST_PANIC: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// Panics of code under test are results, not noise: inside a run the hook records the
/// message instead of printing it; outside, it defers to the previous hook.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if world::in_run() {
                let message = match (
                    info.payload().downcast_ref::<&str>(),
                    info.payload().downcast_ref::<String>(),
                ) {
                    (Some(s), _) => s.to_string(),
                    (_, Some(s)) => s.clone(),
                    _ => "non-string panic payload".to_string(),
                };
                let location = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                LAST_PANIC.with(|p| *p.borrow_mut() = Some((message, location)));
            } else {
                previous(info);
            }
        }));
    });
}

type Thread = Coroutine<(), (), (), DefaultStack>;

/// Finished threads' stacks kept for the next threads on this OS thread: an `mmap` and
/// `munmap` per simulated thread per seed is a measurable share of a short seed. A stack's
/// old contents cannot reach the code (it writes before it reads), so reuse is invisible to
/// the run. Bounded so a run of thousands of threads does not pin their memory for good.
const STACK_POOL_MAX: usize = 256;

thread_local! {
    static STACKS: RefCell<Vec<DefaultStack>> = const { RefCell::new(Vec::new()) };
}

fn take_stack() -> DefaultStack {
    STACKS.with(|s| s.borrow_mut().pop()).unwrap_or_else(|| {
        DefaultStack::new(THREAD_STACK_BYTES).expect("mmap of a simulated thread's stack failed")
    })
}

fn give_stack(stack: DefaultStack) {
    STACKS.with(|s| {
        let mut pool = s.borrow_mut();
        if pool.len() < STACK_POOL_MAX {
            pool.push(stack);
        }
    });
}

/// Runs `root` on a fresh simulated kernel under `config`.
pub fn run(config: &Config, root: impl FnOnce() + 'static) -> Outcome {
    install_panic_hook();
    // A panic an earlier run's code caught must not name a later run's failure.
    LAST_PANIC.with(|p| p.borrow_mut().take());
    let mut decisions = Decisions::new(config.seed);
    if config.record_decisions {
        decisions = decisions.record();
    }
    if let Some(list) = &config.replay {
        decisions = decisions.replaying_then(list.clone(), config.fill);
    }
    let plan = config.fault_scope.apply(match &config.faults {
        Faults::Profile(p) => p.plan(&mut Decisions::for_plan(config.seed)),
        Faults::Plan(p) => p.clone(),
    });
    let strategy: Box<dyn strategy::Strategy> = match &config.schedule {
        Some(switches) => Box::new(strategy::Replay::new(switches.clone())),
        None => config.strategy.build(config.step_budget.min(100_000)),
    };
    let trace = Trace::new(config.keep_tail, config.keep_events, config.keep_digests);
    let mut world = World::new(
        Kernel::new(config.kernel.clone()),
        decisions,
        strategy,
        plan.clone(),
        trace,
        config.step_budget,
    );
    world.seed = config.seed;
    if config.record_schedule {
        world.sched_points = Some(Vec::new());
    }
    let installed = world::install(&mut world);
    with_world(|w| {
        w.add_thread("root", Box::new(root))
            .expect("the first thread fits")
    });

    let mut threads: Vec<Option<Thread>> = Vec::new();
    loop {
        let me = with_world(|w| w.current);
        if threads.len() <= me.index() {
            threads.resize_with(me.index() + 1, || None);
        }
        if threads[me.index()].is_none() {
            let body = with_world(|w| {
                let at = w
                    .pending_spawns
                    .iter()
                    .position(|(t, _)| *t == me)
                    .expect("picked thread was never spawned");
                w.pending_spawns.swap_remove(at).1
            });
            let stack = take_stack();
            threads[me.index()] = Some(Coroutine::with_stack(stack, move |yielder, ()| {
                with_world(|w| w.yielders[me.index()] = yielder as *const _);
                body();
            }));
        }
        let coroutine = threads[me.index()].as_mut().expect("created above");
        match catch_unwind(AssertUnwindSafe(|| coroutine.resume(()))) {
            Ok(CoroutineResult::Yield(())) => {}
            Ok(CoroutineResult::Return(())) => {
                if let Some(done) = threads[me.index()].take() {
                    give_stack(done.into_stack());
                }
                with_world(|w| {
                    // It returned, so any unwinding in it was caught.
                    w.end_unwinding(false);
                    w.set_state(me, State::Finished);
                    w.yielders[me.index()] = std::ptr::null();
                    if me == ThreadId::ROOT {
                        w.end_scenario();
                    } else {
                        w.thread_returned(me);
                    }
                });
            }
            Err(_) => {
                threads[me.index()] = None;
                let (message, location) = LAST_PANIC
                    .with(|p| p.borrow_mut().take())
                    .unwrap_or_else(|| ("panic".into(), String::new()));
                with_world(|w| {
                    // Its unwinding never suspended (see `world`), so no other thread ran since
                    // the panic: this is the run's first uncaught panic.
                    w.end_unwinding(true);
                    w.set_state(me, State::Finished);
                    w.yielders[me.index()] = std::ptr::null();
                    w.stop.get_or_insert(Stop::Panic {
                        thread: me,
                        message,
                        location,
                    });
                });
            }
        }
        let stopped = with_world(|w| {
            if w.stop.is_none() && w.threads[me.index()] != State::Runnable {
                w.pick_after_park();
            }
            w.stop.is_some()
        });
        if stopped {
            break;
        }
    }

    // Unwind the survivors so their destructors run (syscalls now act at once, unrecorded).
    with_world(|w| w.tearing_down = true);
    while let Some(t) = threads.pop() {
        // Its destructors' calls name its own process's fds.
        let me = ThreadId(threads.len() as u32);
        with_world(|w| {
            let pid = w.procs.of(me);
            w.kernel.enter(pid);
        });
        drop(t);
    }
    let kernel_state = with_world(|w| w.kernel.describe());
    drop(installed);
    let tail = world.trace.tail().cloned().collect();
    Outcome {
        stop: world.stop.take().expect("the loop ends only with a stop"),
        trace_hash: world.trace.hash(),
        steps: world.step,
        events: world.trace.len(),
        virtual_ns: world.now_ns,
        fault_plan: plan,
        decisions: world.decisions.take_recording(),
        sched_points: world.sched_points.take(),
        all_events: world.trace.take_all(),
        digests: world.trace.take_digests(),
        tail,
        kernel_state,
        thread_pids: (0..world.names.len() as u32)
            .map(|t| world.procs.of(ThreadId(t)).as_u32())
            .collect(),
        thread_names: std::mem::take(&mut world.names),
    }
}
