//! `Batch`: many seeds of one scenario, in parallel, into one `Report`.
//!
//! Seeds run side by side on `jobs` OS threads (never inside one seed: a seed is one thread's
//! coroutines). `run_hash` is a wrapping sum over seeds of a mix of (seed, trace hash): it
//! does not depend on order, on `--jobs`, or on how seeds were split into shards, and the
//! `run_hash` of a merged set of shard reports is the sum of theirs. It does not
//! depend on `--jobs` or on completion order, and two batches can be compared by it. Each
//! failing seed is run a second time with per-step digests kept; the two hashes must agree
//! (a determinism check on every failure), and the second run's record becomes the seed file.
//!
//! Nothing grows with the number of seeds: chunks are computed from the range on demand
//! (a range may hold 2^64 - 1 seeds), and each seed's result is folded into sums and counts
//! as it comes; only failures (and, with `save_passing`, every seed to save) are kept.
//!
//! Seeds are handed out in chunks (`crate::campaign`): one seed each for the stateless
//! strategies, longer runs of seeds for `dfs` and `guided`, whose seeds depend on the ones
//! before them. A chunk runs in order on one runner, and `--shard K/N` takes every `N`-th
//! chunk, so results stay independent of `--jobs` and merged shards equal the whole run.
//!
//! - `parallel`: `run_watched`, the worker loop and the report it assembles.
//! - `report`: `Report`, `FailureRecord`, `SeedResult`, `seed_digest`, `Ran`.
//! - `save`: a failing seed's second run and its seed file (and that run's outcome).

use crate::campaign::{self, Driver};
use crate::signature::Signature;
use simkern_sim::fault::{self, Plan, Profile};
use simkern_sim::kernel;
use simkern_sim::runner::{self, Config, Faults, Outcome};
use simkern_sim::scenario::{Scenario, Setup};
use simkern_sim::strategy;
use std::ops::Range;
use std::path::PathBuf;

mod parallel;
mod report;
mod save;
pub use report::{seed_digest, FailureRecord, Ran, Report, SeedResult};

/// How a batch picks fault plans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultSpec {
    Profile(Profile),
    Plan(Plan),
}

impl FaultSpec {
    pub fn name(&self) -> String {
        match self {
            FaultSpec::Profile(p) => p.to_string(),
            FaultSpec::Plan(_) => "plan".into(),
        }
    }

    /// The runner's form of this spec.
    pub(crate) fn faults(&self) -> Faults {
        match self {
            FaultSpec::Profile(p) => Faults::Profile(*p),
            FaultSpec::Plan(p) => Faults::Plan(p.clone()),
        }
    }
}

/// A batch of seeds.
#[derive(Clone, Debug)]
pub struct Batch {
    pub scenario: Scenario,
    pub setup: Setup,
    pub seeds: Range<u64>,
    /// Run only shard `k` of `n`: the chunks whose index is `k` mod `n` (for the stateless
    /// strategies, whose chunks are single seeds: the seeds whose offset from `seeds.start`
    /// is `k` mod `n`).
    pub shard: Option<(u64, u64)>,
    pub strategy: strategy::Kind,
    pub faults: FaultSpec,
    /// The threads and calls the faults are narrowed to (`--fault-threads`, `--fault-calls`).
    pub fault_scope: fault::Scope,
    pub step_budget: u64,
    pub jobs: usize,
    pub save_dir: Option<PathBuf>,
    pub save_passing: bool,
    /// The simulated kernel's configuration for every seed (fd limit, buffers, freedoms,
    /// target version).
    pub kernel: kernel::Config,
}

/// Runs seeds one at a time, somewhere (this process, or a worker process). A runner is
/// given each chunk's seeds in order (`chunk_start` names the chunk) and keeps the campaign
/// state of a stateful strategy between them. `None`: the seed was stopped before it ended
/// (a worker killed at a nightly's deadline) and counts as not run.
pub trait SeedRunner {
    fn run(&mut self, seed: u64, chunk_start: u64) -> Option<SeedResult>;
}

/// Makes one `SeedRunner` per job.
pub type RunnerFactory<'a> = dyn Fn() -> Box<dyn SeedRunner + 'a> + Sync + 'a;

struct InProcess<'a>(&'a Batch, Driver);

impl SeedRunner for InProcess<'_> {
    fn run(&mut self, seed: u64, chunk_start: u64) -> Option<SeedResult> {
        Some(self.1.run(self.0, seed, chunk_start, &[], &mut || {}))
    }
}

impl Batch {
    /// The faults as reports and seed files name them: the profile, and the scope if narrowed
    /// (`swarm in threads server in calls read,write`).
    pub fn faults_name(&self) -> String {
        format!("{}{}", self.faults.name(), self.fault_scope.described())
    }

