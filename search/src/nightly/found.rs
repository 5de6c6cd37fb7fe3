//! What the search found: per-unit figures, and failures deduplicated by signature, each
//! saved, shrunk and explained once.
//!
//! Two failing seeds are one distinct failure when they share scenario, variant and
//! `Signature` (which already reads the fd numbers and addresses of a panic message as `N`).
//! The first seed seen keeps the record; later ones only count.

use super::units::Unit;
use crate::batch::{FailureRecord, Report};
use crate::seed_file::{parse_hash, SeedFile};
use crate::{explain, shrink, Signature};
use serde::{Deserialize, Serialize};
use simkern_sim::runner;
use std::path::{Path, PathBuf};

/// Per-unit figures in the report.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UnitStats {
    pub scenario: String,
    pub variant: String,
    pub strategy: String,
    pub faults: String,
    pub seeds_run: u64,
    /// Seeds killed at the budget's deadline while they ran (not counted in `seeds_run`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_run: Vec<u64>,
    /// Seeds per wall second of this unit's rounds (on one worker).
    pub seeds_per_s: f64,
    pub failing_seeds: u64,
    pub distinct_failures: usize,
    /// The first failing seed of each signature this unit found, by signature.
    pub first_failure_seeds: Vec<FirstSeed>,
    pub sim_steps: u64,
    pub run_hash: String,
    #[serde(skip)]
    pub(super) busy_s: f64,
    #[serde(skip)]
    pub(super) hash_sum: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A signature and the first seed of a unit that failed with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstSeed {
    pub signature: Signature,
    pub seed: u64,
}

/// One distinct failure: the first seed that showed it, saved, shrunk and explained.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Found {
    pub scenario: String,
    pub variant: String,
    pub signature: Signature,
    pub strategy: String,
    pub faults: String,
    pub seed: u64,
    /// Seeds (of any unit) that failed with this signature.
    pub count: u64,
    /// The shard (`K/N`) whose report holds `seed` and the files, when the search was
    /// sharded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// A merged report: every shard that found this failure, in shard order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub found_by: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrunk_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub story: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip)]
    pub(super) unit: usize,
    #[serde(skip)]
    trace_hash: u64,
}

/// The shared state of a search in progress.
pub(super) struct Search {
    pub(super) stats: Vec<UnitStats>,
    /// Distinct failures by (scenario, variant, signature), in the order found.
    pub(super) found: Vec<Found>,
    pub(super) errors: Vec<String>,
    pub(super) seeds_run: u64,
    /// `K/N` of a sharded search, for each failure it finds.
    shard: Option<String>,
}

impl Search {
    pub(super) fn new(units: &[Unit<'_>], shard: Option<(u64, u64)>) -> Search {
        Search {
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
            shard: shard.map(|(k, n)| format!("{k}/{n}")),
        }
    }

    pub(super) fn failing_seeds(&self) -> u64 {
        self.stats.iter().map(|x| x.failing_seeds).sum()
    }

    /// Adds one round's report of `unit` (`u`).
    pub(super) fn take(&mut self, unit: usize, u: &Unit<'_>, report: Report) {
        let st = &mut self.stats[unit];
        st.seeds_run += report.seeds_run;
        st.not_run.extend(report.not_run);
        st.not_run.sort_unstable();
        st.busy_s += report.wall_s;
        st.sim_steps += report.sim_steps;
        st.failing_seeds += report.failures.len() as u64;
        let hash = parse_hash(&report.run_hash).expect("reports hold hashes");
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
            match st
                .first_failure_seeds
                .binary_search_by(|x| x.signature.cmp(&signature))
            {
                Ok(i) => {
                    let first = &mut st.first_failure_seeds[i].seed;
                    *first = (*first).min(seed);
                }
                Err(i) => st.first_failure_seeds.insert(
                    i,
                    FirstSeed {
                        signature: signature.clone(),
                        seed,
                    },
                ),
            }
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
                    shard: self.shard.clone(),
                    found_by: Vec::new(),
                    seed_file: None,
                    shrunk_file: None,
                    before: None,
                    after: None,
                    story: None,
                    error: None,
                    unit,
                    trace_hash: parse_hash(&trace_hash).expect("reports hold hashes"),
                }),
            }
        }
    }
}

/// Saves, shrinks and explains one distinct failure of `u` into `out`'s `seeds/` and
/// `shrunk/`.
pub(super) fn settle(
    found: &mut Found,
    u: &Unit<'_>,
    out: &Path,
    step_budget: u64,
    shrink_runs: u64,
) -> Result<(), String> {
    let batch = u.batch(found.seed..found.seed + 1, step_budget);
    let path = batch.save(&out.join("seeds"), found.seed, found.trace_hash)?;
    found.seed_file = Some(path.display().to_string());
    let file = SeedFile::load(&path)?;
    // The unit's scenario is the whole registry the file needs.
    let registry = [u.scenario];
    let shrunk = shrink::shrink(
        &file,
        &registry,
        &shrink::Options {
            max_runs: shrink_runs,
        },
    )?;
    found.before = Some(shrunk.before.to_string());
    found.after = Some(shrunk.after.to_string());
    let shrunk_out = shrunk_path(out, &path);
    shrunk.file.save_new(&shrunk_out)?;
    found.shrunk_file = Some(shrunk_out.display().to_string());
    let outcome = runner::run(&shrunk.file.config(), shrunk.file.root(&registry)?);
    if Signature::of(&outcome.stop) != found.signature {
        return Err(format!(
            "the shrunk seed file {} does not fail as {}",
            shrunk_out.display(),
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
