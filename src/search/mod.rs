//! The search over many seeds, at the level of processes: crash-isolated workers, the
//! nightly rotation with deduplication, and merging shard reports.
//!
//! The in-process parts of the search (`Batch`, campaigns, shrinking, explaining) live in
//! `sim`, where `Check` uses them inside `#[test]`; this layer adds what needs a binary to
//! re-execute (`/proc/self/exe __worker`) and the long runs built on it. It knows nothing of
//! flags or terminals: `cli` parses, calls it and prints. Every entry point that resolves a
//! scenario by name takes the registry it resolves in.
//!
//! - `spec`: a batch as data (JSON), what a worker process is handed.
//! - `worker`: both ends of the worker protocol; the parent's end is a `SeedRunner`.
//! - `nightly`: units, rotation, deduplication, settling (save, shrink, explain), report.
//! - `merge`: the report of a run from the reports of its shards.
//! - `interrupt`: SIGINT/SIGTERM stop a search, which then writes what it found.
//! - `run`: one batch on workers or in process, stopped by signals; its first failure.
//! - `output`: report files and seed directories, checked writable before the first seed.

pub mod interrupt;
pub mod merge;
pub mod nightly;
pub mod output;
pub mod run;
pub mod spec;
pub mod worker;
