//! One `run`: a batch on crash-isolated worker processes (or in this process), stopped by
//! Ctrl-C or SIGTERM between seeds, each failing seed passed on as it is found; then the
//! first failure, with what replays it.
//!
//! The first failure of a batch is run once more here, in this process, for its story (the
//! failure and the last events): a worker returns only the seed's signature and hash. A
//! crash is not rerun here (it would kill this process): its story is the command that
//! reruns it.

use crate::batch::{Batch, FailureRecord, Report};
use crate::Signature;
use crate::{interrupt, spec::Spec, worker};
use simkern_sim::Outcome;
use std::time::Duration;

/// Where the seeds run.
#[derive(Copy, Clone, Debug)]
pub enum Isolation {
    /// Crash-isolated worker processes, each seed killed after `seed_timeout` of wall time.
    Workers { seed_timeout: Duration },
    /// This process: faster to start; an abort of the code under test ends the whole run.
    InProcess,
}

/// Runs `batch`; `progress` after each seed with (done, failed), `on_failure` with each
/// failing seed as it is found. Installs the SIGINT/SIGTERM handler: once one arrives, no new
/// seed starts and the report covers the seeds that ran (`interrupt::requested` says which).
pub fn run(
    batch: &Batch,
    isolation: Isolation,
    progress: &(dyn Fn(u64, u64) + Sync),
    on_failure: &(dyn Fn(u64, &Signature) + Sync),
) -> Report {
    interrupt::install();
    let stop = || interrupt::requested().is_some();
    match isolation {
        Isolation::InProcess => batch.run_in_process_watched(progress, on_failure, &stop),
        Isolation::Workers { seed_timeout } => batch.run_watched(
            progress,
            on_failure,
            &worker::factory(Spec::of(batch), seed_timeout, None),
            &stop,
        ),
    }
}

/// A batch's first failure, as `run` prints it.
pub enum FirstFailure {
    /// The worker process died on the seed: not rerun here, `rerun` repeats it.
    Crash {
        seed: u64,
        signature: Signature,
        rerun: String,
    },
    /// Rerun in this process for its story; `replay` is its seed file's replay command, or
    /// what to do for one.
    Failed {
        seed: u64,
        outcome: Box<Outcome>,
        replay: String,
    },
}

/// The first failure `first` of `report` (from `batch`), with the commands `program` would be
/// given to replay it (a seed file, or the one-seed `run` that repeats it).
pub fn first_failure(
    program: &str,
    batch: &Batch,
    report: &Report,
    first: &FailureRecord,
) -> FirstFailure {
    let rerun = |from: u64| {
        Spec::of(batch)
            .run_command(program, &(from..first.seed + 1))
            .unwrap_or_else(|| {
                "rerun with --save DIR for a seed file (a fault plan has no flag)".into()
            })
    };
    if first.signature.is_crash() {
        // A campaign's seed depends on the seeds of its chunk before it: rerun from there.
        let from = if batch.strategy.is_campaign() {
            batch.chunk_start(first.seed)
        } else {
            first.seed
        };
        return FirstFailure::Crash {
            seed: first.seed,
            signature: first.signature.clone(),
            rerun: rerun(from),
        };
    }
    // A campaign's seed depends on the seeds before it: rebuild its chunk's state here,
    // skipping the seeds whose workers died.
    let crashed: Vec<u64> = report
        .failures
        .iter()
        .filter(|f| f.signature.is_crash())
        .map(|f| f.seed)
        .collect();
    let (_, outcome) = batch.rerun(first.seed, &crashed);
    let replay = match &first.seed_file {
        Some(path) => format!("{program} replay {path}"),
        None if batch.strategy.is_campaign() => format!(
            "rerun with --save DIR for a seed file ({} seeds depend on the seeds before them)",
            report.strategy
        ),
        None => rerun(first.seed),
    };
    FirstFailure::Failed {
        seed: first.seed,
        outcome: Box::new(outcome),
        replay,
    }
}
