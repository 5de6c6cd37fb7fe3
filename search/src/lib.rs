//! The search over many seeds (`simkern-search`): everything that runs a seed more than once
//! or compares runs, built on the one-seed engine of `simkern-sim` and knowing nothing of
//! flags or terminals (the `simkern` crate's `cli` parses, calls it and prints). Every entry
//! point that resolves a scenario by name takes the registry it resolves in.
//!
//! Start here: `check` for `#[test]`s, `batch` for many seeds in one call, `run` for a batch
//! on crash-isolated workers as the CLI runs it.
//!
//! - `check`: the `#[test]` helper (`SIMKERN_SEED`, `SIMKERN_SEEDS`), crash-isolated by default.
//! - `batch`: many seeds in parallel into a `Report` with a `run_hash`; seed files for failures.
//! - `campaign`: `Driver`, one runner's state of a campaign (`dfs`, `guided`) over a batch.
//! - `signature`: `Signature`, what a seed did, typed (the dedup key and a seed file's expectation).
//! - `seed_file`: the versioned seed file format.
//! - `strict_json`: JSON that refuses duplicate keys (seed files).
//! - `shrink`: a failing seed file to the smallest schedule and decisions that fail the same way.
//! - `explain`: a failing run as its race story, the steps that touch what the oracle names.
//! - `chrome_trace`: a run as Chrome trace-event JSON (Perfetto), one track per thread.
//! - `wall`: real time and worker threads for the search only (never for simulated code).
//! - `spec`: a batch as data (JSON), what a worker process is handed.
//! - `worker`: both ends of the worker protocol; the parent's end is a `SeedRunner`.
//! - `run`: one batch on workers or in process, stopped by signals; its first failure.
//! - `nightly`: units, rotation, deduplication, settling (save, shrink, explain), report.
//! - `merge`: the report of a run from the reports of its shards.
//! - `interrupt`: SIGINT/SIGTERM stop a search, which then writes what it found.
//! - `output`: report files and seed directories, checked writable before the first seed.

pub mod batch;
pub mod campaign;
pub mod check;
pub mod chrome_trace;
pub mod explain;
pub mod interrupt;
pub mod merge;
pub mod named_fields;
pub mod nightly;
pub mod output;
pub mod run;
pub mod seed_file;
pub mod shrink;
pub mod signature;
pub mod spec;
pub mod strict_json;
pub mod wall;
pub mod worker;

pub use signature::Signature;
