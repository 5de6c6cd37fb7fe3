//! `simkern nightly`: the fuzz-style search. Rotates scenarios, variants, strategies and fault
//! profiles over fresh seeds until a wall-clock budget or a seed count is spent, keeps one
//! failure per distinct signature, shrinks each to a short schedule and explains it.
//!
//! Work is cut into rounds: a round is one unit (scenario, variant, strategy, faults) over
//! `ROUND_SEEDS` consecutive seeds, run as a `Batch` on a crash-isolated worker process. The
//! `jobs` threads each take the next round in rotation order, so every unit gets a fair share
//! of the budget and a stateful strategy (`dfs`, `guided`) keeps its chunk on one runner.
//! Round `r` of unit `u` covers seeds `first + r * ROUND_SEEDS ..`; with `--shard K/N` this
//! process runs the rounds `r ≡ K (mod N)`, so shards never overlap and together cover what
//! one process would.

use crate::Outcome;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use simkern::sim::batch::{signature, Batch, FailureRecord, FaultSpec, CRASH_PREFIX};
use simkern::sim::runner::{self, STEP_BUDGET_DEFAULT};
use simkern::sim::seed_file::{format_hash, SeedFile};
use simkern::sim::wall::Stopwatch;
use simkern::sim::{explain, fault, scenario, shrink, strategy};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

/// Seeds per round: long enough that a worker's start (a few ms) is noise, short enough that
/// a 2-minute budget still visits every unit many times. `guided` rounds are one whole chunk
/// of its campaign (its corpus lives as long as the chunk).
const ROUND_SEEDS: u64 = 256;

fn round_seeds(kind: strategy::Kind) -> u64 {
    match kind {
        strategy::Kind::Guided => simkern::sim::campaign::GUIDED_CHUNK,
        _ => ROUND_SEEDS,
    }
}

/// Seconds between JSON progress lines when stdout is not a terminal.
const PROGRESS_EVERY_S: f64 = 5.0;

/// Strategies rotated by default: a random walk, PCT shallow and deeper, preemption-bounded
/// exhaustive search (bound 1: its trees are small enough that a round of 256 schedules
/// explores a useful share of one) and the coverage-guided fuzzer.
const STRATEGIES_DEFAULT: &str = "random,pct:2,pct:5,dfs:1,guided";

#[derive(clap::Args)]
pub struct Args {
    /// Scenarios to search: all, or a comma-separated list.
    #[arg(long, default_value = "all")]
    scenarios: String,
    /// Variants under test: fixed (the default: a failure is a regression), buggy (every
    /// variant whose name starts with `buggy`, to check the search finds them) or all.
    #[arg(long, default_value = "fixed")]
    variants: String,
    /// Wall-clock budget for the search (e.g. 90s, 2m, 30m, 8h); shrinking comes after it.
    #[arg(long, conflicts_with = "seeds", required_unless_present = "seeds")]
    budget: Option<String>,
    /// Total seeds to run (over all shards, rounded up to whole rounds: 256 seeds, 1024 for
    /// guided), spread over the units in rotation.
    #[arg(long)]
    seeds: Option<u64>,
    /// Strategies to rotate (comma-separated).
    #[arg(long, default_value = STRATEGIES_DEFAULT)]
    strategies: String,
    /// Fault profiles to rotate (comma-separated: none, default, swarm).
    #[arg(long, default_value = "swarm")]
    faults: String,
    /// Rounds run in parallel, each on its own crash-isolated worker process.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Run one shard of the rounds: K/N, auto/N or auto (as for `run`).
    #[arg(long)]
    shard: Option<String>,
    /// The first seed of every unit (pass a date or a counter to search new seeds each night).
    #[arg(long, default_value_t = 0)]
    first_seed: u64,
    /// Steps after which a seed counts as a livelock.
    #[arg(long, default_value_t = STEP_BUDGET_DEFAULT)]
    step_budget: u64,
    /// Wall-clock seconds a seed may take before its worker is killed and the seed recorded
    /// as `crash: wall-clock timeout` (as for `run`).
    #[arg(long, value_name = "SECS", default_value_t = crate::worker::SEED_TIMEOUT_S_DEFAULT)]
    seed_timeout: u64,
    /// Most replays spent shrinking one failure.
    #[arg(long, default_value_t = 2000)]
    shrink_runs: u64,
    /// Output directory: report.json, seeds/ (found), shrunk/ (minimised).
    #[arg(long)]
    out: PathBuf,
}

/// One thing the search rotates over.
#[derive(Clone, Debug)]
struct Unit {
    scenario: &'static scenario::Scenario,
    variant: String,
    strategy: strategy::Kind,
    faults: fault::Profile,
}

