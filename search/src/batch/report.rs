//! What a batch reports: the JSON `Report`, its `FailureRecord`s, one seed's `SeedResult`,
//! `seed_digest`, a seed's share of `run_hash`, and `Ran`, a report with what the batch kept
//! in memory of its first failure.

use crate::signature::Signature;
use serde::Serialize;
use simkern_sim::kernel;
use simkern_sim::runner::Outcome;

/// A finished batch: its report, and the outcome of its first failing seed when the batch
/// already ran that seed a second time (to write its seed file), for the failure's story.
#[derive(Debug)]
pub struct Ran {
    pub report: Report,
    /// `(seed, outcome)` of the report's first failure, from the run its seed file was written
    /// from (trace tail and digests kept). `None` when none was written: no `save_dir`, the
    /// first failure crashed its worker, or its save failed (see `Report::errors`).
    pub first_outcome: Option<(u64, Box<Outcome>)>,
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

/// One seed's share of `run_hash` (SplitMix64's finaliser over seed and hash).
pub fn seed_digest(seed: u64, trace_hash: u64) -> u64 {
    let mut z = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ trace_hash;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
