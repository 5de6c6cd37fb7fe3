//! `check`: run code under test over many seeds inside `#[test]`, the way users test their code.
//!
//! Two forms: `check(|| ...)` runs a closure as the root simulated thread (shuttle's
//! `check_random` shape); `Check::new(&SCENARIO, variant)` runs a named scenario, whose failing
//! seeds can also be saved as seed files and replayed, shrunk and explained by a `simkern`
//! binary. Both take the same knobs and the same environment:
//! - `SIMKERN_SEEDS=N` (default `SEEDS_DEFAULT`) seeds from `SIMKERN_FIRST_SEED=S` (default
//!   0, or `.first_seed(S)`); `SIMKERN_SEED=S` runs exactly one.
//! - `SIMKERN_STRATEGY=random|pct:D|...` and `SIMKERN_FAULTS=none|default|swarm` override the
//!   test's own choice (so a CI job can sweep the same tests under swarm);
//!   `SIMKERN_FAULT_THREADS=server,worker*` and `SIMKERN_FAULT_CALLS=read,accept4` narrow the
//!   faults to those threads and calls (as `.fault_threads`/`.fault_calls` do).
//! - `SIMKERN_CHECK_IN_PROCESS=1` (or `.in_process()`) runs in this process.
//!
//! Crash isolation (the default): the seeds run in a child process, the test binary run again
//! for this one test (as `rusty-fork` does), so an abort, a stack overflow, a segfault or a
//! hang (`SIMKERN_CHECK_TIMEOUT_S`, default `TIMEOUT_S_DEFAULT`) of the code under test is a
//! failing seed with its replay command, never a dead test binary. The child re-runs the test
//! function up to this `Check` (code before it runs twice, as under `rusty-fork`; earlier
//! checks of the same test run in the child's own process, so the body goes on as it did),
//! runs the seeds, and exits. It names its progress on stderr (`PROGRESS`), so the parent knows which
//! seed was running when it died. The test's name comes from its libtest thread; a test run
//! with `--test-threads=1` (no named thread) or given `.name("path::to::test")` otherwise.
//!
//! On the first failure the test panics with the seed, the failure, the last events and the
//! commands that replay it (`SIMKERN_SEED=S cargo test NAME`, and for a scenario the seed file
//! written under `target/simkern-check/` and the `replay FILE` command of a binary built on
//! `simkern::cli::main`).
//!
//! - `env`: the environment variables above, read once per `Check::run`.
//! - `isolated`: the child process, its timeout, and reading its progress from stderr.
//! - `report`: the failure message, its replay commands and the seed file it names.

mod env;
mod isolated;
mod report;

use crate::batch::{Batch, FaultSpec};
use env::env;
use simkern_sim::fault::{self, Plan, Profile};
use simkern_sim::kernel;
use simkern_sim::runner::{self, Config, Outcome, STEP_BUDGET_DEFAULT};
use simkern_sim::scenario::Scenario;
use simkern_sim::strategy;
use std::cell::Cell;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Seeds a check runs when `SIMKERN_SEEDS` is not set: enough to catch a bug a random walk
/// finds in one run of a hundred, quick enough for `cargo test`.
pub const SEEDS_DEFAULT: u64 = 100;
/// Wall-clock seconds a crash-isolated check may take before its child is killed and the
/// running seed reported as hung. Generous: it must never fire on a slow CI machine.
pub const TIMEOUT_S_DEFAULT: u64 = 600;
/// Where a failing scenario seed's file is written (relative to the test's working
/// directory, the package root under `cargo test`).
pub const SAVE_DIR_DEFAULT: &str = "target/simkern-check";

/// The child's environment variable: `TEST_NAME#K`, run the `K`-th `Check` of that test.
const CHILD_ENV: &str = "SIMKERN_CHECK_CHILD";
/// Lines the child prints on stderr: `PROGRESS seed` before each seed, `FAILURE` before the
/// failure report (the rest of stderr).
const PROGRESS: &str = "simkern-check: seed ";
const FAILURE: &str = "simkern-check: failure\n";

/// What runs as the root thread.
#[derive(Clone)]
enum Root {
    Scenario(Box<Batch>),
    Closure(Arc<dyn Fn() + Send + Sync>),
}

/// A multi-seed check: a scenario or a closure, its seeds, strategy, faults and kernel.
#[derive(Clone)]
pub struct Check {
    root: Root,
    first_seed: u64,
    seeds: u64,
    strategy: strategy::Kind,
    faults: FaultSpec,
    fault_scope: fault::Scope,
    kernel: kernel::Config,
    step_budget: u64,
    in_process: bool,
    name: Option<String>,
    save_dir: Option<PathBuf>,
    timeout: Option<Duration>,
}

