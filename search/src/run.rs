//! One `run`: a batch on crash-isolated worker processes (or in this process), stopped by
//! Ctrl-C or SIGTERM between seeds, each failing seed passed on as it is found; then the
//! first failure, with what replays it.
//!
//! The story of a batch's first failure (the failure and the last events) needs its outcome
//! with the trace tail kept, which a worker does not return (only the seed's signature and
//! hash). A failing seed runs once for the search and once more, in this process, with the
//! tail and digests kept: to write its seed file when the batch saves them (`Ran` keeps that
//! outcome), else here for the story. Never a third time. A crash is not rerun here (it would
//! kill this process): its story is the command that reruns it.

use crate::batch::{Batch, Ran};
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
) -> Ran {
    interrupt::install();
    let stop = || interrupt::requested().is_some();
    match isolation {
        Isolation::InProcess => {
            batch.run_keeping(progress, on_failure, &|| batch.in_process(), &stop)
        }
        Isolation::Workers { seed_timeout } => batch.run_keeping(
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
    /// Its outcome from the run that saved its seed file, or else from a rerun in this process;
    /// `replay` is its seed file's replay command, or what to do for one.
    Failed {
        seed: u64,
        outcome: Box<Outcome>,
        replay: String,
    },
}

/// The first failure of `ran` (from `batch`), if it has one, with the commands `program` would
/// be given to replay it (a seed file, or the one-seed `run` that repeats it). Takes the
/// outcome `ran` kept of it, if any, rather than running the seed a third time.
pub fn first_failure(program: &str, batch: &Batch, ran: &mut Ran) -> Option<FirstFailure> {
    let report = &ran.report;
    let first = report.failures.first()?;
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
        return Some(FirstFailure::Crash {
            seed: first.seed,
            signature: first.signature.clone(),
            rerun: rerun(from),
        });
    }
    let outcome = match ran.first_outcome.take() {
        Some((seed, outcome)) if seed == first.seed => outcome,
        _ => {
            // No seed file was written from a second run: run it here. A campaign's seed
            // depends on the seeds before it: rebuild its chunk's state, skipping the seeds
            // whose workers died.
            let crashed: Vec<u64> = report
                .failures
                .iter()
                .filter(|f| f.signature.is_crash())
                .map(|f| f.seed)
                .collect();
            Box::new(batch.rerun(first.seed, &crashed).1)
        }
    };
    let replay = match &first.seed_file {
        Some(path) => format!("{program} replay {path}"),
        None if batch.strategy.is_campaign() => format!(
            "rerun with --save DIR for a seed file ({} seeds depend on the seeds before them)",
            report.strategy
        ),
        None => rerun(first.seed),
    };
    Some(FirstFailure::Failed {
        seed: first.seed,
        outcome,
        replay,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::FaultSpec;
    use simkern_sim::fault::Profile;
    use simkern_sim::runner::STEP_BUDGET_DEFAULT;
    use simkern_sim::scenario::{Scenario, Setup};
    use simkern_sim::{kernel, strategy};
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Runs of `COUNTED`'s root thread in this process (this test's scenario alone).
    static RUNS: AtomicU64 = AtomicU64::new(0);

    fn counted_root(_: &Setup) -> Box<dyn FnOnce()> {
        Box::new(|| {
            RUNS.fetch_add(1, Ordering::SeqCst);
            panic!("the counted scenario always fails");
        })
    }

    const COUNTED: Scenario = Scenario {
        name: "counted",
        about: "fails on every seed and counts its runs",
        variants: &["only"],
        params: &[],
        kernel: &[],
        build: counted_root,
    };

    fn batch(save_dir: Option<std::path::PathBuf>) -> Batch {
        Batch {
            scenario: COUNTED,
            setup: COUNTED.setup(None, &[]).unwrap(),
            seeds: 7..8,
            shard: None,
            strategy: strategy::Kind::Random,
            faults: FaultSpec::Profile(Profile::None),
            fault_scope: Default::default(),
            step_budget: STEP_BUDGET_DEFAULT,
            jobs: 1,
            save_dir,
            save_passing: false,
            kernel: kernel::Config::default(),
        }
    }

    /// Runs `batch` as the CLI's `run` does (search, then the first failure's story); returns
    /// that story and how many times the seed ran.
    fn run_and_tell(batch: &Batch) -> (FirstFailure, u64) {
        RUNS.store(0, Ordering::SeqCst);
        let mut ran = run(batch, Isolation::InProcess, &|_, _| {}, &|_, _| {});
        let first = first_failure("simkern", batch, &mut ran).expect("the seed fails");
        (first, RUNS.load(Ordering::SeqCst))
    }

    /// Issue 14: a failing seed runs once for the search and once to save it (or, with no
    /// seed file, once for its story), never a third time to print. One test, not two, so
    /// the counter is never shared between tests running side by side.
    #[test]
    fn a_failing_seed_runs_twice_whether_or_not_its_seed_file_is_saved() {
        let dir = std::env::temp_dir().join(format!("simkern-run-count-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);

        let saved = batch(Some(dir.clone()));
        let (first, runs) = run_and_tell(&saved);
        assert_eq!(
            runs, 2,
            "search, save and story: the story must reuse the save run"
        );
        let FirstFailure::Failed {
            seed,
            outcome,
            replay,
        } = first
        else {
            panic!("a panic is a failure, not a crash");
        };
        assert_eq!(seed, 7);
        // The story is the save run's: digests are kept only in a seed file's run.
        assert!(
            outcome.digests.is_some(),
            "the story's outcome is not the save run's"
        );
        assert_eq!(
            crate::Signature::of(&outcome.stop).to_string(),
            "panic: the counted scenario always fails"
        );
        let file = dir.join("counted-only-7.json");
        assert_eq!(replay, format!("simkern replay {}", file.display()));
        assert!(file.exists(), "{} was not written", file.display());

        let unsaved = batch(None);
        let (first, runs) = run_and_tell(&unsaved);
        assert_eq!(runs, 2, "search and story, with no seed file");
        assert!(matches!(first, FirstFailure::Failed { seed: 7, .. }));

        std::fs::remove_dir_all(&dir).unwrap();
    }
}