impl Unit {
    fn batch(&self, seeds: std::ops::Range<u64>, step_budget: u64) -> Batch {
        Batch {
            scenario: *self.scenario,
            setup: self
                .scenario
                .setup(Some(&self.variant), &[])
                .expect("variants come from the scenario"),
            seeds,
            shard: None,
            strategy: self.strategy,
            faults: FaultSpec::Profile(self.faults),
            step_budget,
            jobs: 1,
            save_dir: None,
            save_passing: false,
            kernel: Default::default(),
        }
    }
}

/// Per-unit figures in the report.
#[derive(Clone, Debug, Default, Serialize)]
struct UnitStats {
    scenario: String,
    variant: String,
    strategy: String,
    faults: String,
    seeds_run: u64,
    /// Seeds per wall second of this unit's rounds (on one worker).
    seeds_per_s: f64,
    failing_seeds: u64,
    distinct_failures: usize,
    /// The first failing seed of each signature this unit found.
    first_failure_seeds: BTreeMap<String, u64>,
    sim_steps: u64,
    run_hash: String,
    #[serde(skip)]
    busy_s: f64,
    #[serde(skip)]
    hash_sum: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

/// One distinct failure: the first seed that showed it, saved, shrunk and explained.
#[derive(Clone, Debug, Serialize)]
struct Found {
    scenario: String,
    variant: String,
    signature: String,
    strategy: String,
    faults: String,
    seed: u64,
    /// Seeds (of any unit) that failed with this signature.
    count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shrunk_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    story: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip)]
    unit: usize,
    #[serde(skip)]
    trace_hash: u64,
}

#[derive(Serialize)]
struct NightlyReport {
    scenarios: Vec<String>,
    variants: String,
    strategies: Vec<String>,
    faults: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    budget_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seeds_asked: Option<u64>,
    first_seed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<String>,
    jobs: usize,
    seeds_run: u64,
    seeds_per_s: f64,
    search_wall_s: f64,
    wall_s: f64,
    units: Vec<UnitStats>,
    failures: Vec<Found>,
    errors: Vec<String>,
}

/// How long the search may go on.
enum Stop {
    /// Until this stopwatch reaches the budget.
    Budget(Stopwatch, Duration),
    /// Seeds in all, over every shard (so the shards of a run together run what one
    /// process would); the last round may overshoot.
    Seeds(u64),
}

/// Hands out rounds in rotation order until the budget or seed count is spent.
struct Rotation {
    /// Seeds per round, by unit.
    round_len: Vec<u64>,
    next: u64,
    /// Seeds of the rounds handed out so far, by every shard.
    counted: u64,
    shard: (u64, u64),
    stop: Stop,
}

impl Rotation {
    /// The next (unit, round), if the search goes on.
    fn next(&mut self) -> Option<(usize, u64)> {
        if let Stop::Budget(clock, budget) = &self.stop {
            if clock.seconds() >= budget.as_secs_f64() {
                return None;
            }
        }
        let units = self.round_len.len() as u64;
        loop {
            if let Stop::Seeds(n) = self.stop {
                if self.counted >= n {
                    return None;
                }
            }
            let k = self.next;
            self.next += 1;
            let (unit, round) = ((k % units) as usize, k / units);
            self.counted += self.round_len[unit];
            if round % self.shard.1 == self.shard.0 {
                return Some((unit, round));
            }
        }
    }
}

/// Parses `90s`, `2m`, `30m`, `8h`, or plain seconds.
pub fn parse_budget(s: &str) -> Result<Duration, String> {
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("--budget {s:?}: expected a number and s, m or h (e.g. 30m)"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("--budget {s:?}: unit {unit:?} is not s, m or h")),
    };
    if secs == 0 {
        return Err(format!("--budget {s:?}: the budget is empty"));
    }
    Ok(Duration::from_secs(secs))
}

fn list<T>(
    s: &str,
    what: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let items: Vec<T> = s
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(&parse)
        .collect::<Result<_, _>>()?;
    if items.is_empty() {
        return Err(format!("--{what} {s:?}: the list is empty"));
    }
    Ok(items)
}