/// Runs `f` as the root simulated thread over `SEEDS_DEFAULT` seeds (the environment as for
/// `Check`), crash-isolated; panics on the first failing seed with its replay command.
///
/// ```no_run
/// // In a user's crate: `use simkern::prelude::*;` brings the same names.
/// use simkern_poller::Sys;
/// use simkern_search::check::check;
/// use simkern_sim::SimSys;
///
/// // Inside `#[test] fn a_spawned_thread_is_joined()`:
/// check(|| {
///     let t = SimSys.spawn("worker", || {}).unwrap();
///     SimSys.join(t);
/// });
/// ```
pub fn check(f: impl Fn() + Send + Sync + 'static) {
    Check::closure(f).run();
}

thread_local! {
    /// How many checks this test thread has run: the index of the next one.
    static RAN: Cell<u32> = const { Cell::new(0) };
}

impl Check {
    fn with_root(root: Root) -> Check {
        Check {
            root,
            first_seed: 0,
            seeds: SEEDS_DEFAULT,
            strategy: strategy::Kind::Random,
            faults: FaultSpec::Profile(Profile::None),
            fault_scope: fault::Scope::default(),
            kernel: kernel::Config::default(),
            step_budget: STEP_BUDGET_DEFAULT,
            in_process: false,
            name: None,
            save_dir: Some(PathBuf::from(SAVE_DIR_DEFAULT)),
            timeout: None,
        }
    }

    /// A check of `scenario`; `variant` `None` is its default; parameters take their
    /// defaults. Panics on an unknown variant (a bug of the test).
    pub fn new(scenario: &Scenario, variant: Option<&str>) -> Self {
        let setup = scenario
            .setup(variant, &[])
            .unwrap_or_else(|e| panic!("{e}"));
        Check::with_root(Root::Scenario(Box::new(Batch {
            scenario: *scenario,
            setup,
            seeds: 0..SEEDS_DEFAULT,
            strategy: strategy::Kind::Random,
            faults: FaultSpec::Profile(Profile::None),
            fault_scope: fault::Scope::default(),
            step_budget: STEP_BUDGET_DEFAULT,
            jobs: 1,
            save_dir: None,
            save_passing: false,
            shard: None,
            kernel: scenario
                .kernel_config(&[])
                .unwrap_or_else(|e| panic!("{e}")),
        })))
    }

    /// A check of a closure run as the root simulated thread.
    pub fn closure(f: impl Fn() + Send + Sync + 'static) -> Self {
        Check::with_root(Root::Closure(Arc::new(f)))
    }

    /// Sets scenario parameter `name`. Panics on a closure check or an unknown parameter.
    pub fn param(mut self, name: &str, value: u64) -> Self {
        let Root::Scenario(batch) = &mut self.root else {
            panic!("Check::param({name:?}): a closure check has no parameters");
        };
        let mut overrides: Vec<(String, u64)> = batch
            .setup
            .params
            .iter()
            .filter(|(k, _)| *k != name)
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        overrides.push((name.to_owned(), value));
        batch.setup = batch
            .scenario
            .setup(Some(&batch.setup.variant), &overrides)
            .unwrap_or_else(|e| panic!("{e}"));
        self
    }

    /// How many seeds (`SIMKERN_SEEDS` overrides it).
    pub fn seeds(mut self, n: u64) -> Self {
        self.seeds = n;
        self
    }

    /// The first seed (`SIMKERN_FIRST_SEED` overrides it).
    pub fn first_seed(mut self, s: u64) -> Self {
        self.first_seed = s;
        self
    }

    /// The scheduling strategy (`SIMKERN_STRATEGY` overrides it).
    pub fn strategy(mut self, s: strategy::Kind) -> Self {
        self.strategy = s;
        self
    }

    /// A fault profile (`SIMKERN_FAULTS` overrides it).
    pub fn faults(mut self, p: Profile) -> Self {
        self.faults = FaultSpec::Profile(p);
        self
    }

    /// A concrete fault plan for every seed (`SIMKERN_FAULTS` overrides it).
    pub fn plan(mut self, plan: Plan) -> Self {
        self.faults = FaultSpec::Plan(plan);
        self
    }

    /// Faults only in these threads: names, or prefixes ending in `*` (`SIMKERN_FAULT_THREADS`,
    /// comma-separated, overrides it). Panics on a malformed pattern (a bug of the test).
    pub fn fault_threads(mut self, threads: &[&str]) -> Self {
        let threads = threads.iter().map(|t| t.to_string()).collect();
        self.fault_scope = fault::Scope::new(threads, self.fault_scope.calls)
            .unwrap_or_else(|e| panic!("Check::fault_threads: {e}"));
        self
    }

