//! The nightly search: rotates units (scenario × variant × strategy × fault profile) over
//! fresh seeds until a wall-clock budget or a seed count is spent, keeps one failure per
//! distinct signature, shrinks each to a short schedule and explains it.
//!
//! Work is cut into rounds (`rotation`): a round is one unit over `round_seeds` consecutive
//! seeds, run as a `Batch` on a crash-isolated worker process. The `jobs` threads each take
//! the next round in rotation order, so every unit gets a fair share of the budget and a
//! stateful strategy (`dfs`, `guided`) keeps its chunk on one runner. Round `r` of a unit
//! covers seeds `first_seed + r * round_seeds ..`.
//!
//! - `units`: what is rotated over, and which variants are under test.
//! - `rotation`: the order rounds are handed out in, shards and the limit.
//! - `found`: per-unit figures, deduplication, and settling each distinct failure.
//! - `merge`: the shards' reports of one search as one report, failures deduplicated.

mod found;
pub mod merge;
mod rotation;
mod units;

pub use found::{FirstSeed, Found, UnitStats};
pub use rotation::{round_range, round_seeds, Limit, ROUND_SEEDS};
pub use units::{searchable, units, Unit, Variants};

use super::spec::Spec;
use super::worker;
use crate::seed_file::format_hash;
use crate::wall::{Deadline, Stopwatch};
use serde::{Deserialize, Serialize};
use simkern_sim::scenario::Scenario;
use simkern_sim::{fault, strategy};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// A nightly search.
#[derive(Clone, Debug)]
pub struct Options<'r> {
    pub scenarios: Vec<&'r Scenario>,
    pub variants: Variants,
    pub strategies: Vec<strategy::Kind>,
    pub faults: Vec<fault::Profile>,
    /// Narrows every unit's faults to these threads and calls.
    pub fault_scope: fault::Scope,
    pub limit: Limit,
    /// Rounds run in parallel, each on its own worker process.
    pub jobs: usize,
    /// Run only the rounds `r ≡ K (mod N)` of `(K, N)`.
    pub shard: Option<(u64, u64)>,
    pub first_seed: u64,
    pub step_budget: u64,
    /// `--kernel NAME=VALUE` settings, applied to every unit on top of its scenario's own
    /// kernel (`Scenario::kernel_config`).
    pub kernel: Vec<String>,
    /// Wall-clock time a seed may take before its worker is killed.
    pub seed_timeout: Duration,
    /// Most replays spent shrinking one failure.
    pub shrink_runs: u64,
    /// Output directory: `report.json`, `seeds/` (found), `shrunk/` (minimised).
    pub out: PathBuf,
    /// The binary's name, for the commands the report suggests.
    pub program: String,
}

/// The search's running totals, for progress.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    pub seeds: u64,
    pub failing: u64,
    pub distinct: usize,
}

/// The JSON report of a nightly search (`OUT/report.json`), or of its shards merged
/// (`merge`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub scenarios: Vec<String>,
    pub variants: String,
    pub strategies: Vec<String>,
    pub faults: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeds_asked: Option<u64>,
    pub first_seed: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// A merged report: how many shards it combines (`N` of their `K/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_shards: Option<u64>,
    pub jobs: usize,
    pub seeds_run: u64,
    /// Seeds killed at the budget's deadline (each unit lists its own in `not_run`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub seeds_not_run: u64,
    pub seeds_per_s: f64,
    pub search_wall_s: f64,
    pub wall_s: f64,
    pub units: Vec<UnitStats>,
    pub failures: Vec<Found>,
    pub errors: Vec<String>,
    /// The signal that stopped the search early (`SIGINT`, `SIGTERM`): the report covers the
    /// rounds that ran, and its failures were saved but shrunk only briefly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<String>,
}

impl Options<'_> {
    /// The path of the report `run` writes.
    pub fn report_path(&self) -> PathBuf {
        self.out.join("report.json")
    }
}

