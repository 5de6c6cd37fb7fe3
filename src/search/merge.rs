//! Merging the reports of the shards of one run into the report of the run.
//!
//! The shards must describe the same run (scenario, variant, strategy, faults, seed range)
//! and cover every shard index of their `N` exactly once. `run_hash` is a sum of per-seed
//! digests, so the merged `run_hash` equals that of an unsharded run of the same seeds;
//! failures are listed in seed order, `wall_s` is the slowest shard's.

use simkern_sim::batch::Report;
use simkern_sim::seed_file::{format_hash, parse_hash};

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
        sim_steps += r.sim_steps;
        wall_s = wall_s.max(r.wall_s);
    }
    failures.sort_by_key(|f| f.seed);
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
        errors,
        notes,
    };
    Ok(merged)
}