    /// Faults only in these calls, named as in traces (`read`, `accept4`, `epoll_wait`;
    /// `SIMKERN_FAULT_CALLS` overrides it). Panics on an unknown call.
    pub fn fault_calls(mut self, calls: &[&str]) -> Self {
        let calls = calls.iter().map(|c| c.to_string()).collect();
        self.fault_scope = fault::Scope::new(self.fault_scope.threads, calls)
            .unwrap_or_else(|e| panic!("Check::fault_calls: {e}"));
        self
    }

    /// The simulated kernel's configuration (fd limit, buffers, freedoms, target version).
    /// Panics on a config `kernel::Config::check` refuses.
    pub fn kernel(mut self, config: kernel::Config) -> Self {
        if let Err(e) = config.check() {
            panic!("Check::kernel: {e}");
        }
        self.kernel = config;
        self
    }

    /// Sets one kernel tunable by name, as `--kernel NAME=VALUE` does. Panics on a bad one.
    pub fn kernel_set(mut self, name: &str, value: &str) -> Self {
        if let Err(e) = self.kernel.set(name, value) {
            panic!("Check::kernel_set: {e}");
        }
        self
    }

    /// The step budget per seed (livelock bound).
    pub fn step_budget(mut self, steps: u64) -> Self {
        self.step_budget = steps;
        self
    }

    /// Run in this process, without crash isolation (faster; an abort takes the test binary
    /// down with it).
    pub fn in_process(mut self) -> Self {
        self.in_process = true;
        self
    }

    /// The test's full name (`module::test`), for the child process and the replay command,
    /// where the libtest thread name is not there (`--test-threads=1`).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// How long the crash-isolated child may take before it is killed and the seed it was
    /// running reported as hung (`SIMKERN_CHECK_TIMEOUT_S` overrides it).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Where a failing scenario seed's file is written; `None` writes none.
    pub fn save_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.save_dir = dir;
        self
    }

    fn config(&self, seed: u64) -> Config {
        let mut c = Config::new(seed);
        c.strategy = self.strategy;
        c.faults = self.faults.faults();
        c.fault_scope = self.fault_scope.clone();
        c.step_budget = self.step_budget;
        c.kernel = self.kernel.clone();
        c
    }

    fn run_seed(&self, seed: u64) -> Outcome {
        let config = self.config(seed);
        match &self.root {
            Root::Scenario(b) => runner::run(&config, b.scenario.root(&b.setup)),
            Root::Closure(f) => {
                let f = Arc::clone(f);
                runner::run(&config, move || f())
            }
        }
    }

    /// What is checked, for messages: `scenario (variant)` or `closure`.
    fn what(&self) -> String {
        match &self.root {
            Root::Scenario(b) => format!("{} ({})", b.scenario.name, b.setup.variant),
            Root::Closure(_) => "check(closure)".into(),
        }
    }

    fn test_name(&self) -> Option<String> {
        self.name.clone().or_else(|| {
            std::thread::current()
                .name()
                .filter(|n| *n != "main")
                .map(str::to_owned)
        })
    }

    /// Runs the seeds and panics on the first failure.
    pub fn run(self) {
        let this = self.with_env();
        let index = RAN.with(|r| {
            let i = r.get();
            r.set(i + 1);
            i
        });
        let name = this.test_name();
        let me = name.as_ref().map(|n| format!("{n}#{index}"));
        match env(CHILD_ENV) {
            // The child, at its check: run it here and end the process, so the rest of the
            // test function does not run twice.
            Some(child) if Some(&child) == me.as_ref() => {
                let code = match this.run_here(true) {
                    Ok(()) => 0,
                    Err(report) => {
                        eprint!("{FAILURE}{report}");
                        1
                    }
                };
                std::process::exit(code);
            }
            // The child, at an earlier check of the test: run it here as the parent ran it in
            // its child, so that the test body goes on exactly as it did there (it may
            // catch the check's failure and look at it).
            Some(_) => {
                if let Err(report) = this.run_here(false) {
                    panic!("{report}");
                }
            }
            None => {
                let in_process = this.in_process || env("SIMKERN_CHECK_IN_PROCESS").is_some();
                let result = match (&name, in_process) {
                    (Some(name), false) => this.run_isolated(name, index),
                    _ => this.run_here(false),
                };
                if let Err(report) = result {
                    panic!("{report}");
                }
            }
        }
    }

    /// Runs every seed in this process; the failure report on the first failure.
    fn run_here(&self, child: bool) -> Result<(), String> {
        for seed in self.seed_range() {
            if child {
                eprintln!("{PROGRESS}{seed}");
            }
            let outcome = self.run_seed(seed);
            if !outcome.passed() {
                return Err(self.failure(seed, &outcome));
            }
        }
        Ok(())
    }
}