    pub fn config(&self, seed: u64) -> Config {
        let mut c = Config::new(seed);
        c.strategy = self.strategy;
        c.faults = self.faults.faults();
        c.fault_scope = self.fault_scope.clone();
        c.step_budget = self.step_budget;
        c.kernel = self.kernel.clone();
        c
    }

    /// Runs one seed.
    pub fn run_seed(&self, config: &Config) -> Outcome {
        runner::run(config, self.scenario.root(&self.setup))
    }

    /// The chunks of the whole range (every shard's), computed on demand.
    fn all_chunks(&self) -> campaign::Chunks {
        campaign::chunks(self.strategy, self.seeds.clone())
    }

    /// `(k, n)` of the shard this batch runs; `(0, 1)` when it runs the whole range.
    fn shard_or_all(&self) -> (u64, u64) {
        self.shard.unwrap_or((0, 1))
    }

    /// How many chunks this batch runs (the range's, or its shard's).
    pub fn chunk_count(&self) -> u64 {
        let (k, n) = self.shard_or_all();
        let count = self.all_chunks().count();
        if count <= k {
            0
        } else {
            (count - 1 - k) / n + 1
        }
    }

    /// Chunk `i` of the ones this batch runs, in order (`i < chunk_count()`).
    pub fn chunk(&self, i: u64) -> Range<u64> {
        let (k, n) = self.shard_or_all();
        // `chunk_count` bounds `i`, so `k + i * n` is a chunk index of the range.
        self.all_chunks().get(k + i * n)
    }

    /// How many seeds this batch runs (the range, or its shard), without listing them.
    pub fn seed_count(&self) -> u64 {
        let (k, n) = self.shard_or_all();
        self.all_chunks().seeds_in_shard(k, n)
    }

    /// The first seed of the chunk holding `seed`.
    pub fn chunk_start(&self, seed: u64) -> u64 {
        campaign::chunk_start(self.strategy, &self.seeds, seed)
    }

    /// Runs one seed of a stateless strategy in this process, for a batch (no trace tail
    /// kept). Campaign strategies go through a `campaign::Driver`.
    pub fn run_one(&self, seed: u64) -> SeedResult {
        assert!(
            !self.strategy.is_campaign(),
            "{}: a campaign's seeds run through campaign::Driver",
            self.strategy
        );
        let mut config = self.config(seed);
        config.keep_tail = false;
        let outcome = self.run_seed(&config);
        SeedResult {
            trace_hash: outcome.trace_hash,
            signature: Signature::of(&outcome.stop),
            steps: outcome.steps,
            notes: Vec::new(),
        }
    }

    /// Runs `seed` again as the batch ran it (for a campaign, rebuilding its chunk's state in
    /// this process, skipping the seeds in `crashed`), with the trace tail and digests kept.
    pub fn rerun(&self, seed: u64, crashed: &[u64]) -> (Config, Outcome) {
        Driver::new().rerun(self, seed, self.chunk_start(seed), crashed)
    }

    /// Runs every seed in this process; `progress` is called after each with (done, failures).
    pub fn run(&self, progress: &(dyn Fn(u64, u64) + Sync)) -> Report {
        self.run_with(progress, &|| Box::new(InProcess(self, Driver::new())))
    }

    /// `run`, stopping early when `stop` says so (see `run_until`).
    pub fn run_in_process_until(
        &self,
        progress: &(dyn Fn(u64, u64) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Report {
        self.run_in_process_watched(progress, &|_, _| {}, stop)
    }

    /// `run_in_process_until`, calling `on_failure` with each failing seed as it is found.
    pub fn run_in_process_watched(
        &self,
        progress: &(dyn Fn(u64, u64) + Sync),
        on_failure: &(dyn Fn(u64, &Signature) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Report {
        self.run_watched(progress, on_failure, &|| self.in_process(), stop)
    }

    /// A runner of this batch's seeds in this process (no crash isolation).
    pub fn in_process(&self) -> Box<dyn SeedRunner + '_> {
        Box::new(InProcess(self, Driver::new()))
    }

    /// Runs every seed through runners made by `make_runner`, one per job (the CLI makes
    /// crash-isolating worker processes; the library runs in-process).
    pub fn run_with(
        &self,
        progress: &(dyn Fn(u64, u64) + Sync),
        make_runner: &RunnerFactory<'_>,
    ) -> Report {
        self.run_until(progress, make_runner, &|| false)
    }

    /// `run_with`, checking `stop` before each seed: once it says so, no further seed starts,
    /// the seeds in flight finish, and the report (`stopped`) covers the seeds that ran,
    /// with seed files for their failures.
    pub fn run_until(
        &self,
        progress: &(dyn Fn(u64, u64) + Sync),
        make_runner: &RunnerFactory<'_>,
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Report {
        self.run_watched(progress, &|_, _| {}, make_runner, stop)
    }
}
