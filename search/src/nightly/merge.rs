//! The reports of a sharded nightly search (`--shard K/N`, one pod or CI job each) as the
//! report of the night.
//!
//! The shards must be of one search: the same scenarios, variants, strategies, fault
//! profiles, first seed and limit, and shards `K/N` of one `N`, each index once. Each shard's
//! report is checked against the shard it declares: every failure's seed and every seed it
//! did not run lies in that shard's rounds (round `r` of a unit belongs to shard `r mod N`).
//!
//! Per unit (scenario, variant, strategy, faults): seeds run, failing seeds, steps and
//! seeds/s are summed (the shards ran side by side), run hashes summed, the seeds not run
//! joined, and the first failing seed of each signature is the smallest. Failures are
//! deduplicated by (scenario, variant, signature) across shards: the record kept is the one
//! with the smallest seed, the first in the search's seed order, whatever order the reports
//! come in, with its shard and that shard's seed file, shrunk file and story; `count` is the
//! sum and `found_by` names every shard that found it. The merged report lists failures in
//! seed order; it is the same for any order of its inputs.

use super::found::{Found, UnitStats};
use super::{round_seeds, Report};
use crate::seed_file::{format_hash, parse_hash};
use simkern_sim::strategy;

/// `K/N` of `shard`, or an error naming the report.
fn shard_of(path: &str, r: &Report) -> Result<(u64, u64), String> {
    let shard = r.shard.as_deref().ok_or_else(|| {
        format!("{path}: not a shard's report (no `shard` field; was it run with --shard?)")
    })?;
    shard
        .split_once('/')
        .and_then(|(k, n)| Some((k.parse::<u64>().ok()?, n.parse::<u64>().ok()?)))
        .filter(|(k, n)| k < n)
        .ok_or_else(|| format!("{path}: field `shard` {shard:?} is not K/N with K < N"))
}

/// The unit key of a unit's figures or a failure.
fn unit_key(u: &UnitStats) -> (&str, &str, &str, &str) {
    (&u.scenario, &u.variant, &u.strategy, &u.faults)
}

/// Checks that `seed` of the unit run with `strategy` is in shard `k` of `n`'s rounds.
fn in_shard(
    path: &str,
    what: &str,
    seed: u64,
    strategy: &str,
    first: u64,
    k: u64,
    n: u64,
) -> Result<(), String> {
    let kind: strategy::Kind = strategy
        .parse()
        .map_err(|e| format!("{path}: strategy {strategy:?}: {e}"))?;
    let offset = seed
        .checked_sub(first)
        .ok_or_else(|| format!("{path}: {what} seed {seed} is before the first seed {first}"))?;
    let round = offset / round_seeds(kind);
    if round % n != k {
        return Err(format!(
            "{path}: {what} seed {seed} is in round {round}, which belongs to shard {}/{n}, not {k}/{n}",
            round % n
        ));
    }
    Ok(())
}

/// Checks `r` (shard `k` of `n`) against the rounds it declares.
fn check_shard(path: &str, r: &Report, k: u64, n: u64) -> Result<(), String> {
    for u in &r.units {
        for &s in &u.not_run {
            in_shard(path, "not-run", s, &u.strategy, r.first_seed, k, n)?;
        }
        for f in &u.first_failure_seeds {
            in_shard(path, "failure", f.seed, &u.strategy, r.first_seed, k, n)?;
        }
    }
    for f in &r.failures {
        if !r
            .units
            .iter()
            .any(|u| unit_key(u) == (&f.scenario, &f.variant, &f.strategy, &f.faults))
        {
            return Err(format!(
                "{path}: failure of {} {} ({} / {}) belongs to no unit of the report",
                f.scenario, f.variant, f.strategy, f.faults
            ));
        }
        in_shard(path, "failure", f.seed, &f.strategy, r.first_seed, k, n)?;
    }
    Ok(())
}