fn units_of(args: &Args) -> Result<Vec<Unit>, String> {
    let scenarios: Vec<&'static scenario::Scenario> = if args.scenarios == "all" {
        scenario::builtin()
            .iter()
            .filter(|s| !s.name.starts_with("selftest-"))
            .collect()
    } else {
        list(&args.scenarios, "scenarios", scenario::find)?
    };
    let strategies = list(&args.strategies, "strategies", |s| {
        s.parse::<strategy::Kind>()
    })?;
    let faults = list(&args.faults, "faults", |s| s.parse::<fault::Profile>())?;
    let wants = |v: &str| match args.variants.as_str() {
        "all" => Ok(true),
        "fixed" => Ok(!v.starts_with("buggy")),
        "buggy" => Ok(v.starts_with("buggy")),
        other => Err(format!(
            "--variants {other:?}: expected fixed, buggy or all"
        )),
    };
    let mut units = Vec::new();
    for scenario in scenarios {
        for variant in scenario.variants {
            if !wants(variant)? {
                continue;
            }
            for &strategy in &strategies {
                for &faults in &faults {
                    units.push(Unit {
                        scenario,
                        variant: (*variant).to_owned(),
                        strategy,
                        faults,
                    });
                }
            }
        }
    }
    if units.is_empty() {
        return Err(format!(
            "no scenario among {:?} has a {} variant",
            args.scenarios, args.variants
        ));
    }
    Ok(units)
}

/// The shared state of a search in progress.
struct Search {
    stats: Vec<UnitStats>,
    /// Distinct failures by (scenario, variant, signature), in the order found.
    found: Vec<Found>,
    errors: Vec<String>,
    seeds_run: u64,
}

impl Search {
    fn take(&mut self, unit: usize, u: &Unit, report: simkern::sim::batch::Report) {
        let st = &mut self.stats[unit];
        st.seeds_run += report.seeds_run;
        st.busy_s += report.wall_s;
        st.sim_steps += report.sim_steps;
        st.failing_seeds += report.failures.len() as u64;
        let hash =
            simkern::sim::seed_file::parse_hash(&report.run_hash).expect("reports hold hashes");
        st.hash_sum = st.hash_sum.wrapping_add(hash);
        // WIRE: st.notes.extend(report.notes.iter().cloned());
        self.seeds_run += report.seeds_run;
        self.errors.extend(report.errors);
        for f in report.failures {
            let FailureRecord {
                seed,
                signature,
                trace_hash,
                ..
            } = f;
            st.first_failure_seeds
                .entry(signature.clone())
                .and_modify(|s| *s = (*s).min(seed))
                .or_insert(seed);
            st.distinct_failures = st.first_failure_seeds.len();
            match self.found.iter_mut().find(|x| {
                x.scenario == u.scenario.name && x.variant == u.variant && x.signature == signature
            }) {
                Some(x) => x.count += 1,
                None => self.found.push(Found {
                    scenario: u.scenario.name.into(),
                    variant: u.variant.clone(),
                    signature,
                    strategy: u.strategy.to_string(),
                    faults: u.faults.to_string(),
                    seed,
                    count: 1,
                    seed_file: None,
                    shrunk_file: None,
                    before: None,
                    after: None,
                    story: None,
                    error: None,
                    unit,
                    trace_hash: simkern::sim::seed_file::parse_hash(&trace_hash)
                        .expect("reports hold hashes"),
                }),
            }
        }
    }
}

/// Progress: a bar on a terminal; otherwise a JSON line every few seconds on stdout.
struct Progress {
    bar: Option<ProgressBar>,
    started: Stopwatch,
    /// When the last JSON progress line was printed (seconds on `started`).
    last_line: Mutex<f64>,
    budget: Option<Duration>,
}

impl Progress {
    fn new(budget: Option<Duration>, seeds: Option<u64>) -> Progress {
        let bar = std::io::stdout().is_terminal().then(|| {
            let bar = match (budget, seeds) {
                (Some(b), _) => ProgressBar::new(b.as_secs()),
                (None, Some(n)) => ProgressBar::new(n),
                (None, None) => ProgressBar::no_length(),
            };
            bar.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {msg} (ETA {eta})")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar
        });
        Progress {
            bar,
            started: Stopwatch::start(),
            last_line: Mutex::new(0.0),
            budget,
        }
    }