/// Runs the search of `opts` (calling `progress` after each round), settles each distinct
/// failure, and writes the report. Bad options are an error naming the option.
pub fn run(opts: &Options<'_>, progress: &(dyn Fn(Tally) + Sync)) -> Result<Report, String> {
    let wall = Stopwatch::start();
    let mut units = units(
        &opts.scenarios,
        opts.variants,
        &opts.strategies,
        &opts.faults,
        &opts.kernel,
    )?;
    for u in &mut units {
        u.fault_scope = opts.fault_scope.clone();
    }
    if opts.limit == Limit::Seeds(0) {
        return Err("--seeds 0: nothing to run".into());
    }
    if opts.jobs == 0 {
        return Err("--jobs must be at least 1".into());
    }
    if opts.seed_timeout.is_zero() {
        return Err("--seed-timeout must be at least 1 second".into());
    }
    if opts.step_budget == 0 {
        return Err("--step-budget 0: must be at least 1".into());
    }
    if round_range(opts.first_seed, 0, ROUND_SEEDS).is_none() {
        return Err(format!(
            "--first-seed {}: no seed at or after it (the last seed is {})",
            opts.first_seed,
            u64::MAX - 1
        ));
    }
    // Every output path is proven writable before the first seed runs.
    for dir in ["seeds", "shrunk"] {
        super::output::writable_dir("--out", &opts.out.join(dir))?;
    }
    super::output::report_file("--out", &opts.report_path())?;
    let shard = opts.shard.unwrap_or((0, 1));
    let rotation = Mutex::new(rotation::Rotation::new(
        units.iter().map(|u| round_seeds(u.strategy)).collect(),
        shard,
        opts.limit,
        opts.first_seed,
    ));
    let search = Mutex::new(found::Search::new(&units, opts.shard));
    let no_progress = |_: u64, _: u64| {};
    // A signal (installed by the CLI) stops the search: no new round, no new seed (the seeds
    // in flight finish). So does the budget, inside a round too: no seed starts after the
    // deadline, and a seed still running at it is killed with its worker and recorded as
    // not run, so a hung seed cannot stretch the night by its `--seed-timeout`.
    let deadline = match opts.limit {
        Limit::Budget(b) => Some(Deadline::after(
            b.saturating_sub(Duration::from_secs_f64(wall.seconds())),
        )),
        Limit::Seeds(_) => None,
    };
    let stop = || super::interrupt::requested().is_some() || deadline.is_some_and(|d| d.passed());
    crate::wall::scoped_workers(opts.jobs, || loop {
        if stop() {
            return;
        }
        let Some((unit, seeds)) = rotation.lock().expect("rotation lock").next() else {
            return;
        };
        let u = &units[unit];
        let batch = u.batch(seeds, opts.step_budget);
        let report = batch.run_until(
            &no_progress,
            &worker::factory(Spec::of(&batch), opts.seed_timeout, deadline),
            &stop,
        );
        let mut s = search.lock().expect("search lock");
        s.take(unit, u, report);
        progress(Tally {
            seeds: s.seeds_run,
            failing: s.failing_seeds(),
            distinct: s.found.len(),
        });
    });
    let search_wall = wall.seconds();
    let mut search = search.into_inner().expect("search lock");
    let interrupted = super::interrupt::requested();
    // Stopped by a signal, the work found so far is saved at once: each failure's seed file,
    // and a shrink of a few runs, not a long one.
    let shrink_runs = if interrupted.is_some() {
        1
    } else {
        opts.shrink_runs
    };

    // Each distinct failure: save its seed file, shrink it, explain the shrunk run.
    for found in &mut search.found {
        let u = &units[found.unit];
        if found.signature.is_crash() {
            // A campaign's seed depends on the seeds of its chunk before it: rerun from there
            // (a round is one chunk, so its first seed is the round's).
            let len = round_seeds(u.strategy);
            let round_start = opts.first_seed + (found.seed - opts.first_seed) / len * len;
            let from = if u.strategy.is_campaign() {
                round_start
            } else {
                found.seed
            };
            let batch = u.batch(from..found.seed + 1, opts.step_budget);
            let command = Spec::of(&batch)
                .run_command(&opts.program, &(from..found.seed + 1))
                .expect("nightly units run fault profiles");
            found.error = Some(format!(
                "the worker process died ({}); rerun alone: {command}",
                found.signature
            ));
            continue;
        }
        if let Err(e) = found::settle(found, u, &opts.out, opts.step_budget, shrink_runs) {
            found.error = Some(e);
        }
    }
    for st in &mut search.stats {
        st.seeds_per_s = st.seeds_run as f64 / st.busy_s.max(1e-9);
        st.run_hash = format_hash(st.hash_sum);
    }
    let mut scenarios: Vec<String> = Vec::new();
    for u in &units {
        if !scenarios.iter().any(|s| s == u.scenario.name) {
            scenarios.push(u.scenario.name.to_owned());
        }
    }
    let report = Report {
        scenarios,
        variants: opts.variants.to_string(),
        strategies: opts.strategies.iter().map(|s| s.to_string()).collect(),
        faults: opts.faults.iter().map(|f| f.to_string()).collect(),
        budget_s: match opts.limit {
            Limit::Budget(b) => Some(b.as_secs_f64()),
            Limit::Seeds(_) => None,
        },
        seeds_asked: match opts.limit {
            Limit::Seeds(n) => Some(n),
            Limit::Budget(_) => None,
        },
        first_seed: opts.first_seed,
        shard: opts.shard.map(|(k, n)| format!("{k}/{n}")),
        merged_shards: None,
        jobs: opts.jobs,
        seeds_run: search.seeds_run,
        seeds_not_run: search.stats.iter().map(|s| s.not_run.len() as u64).sum(),
        seeds_per_s: search.seeds_run as f64 / search_wall.max(1e-9),
        search_wall_s: search_wall,
        wall_s: wall.seconds(),
        units: search.stats,
        failures: search.found,
        errors: search.errors,
        interrupted: interrupted.map(super::interrupt::name),
    };
    let json = serde_json::to_string_pretty(&report).expect("reports serialise");
    let path = opts.report_path();
    std::fs::write(&path, format!("{json}\n")).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(report)
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