/// The night's report from its shards' (each with the name it came from, for errors).
pub fn merge(shards: &[(String, Report)]) -> Result<Report, String> {
    let (first_path, first) = shards.first().ok_or("no reports to merge")?;
    let mut indices = Vec::new();
    let mut count = None;
    for (path, r) in shards {
        let same = [
            ("scenarios", r.scenarios == first.scenarios),
            ("variants", r.variants == first.variants),
            ("strategies", r.strategies == first.strategies),
            ("faults", r.faults == first.faults),
            ("first_seed", r.first_seed == first.first_seed),
            ("budget_s", r.budget_s == first.budget_s),
            ("seeds_asked", r.seeds_asked == first.seeds_asked),
            (
                "units",
                r.units
                    .iter()
                    .map(unit_key)
                    .eq(first.units.iter().map(unit_key)),
            ),
        ];
        if let Some((field, _)) = same.iter().find(|(_, same)| !same) {
            return Err(format!(
                "{path}: field `{field}` differs from {first_path}'s: not shards of one nightly search"
            ));
        }
        if r.merged_shards.is_some() {
            return Err(format!("{path}: already a merged report"));
        }
        let (k, n) = shard_of(path, r)?;
        if *count.get_or_insert(n) != n {
            return Err(format!(
                "{path}: shard {k}/{n} is out of {n}, others out of {}",
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

    // Shard order from here on, so sums of floats and lists come out the same for any order
    // of the inputs.
    let mut ordered: Vec<&(String, Report)> = shards.iter().collect();
    ordered.sort_by_key(|(path, r)| shard_of(path, r).map_or(0, |(k, _)| k));
    let mut units: Vec<UnitStats> = first
        .units
        .iter()
        .map(|u| UnitStats {
            scenario: u.scenario.clone(),
            variant: u.variant.clone(),
            strategy: u.strategy.clone(),
            faults: u.faults.clone(),
            ..UnitStats::default()
        })
        .collect();
    let mut hashes = vec![0u64; units.len()];
    let mut failures: Vec<Found> = Vec::new();
    let mut errors = Vec::new();
    let mut interrupted = Vec::new();
    let (mut seeds_run, mut seeds_per_s, mut jobs) = (0u64, 0f64, 0usize);
    let (mut search_wall_s, mut wall_s) = (0f64, 0f64);
    for (path, r) in ordered {
        for (i, u) in r.units.iter().enumerate() {
            let m = &mut units[i];
            m.seeds_run += u.seeds_run;
            m.not_run.extend(&u.not_run);
            m.seeds_per_s += u.seeds_per_s;
            m.failing_seeds += u.failing_seeds;
            m.sim_steps = m.sim_steps.saturating_add(u.sim_steps);
            m.notes.extend(u.notes.iter().cloned());
            hashes[i] = hashes[i].wrapping_add(
                parse_hash(&u.run_hash)
                    .map_err(|e| format!("{path}: field `units[{i}].run_hash`: {e}"))?,
            );
            for f in &u.first_failure_seeds {
                match m
                    .first_failure_seeds
                    .binary_search_by(|x| x.signature.cmp(&f.signature))
                {
                    Ok(j) => {
                        let s = &mut m.first_failure_seeds[j].seed;
                        *s = (*s).min(f.seed);
                    }
                    Err(j) => m.first_failure_seeds.insert(j, f.clone()),
                }
            }
        }
        let shard = r.shard.clone().expect("checked above");
        for f in &r.failures {
            let same = |x: &&mut Found| {
                x.scenario == f.scenario && x.variant == f.variant && x.signature == f.signature
            };
            match failures.iter_mut().find(same) {
                Some(kept) => {
                    kept.count += f.count;
                    kept.found_by.push(shard.clone());
                    if f.seed < kept.seed {
                        let (count, found_by) = (kept.count, std::mem::take(&mut kept.found_by));
                        *kept = f.clone();
                        kept.count = count;
                        kept.found_by = found_by;
                        kept.shard = Some(shard.clone());
                    }
                }
                None => {
                    let mut kept = f.clone();
                    kept.shard = Some(shard.clone());
                    kept.found_by = vec![shard.clone()];
                    failures.push(kept);
                }
            }
        }
        errors.extend(r.errors.iter().map(|e| format!("shard {shard}: {e}")));
        if let Some(sig) = &r.interrupted {
            interrupted.push(format!("{sig} (shard {shard})"));
        }
        seeds_run += r.seeds_run;
        seeds_per_s += r.seeds_per_s;
        jobs += r.jobs;
        search_wall_s = search_wall_s.max(r.search_wall_s);
        wall_s = wall_s.max(r.wall_s);
    }
    for (m, h) in units.iter_mut().zip(hashes) {
        m.run_hash = format_hash(h);
        m.not_run.sort_unstable();
        m.distinct_failures = m.first_failure_seeds.len();
    }
    // Shard order in `found_by`, seed order in the list: independent of the input order.
    for f in &mut failures {
        f.found_by.sort_by_key(|s| shard_index(s));
    }
    failures.sort_by_key(|f| f.seed);
    Ok(Report {
        scenarios: first.scenarios.clone(),
        variants: first.variants.clone(),
        strategies: first.strategies.clone(),
        faults: first.faults.clone(),
        budget_s: first.budget_s,
        seeds_asked: first.seeds_asked,
        first_seed: first.first_seed,
        shard: None,
        merged_shards: Some(n),
        jobs,
        seeds_run,
        seeds_not_run: units.iter().map(|u| u.not_run.len() as u64).sum(),
        seeds_per_s,
        search_wall_s,
        wall_s,
        units,
        failures,
        errors,
        interrupted: (!interrupted.is_empty()).then(|| interrupted.join(", ")),
    })
}

/// `K` of a checked `K/N`.
fn shard_index(s: &str) -> u64 {
    s.split_once('/')
        .and_then(|(k, _)| k.parse().ok())
        .expect("shards were checked")
}
