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

use crate::campaign::{self, Driver};
use crate::fault::{self, Plan, Profile};
use crate::kernel;
use crate::runner::{self, Config, Faults, Outcome};
use crate::scenario::{Scenario, Setup};
use crate::seed_file::{self, Expected, SeedFile};
use crate::signature::Signature;
use crate::strategy;
use serde::Serialize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

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

/// One failing seed in a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FailureRecord {
    pub seed: u64,
    pub signature: Signature,
    pub trace_hash: String,
    pub steps: u64,
    /// The seed file written for it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed_file: Option<String>,
}

/// The JSON report of a batch.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Report {
    pub scenario: String,
    pub variant: String,
    pub strategy: String,
    pub faults: String,
    pub seeds: String,
    /// `K/N` when this report covers one shard of `seeds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub seeds_run: u64,
    /// The simulated kernel's configuration, when not the default.
    #[serde(default, skip_serializing_if = "kernel::Config::is_default")]
    pub kernel: kernel::Config,
    pub failures: Vec<FailureRecord>,
    pub first_failure_seed: Option<u64>,
    pub wall_s: f64,
    pub sim_steps: u64,
    pub run_hash: String,
    /// The run was stopped before every seed ran (`Batch::run_until`): `seeds_run` counts
    /// the seeds that did, and `run_hash` sums theirs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stopped: bool,
    /// Seeds that started but were killed before they ended (at a nightly's deadline): not
    /// counted in `seeds_run`, in ascending order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_run: Vec<u64>,
    /// Problems that are not failures of the code under test (a seed file that could not be
    /// written, a failing seed that did not reproduce on its second run).
    pub errors: Vec<String>,
    /// What the strategy has to say, in seed order (`dfs:2: all 40 schedules explored`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One seed's result, as a batch keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SeedResult {
    pub trace_hash: u64,
    pub signature: Signature,
    pub steps: u64,
    /// A campaign's notes on this seed (see `Report::notes`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
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
        let make_runner: &RunnerFactory<'_> = &|| Box::new(InProcess(self, Driver::new()));
        self.run_watched(progress, on_failure, make_runner, stop)
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

    /// `run_until`, calling `on_failure` with each failing seed as it is found (in the order
    /// seeds finish, not seed order), so a caller can show failures while the batch runs.
    pub fn run_watched(
        &self,
        progress: &(dyn Fn(u64, u64) + Sync),
        on_failure: &(dyn Fn(u64, &Signature) + Sync),
        make_runner: &RunnerFactory<'_>,
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Report {
        let wall = crate::wall::Stopwatch::start();
        let chunks = self.chunk_count();
        // Results are folded in as they come (memory grows with the failures, not the seeds):
        // `run_hash` is a sum, so the order they come in does not matter.
        let tally = Mutex::new(Tally::default());
        let next = AtomicU64::new(0);
        let done = AtomicU64::new(0);
        let failed = AtomicU64::new(0);
        let stopped = std::sync::atomic::AtomicBool::new(false);
        let not_run = Mutex::new(Vec::new());
        let jobs = self
            .jobs
            .clamp(1, usize::try_from(chunks).unwrap_or(usize::MAX).max(1));
        crate::wall::scoped_workers(jobs, || {
            let mut runner = make_runner();
            loop {
                let c = next.fetch_add(1, Ordering::Relaxed);
                if c >= chunks {
                    return;
                }
                let chunk = self.chunk(c);
                for seed in chunk.clone() {
                    if stop() {
                        stopped.store(true, Ordering::Relaxed);
                        return;
                    }
                    let Some(r) = runner.run(seed, chunk.start) else {
                        // Killed at a deadline: not run, and nothing after it in this chunk.
                        not_run.lock().expect("not_run lock").push(seed);
                        stopped.store(true, Ordering::Relaxed);
                        return;
                    };
                    let failing = !r.signature.is_pass();
                    if failing {
                        failed.fetch_add(1, Ordering::Relaxed);
                        on_failure(seed, &r.signature);
                    }
                    tally
                        .lock()
                        .expect("tally lock")
                        .add(seed, r, failing || self.save_passing);
                    progress(
                        done.fetch_add(1, Ordering::Relaxed) + 1,
                        failed.load(Ordering::Relaxed),
                    );
                }
            }
        });
        let Tally {
            seeds_run,
            run_hash,
            sim_steps,
            mut kept,
            mut notes,
        } = tally.into_inner().expect("tally lock");
        // Seed order (chunks are ascending and a shard keeps their order), as one process
        // with one job would have met them.
        kept.sort_unstable_by_key(|(seed, _)| *seed);
        notes.sort_by_key(|(seed, _)| *seed);
        let notes: Vec<String> = notes.into_iter().flat_map(|(_, n)| n).collect();
        let crashed_seeds: Vec<u64> = kept
            .iter()
            .filter(|(_, r)| r.signature.is_crash())
            .map(|(s, _)| *s)
            .collect();
        // One driver for every seed file, so a campaign's chunk is rebuilt once, not per seed.
        let mut saver = Driver::new();
        let mut failures = Vec::new();
        let mut errors = Vec::new();
        for (seed, r) in kept {
            let SeedResult {
                trace_hash: hash,
                signature,
                steps,
                notes: _,
            } = r;
            let failing = !signature.is_pass();
            let mut record = FailureRecord {
                seed,
                signature,
                trace_hash: seed_file::format_hash(hash),
                steps,
                seed_file: None,
            };
            let crashed = record.signature.is_crash();
            if crashed && self.save_dir.is_some() {
                errors.push(format!(
                    "seed {seed} crashed its worker ({}); no seed file is written for a crash",
                    record.signature
                ));
            } else if failing || self.save_passing {
                if let Some(dir) = &self.save_dir {
                    match self.save_with(&mut saver, dir, seed, hash, &crashed_seeds) {
                        Ok(path) => record.seed_file = Some(path.display().to_string()),
                        Err(e) => errors.push(e),
                    }
                }
            }
            if failing {
                failures.push(record);
            }
        }
        Report {
            scenario: self.scenario.name.into(),
            variant: self.setup.variant.clone(),
            strategy: self.strategy.to_string(),
            faults: self.faults_name(),
            seeds: format!("{}..{}", self.seeds.start, self.seeds.end),
            shard: self.shard.map(|(k, n)| format!("{k}/{n}")),
            seeds_run,
            kernel: self.kernel.clone(),
            first_failure_seed: failures.first().map(|f| f.seed),
            failures,
            wall_s: wall.seconds(),
            sim_steps,
            run_hash: seed_file::format_hash(run_hash),
            stopped: stopped.into_inner(),
            not_run: {
                let mut s = not_run.into_inner().expect("not_run lock");
                s.sort_unstable();
                s
            },
            errors,
            notes,
        }
    }

    /// Reruns `seed` with digests kept and writes its seed file (never overwriting).
    pub fn save(&self, dir: &Path, seed: u64, first_hash: u64) -> Result<PathBuf, String> {
        self.save_with(&mut Driver::new(), dir, seed, first_hash, &[])
    }

    /// `save` through `driver`, whose campaign state is reused for later seeds of the chunk;
    /// `crashed` are seeds of the batch whose workers died (not rerun here).
    fn save_with(
        &self,
        driver: &mut Driver,
        dir: &Path,
        seed: u64,
        first_hash: u64,
        crashed: &[u64],
    ) -> Result<PathBuf, String> {
        let (config, outcome) = driver.rerun(self, seed, self.chunk_start(seed), crashed);
        if outcome.trace_hash != first_hash {
            return Err(format!(
                "seed {seed} is not deterministic: trace hash {} on the first run, {} on the second",
                seed_file::format_hash(first_hash),
                seed_file::format_hash(outcome.trace_hash)
            ));
        }
        let file = self.seed_file(&config, &outcome);
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
        let path = dir.join(format!(
            "{}-{}-{seed}.json",
            self.scenario.name, self.setup.variant
        ));
        file.save_new(&path)?;
        Ok(path)
    }

    /// The seed file describing `outcome` of the run `config` (a campaign's run carries its
    /// own seed of streams, decision list and schedule; the file's name keeps the batch's).
    pub fn seed_file(&self, config: &Config, outcome: &Outcome) -> SeedFile {
        SeedFile {
            format: seed_file::FORMAT,
            scenario: self.scenario.name.into(),
            variant: self.setup.variant.clone(),
            params: self.setup.params.clone(),
            seed: config.seed,
            strategy: config.strategy,
            faults: self.faults_name(),
            fault_plan: outcome.fault_plan.clone(),
            step_budget: self.step_budget,
            kernel: self.kernel.clone(),
            // A campaign's run replays its whole recorded list (plans draw from their own
            // stream and one-answer choices are not recorded, so the list is exactly what a
            // replay reads).
            decisions: outcome.decisions.clone(),
            fill: crate::decision::Fill::Stream,
            schedule: config.schedule.clone(),
            expected: Expected {
                outcome: Signature::of(&outcome.stop),
                trace_hash: seed_file::format_hash(outcome.trace_hash),
                steps: outcome.steps,
            },
            digests: outcome.digests.as_deref().map(seed_file::encode_digests),
            postmortem: String::new(),
        }
    }
}

/// What a batch keeps of its seeds while they run: sums and counts, and the seeds it must
/// still act on (failures, and every seed when passing ones are saved too).
#[derive(Default)]
struct Tally {
    seeds_run: u64,
    run_hash: u64,
    sim_steps: u64,
    /// Seeds to report or save, with their results (notes moved to `notes`).
    kept: Vec<(u64, SeedResult)>,
    /// Each seed's notes, for the seeds that have any.
    notes: Vec<(u64, Vec<String>)>,
}

impl Tally {
    fn add(&mut self, seed: u64, mut r: SeedResult, keep: bool) {
        self.seeds_run += 1;
        self.run_hash = self.run_hash.wrapping_add(seed_digest(seed, r.trace_hash));
        self.sim_steps = self.sim_steps.saturating_add(r.steps);
        if !r.notes.is_empty() {
            self.notes.push((seed, std::mem::take(&mut r.notes)));
        }
        if keep {
            self.kept.push((seed, r));
        }
    }
}

/// One seed's share of `run_hash` (SplitMix64's finaliser over seed and hash).
pub fn seed_digest(seed: u64, trace_hash: u64) -> u64 {
    let mut z = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ trace_hash;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
