//! Merging the reports of the shards of one run into the report of the run.
//!
//! The shards must describe the same run (scenario, variant, strategy, faults, seed range)
//! and cover every shard index of their `N` exactly once. `run_hash` is a sum of per-seed
//! digests, so the merged `run_hash` equals that of an unsharded run of the same seeds;
//! failures are listed in seed order, `wall_s` is the slowest shard's.
//!
//! Each shard's report is checked against the shard it declares: `seeds_run` must be the
//! number of seeds that shard holds, and every failure's seed must lie in the range and in
//! that shard (a seed failing in two reports is one report too many). A report that
//! contradicts itself is an error naming it, never a merged total that cannot be true.

use crate::batch::Report;
use crate::campaign;
use crate::seed_file::{format_hash, parse_hash};
use simkern_sim::strategy;
use std::ops::Range;

/// A report's `seeds` field, `A..B`.
fn seed_range(path: &str, seeds: &str) -> Result<Range<u64>, String> {
    seeds
        .split_once("..")
        .and_then(|(a, b)| Some(a.parse::<u64>().ok()?..b.parse::<u64>().ok()?))
        .filter(|r| r.start < r.end)
        .ok_or_else(|| format!("{path}: field `seeds` {seeds:?} is not a range A..B"))
}

/// Checks that the report at `path` is what shard `k` of `n` of its range can hold.
fn check_shard(path: &str, r: &Report, k: u64, n: u64) -> Result<(), String> {
    let seeds = seed_range(path, &r.seeds)?;
    let kind: strategy::Kind = r
        .strategy
        .parse()
        .map_err(|e| format!("{path}: field `strategy`: {e}"))?;
    let chunks = campaign::chunks(kind, seeds.clone());
    let held = chunks.seeds_in_shard(k, n);
    if r.stopped {
        return Err(format!(
            "{path}: shard {k}/{n} was stopped after {} of its {held} seeds: rerun it",
            r.seeds_run
        ));
    }
    if r.seeds_run != held {
        return Err(format!(
            "{path}: field `seeds_run` is {}, but shard {k}/{n} of {} holds {held} seeds",
            r.seeds_run, r.seeds
        ));
    }
    for f in &r.failures {
        match chunks.index_of(f.seed) {
            None => {
                return Err(format!(
                    "{path}: failure seed {} is outside the range {}",
                    f.seed, r.seeds
                ))
            }
            Some(i) if i % n != k => {
                return Err(format!(
                    "{path}: failure seed {} belongs to shard {}/{n}, not {k}/{n}",
                    f.seed,
                    i % n
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The report of the run whose shards' reports are `shards` (each with the name it came
/// from, for errors). The error names the report and the field that disagrees.
pub fn merge(shards: &[(String, Report)]) -> Result<Report, String> {
    let (first_path, first) = shards.first().ok_or("no reports to merge")?;
    let mut indices = Vec::new();
    let mut count = None;
    for (path, r) in shards {
        for (field, a, b) in [
            ("scenario", &r.scenario, &first.scenario),
            ("variant", &r.variant, &first.variant),
            ("strategy", &r.strategy, &first.strategy),
            ("faults", &r.faults, &first.faults),
            ("seeds", &r.seeds, &first.seeds),
        ] {
            if a != b {
                return Err(format!("{path}: field `{field}` is {a:?}, but {first_path} has {b:?}: not shards of one run"));
            }
        }
        if r.kernel != first.kernel {
            return Err(format!(
                "{path}: field `kernel` differs from {first_path}'s: not shards of one run"
            ));
        }
        let shard = r
            .shard
            .as_deref()
            .ok_or_else(|| format!("{path}: not a shard report (no `shard` field)"))?;
        let (k, n) = shard
            .split_once('/')
            .and_then(|(k, n)| Some((k.parse::<u64>().ok()?, n.parse::<u64>().ok()?)))
            .ok_or_else(|| format!("{path}: field `shard` {shard:?} is not K/N"))?;
        if *count.get_or_insert(n) != n {
            return Err(format!(
                "{path}: shard {shard} is out of {n}, others out of {}",
                count.unwrap_or(0)
            ));
        }
        check_shard(path, r, k, n)?;
        indices.push(k);
    }
    let n = count.expect("at least one report");
    indices.sort_unstable();
    if indices != (0..n).collect::<Vec<_>>() {
        return Err(format!(
            "the reports cover shards {indices:?} of {n}: each of 0..{n} must appear exactly once"
        ));
    }
    let mut run_hash = 0u64;
    let mut failures = Vec::new();
    let mut errors = Vec::new();
    let mut notes = Vec::new();
    let (mut seeds_run, mut sim_steps, mut wall_s) = (0, 0, 0f64);
    for (path, r) in shards {
        run_hash = run_hash.wrapping_add(
            parse_hash(&r.run_hash).map_err(|e| format!("{path}: field `run_hash`: {e}"))?,
        );
        failures.extend(r.failures.iter().cloned());
        errors.extend(r.errors.iter().cloned());
        notes.extend(r.notes.iter().cloned());
        seeds_run += r.seeds_run;
        sim_steps = r.sim_steps.saturating_add(sim_steps);
        wall_s = wall_s.max(r.wall_s);
    }
    failures.sort_by_key(|f| f.seed);
    if let Some(w) = failures.windows(2).find(|w| w[0].seed == w[1].seed) {
        return Err(format!(
            "seed {} fails in two shard reports: each seed belongs to one shard",
            w[0].seed
        ));
    }
    let merged = Report {
        scenario: first.scenario.clone(),
        variant: first.variant.clone(),
        strategy: first.strategy.clone(),
        faults: first.faults.clone(),
        seeds: first.seeds.clone(),
        shard: None,
        seeds_run,
        kernel: first.kernel.clone(),
        first_failure_seed: failures.first().map(|f| f.seed),
        failures,
        wall_s,
        sim_steps,
        run_hash: format_hash(run_hash),
        stopped: false,
        not_run: Vec::new(),
        errors,
        notes,
    };
    Ok(merged)
}