    fn update(&self, seeds: u64, failing: u64, distinct: usize) {
        let elapsed = self.started.seconds();
        let rate = seeds as f64 / elapsed.max(1e-9);
        match &self.bar {
            Some(bar) => {
                bar.set_position(match self.budget {
                    Some(_) => elapsed as u64,
                    None => seeds,
                });
                bar.set_message(format!(
                    "{seeds} seeds, {rate:.0}/s, {failing} failing, {distinct} distinct"
                ));
            }
            None => {
                let mut last = self.last_line.lock().expect("progress lock");
                if elapsed - *last >= PROGRESS_EVERY_S {
                    *last = elapsed;
                    // Workers are alive: a closed stdout must not kill this process (see
                    // `quiet_on_broken_pipe`), so the error is ignored.
                    let _ = writeln!(
                        std::io::stdout(),
                        "{}",
                        serde_json::json!({
                            "progress": {
                                "elapsed_s": (elapsed * 10.0).round() / 10.0,
                                "seeds": seeds,
                                "seeds_per_s": rate.round(),
                                "failing_seeds": failing,
                                "distinct_failures": distinct,
                            }
                        })
                    );
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

pub fn nightly(args: Args) -> Outcome {
    let wall = Stopwatch::start();
    let units = units_of(&args)?;
    let budget = args.budget.as_deref().map(parse_budget).transpose()?;
    if args.seeds == Some(0) {
        return Err("--seeds 0: nothing to run".into());
    }
    if args.jobs == 0 {
        return Err("--jobs must be at least 1".into());
    }
    if args.seed_timeout == 0 {
        return Err("--seed-timeout must be at least 1 second".into());
    }
    let shard = match &args.shard {
        None => (0, 1),
        Some(spec) => crate::shard::parse(spec, &|var| std::env::var(var).ok())?,
    };
    for dir in ["seeds", "shrunk"] {
        std::fs::create_dir_all(args.out.join(dir))
            .map_err(|e| format!("--out {}: cannot create: {e}", args.out.display()))?;
    }
    let report_path = args.out.join("report.json");

    let rotation = Mutex::new(Rotation {
        round_len: units.iter().map(|u| round_seeds(u.strategy)).collect(),
        next: 0,
        counted: 0,
        shard,
        stop: match budget {
            Some(b) => Stop::Budget(Stopwatch::start(), b),
            None => Stop::Seeds(args.seeds.expect("clap requires --budget or --seeds")),
        },
    });
    let search = Mutex::new(Search {
        stats: units
            .iter()
            .map(|u| UnitStats {
                scenario: u.scenario.name.into(),
                variant: u.variant.clone(),
                strategy: u.strategy.to_string(),
                faults: u.faults.to_string(),
                ..UnitStats::default()
            })
            .collect(),
        found: Vec::new(),
        errors: Vec::new(),
        seeds_run: 0,
    });
    let progress = Progress::new(budget, args.seeds);
    let no_progress = |_: u64, _: u64| {};
    simkern::sim::wall::scoped_workers(args.jobs, || loop {
        let Some((unit, round)) = rotation.lock().expect("rotation lock").next() else {
            return;
        };
        let u = &units[unit];
        let len = round_seeds(u.strategy);
        let start = args.first_seed + round * len;
        let batch = u.batch(start..start + len, args.step_budget);
        let report = batch.run_with(
            &no_progress,
            &crate::worker::factory(
                crate::run::worker_spec(&batch),
                Duration::from_secs(args.seed_timeout),
            ),
        );
        let mut s = search.lock().expect("search lock");
        s.take(unit, u, report);
        let failing = s.stats.iter().map(|x| x.failing_seeds).sum();
        progress.update(s.seeds_run, failing, s.found.len());
    });
    progress.finish();
    crate::quiet_on_broken_pipe();
    let search_wall = wall.seconds();
    let mut search = search.into_inner().expect("search lock");

    // Each distinct failure: save its seed file, shrink it, explain the shrunk run.
    for found in &mut search.found {
        let u = &units[found.unit];
        if found.signature.starts_with(CRASH_PREFIX) {
            found.error = Some(format!(
                "the worker process died ({}); rerun alone: simkern run {} --variant {} --seeds {}..{} --strategy {} --faults {}",
                found.signature, found.scenario, found.variant, found.seed, found.seed + 1, found.strategy, found.faults
            ));
            continue;
        }
        if let Err(e) = settle(found, u, &args) {
            found.error = Some(e);
        }
    }
    for st in &mut search.stats {
        st.seeds_per_s = st.seeds_run as f64 / st.busy_s.max(1e-9);
        st.run_hash = format_hash(st.hash_sum);
    }
    let report = NightlyReport {
        scenarios: units
            .iter()
            .map(|u| u.scenario.name.to_owned())
            .fold(Vec::new(), |mut v, s| {
                if !v.contains(&s) {
                    v.push(s);
                }
                v
            }),
        variants: args.variants.clone(),
        strategies: list(&args.strategies, "strategies", |s| Ok(s.to_owned()))?,
        faults: list(&args.faults, "faults", |s| Ok(s.to_owned()))?,
        budget_s: budget.map(|b| b.as_secs_f64()),
        seeds_asked: args.seeds,
        first_seed: args.first_seed,
        shard: args
            .shard
            .as_ref()
            .map(|_| format!("{}/{}", shard.0, shard.1)),
        jobs: args.jobs,
        seeds_run: search.seeds_run,
        seeds_per_s: search.seeds_run as f64 / search_wall.max(1e-9),
        search_wall_s: search_wall,
        wall_s: wall.seconds(),
        units: search.stats,
        failures: search.found,
        errors: search.errors,
    };
    let json = serde_json::to_string_pretty(&report).expect("reports serialise");
    std::fs::write(&report_path, format!("{json}\n"))
        .map_err(|e| format!("{}: {e}", report_path.display()))?;
    summary(&report, &report_path);
    Ok(if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Saves, shrinks and explains one distinct failure.
fn settle(found: &mut Found, u: &Unit, args: &Args) -> Result<(), String> {
    let batch = u.batch(found.seed..found.seed + 1, args.step_budget);
    let path = batch.save(&args.out.join("seeds"), found.seed, found.trace_hash)?;
    found.seed_file = Some(path.display().to_string());
    let file = SeedFile::load(&path)?;
    let shrunk = shrink::shrink(
        &file,
        &shrink::Options {
            max_runs: args.shrink_runs,
        },
    )?;
    found.before = Some(shrunk.before.to_string());
    found.after = Some(shrunk.after.to_string());
    let out = shrunk_path(&args.out, &path);
    shrunk.file.save_new(&out)?;
    found.shrunk_file = Some(out.display().to_string());
    let outcome = runner::run(&shrunk.file.config(), shrunk.file.root()?);
    if signature(&outcome.stop) != found.signature {
        return Err(format!(
            "the shrunk seed file {} does not fail as {}",
            out.display(),
            found.signature
        ));
    }
    found.story = Some(explain::explain(&outcome));
    Ok(())
}

fn shrunk_path(out: &Path, seed_file: &Path) -> PathBuf {
    let name = seed_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "seed".into());
    out.join("shrunk").join(format!("{name}.shrunk.json"))
}

/// The human summary: what ran, and one story per distinct failure.
fn summary(r: &NightlyReport, path: &Path) {
    println!(
        "nightly: {} seeds in {:.1} s ({:.0} seeds/s, {} jobs) over {} units; {} distinct failures; report {}",
        r.seeds_run,
        r.search_wall_s,
        r.seeds_per_s,
        r.jobs,
        r.units.len(),
        r.failures.len(),
        path.display()
    );
    for e in &r.errors {
        eprintln!("simkern: warning: {e}");
    }
    for st in r.units.iter().filter(|s| !s.notes.is_empty()) {
        for note in &st.notes {
            println!("  {} {} {}: {note}", st.scenario, st.variant, st.strategy);
        }
    }
    for f in &r.failures {
        println!();
        println!(
            "== {} {}: {} (first seed {} under {} / faults {}, {} failing seeds)",
            f.scenario, f.variant, f.signature, f.seed, f.strategy, f.faults, f.count
        );
        if let (Some(before), Some(after)) = (&f.before, &f.after) {
            println!("   shrunk: {before}  ->  {after}");
        }
        if let Some(path) = &f.shrunk_file {
            println!("   replay: simkern replay {path} --explain");
        }
        if let Some(story) = &f.story {
            for line in story.lines() {
                println!("   {line}");
            }
        }
        if let Some(e) = &f.error {
            println!("   {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse_with_units_and_reject_nonsense() {
        assert_eq!(parse_budget("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_budget("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_budget("8h").unwrap(), Duration::from_secs(8 * 3600));
        assert_eq!(parse_budget("45").unwrap(), Duration::from_secs(45));
        for bad in ["", "m", "2d", "0m", "-1m", "1.5h"] {
            assert!(parse_budget(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn rotation_visits_every_unit_and_shards_partition_the_rounds() {
        let take = |shard: (u64, u64)| {
            let mut r = Rotation {
                round_len: vec![ROUND_SEEDS; 3],
                next: 0,
                counted: 0,
                shard,
                stop: Stop::Seeds(12 * ROUND_SEEDS),
            };
            std::iter::from_fn(|| r.next()).collect::<Vec<_>>()
        };
        let mut all = take((0, 1));
        assert_eq!(all.len(), 12);
        assert_eq!(&all[..4], &[(0, 0), (1, 0), (2, 0), (0, 1)]);
        // Two shards run the same rounds as one process, disjointly.
        let mut merged: Vec<_> = take((0, 2)).into_iter().chain(take((1, 2))).collect();
        assert_eq!(take((0, 2)).len(), 6);
        merged.sort_unstable();
        all.sort_unstable();
        assert_eq!(merged, all);
    }
}
