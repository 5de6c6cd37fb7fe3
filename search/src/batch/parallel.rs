//! The batch engine: chunks of seeds handed to `jobs` runners on worker threads, each result
//! folded into a `Tally` as it comes, then the failures saved as seed files and the `Report`
//! assembled in seed order, with the first failure's outcome when its seed file was saved.

use super::{seed_digest, Batch, FailureRecord, Ran, Report, RunnerFactory, SeedResult};
use crate::campaign::Driver;
use crate::seed_file;
use crate::signature::Signature;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

impl Batch {
    /// `run_until`, calling `on_failure` with each failing seed as it is found (in the order
    /// seeds finish, not seed order), so a caller can show failures while the batch runs.
    pub fn run_watched(
        &self,
        progress: &(dyn Fn(u64, u64) + Sync),
        on_failure: &(dyn Fn(u64, &Signature) + Sync),
        make_runner: &RunnerFactory<'_>,
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Report {
        self.run_keeping(progress, on_failure, make_runner, stop)
            .report
    }

    /// `run_watched`, keeping the outcome of the first failure's second run (the one that
    /// saved its seed file) for its story, so that telling it does not run the seed again.
    pub fn run_keeping(
        &self,
        progress: &(dyn Fn(u64, u64) + Sync),
        on_failure: &(dyn Fn(u64, &Signature) + Sync),
        make_runner: &RunnerFactory<'_>,
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Ran {
        let wall = crate::wall::Stopwatch::start();
        let chunks = self.chunk_count();
        // Results are folded in as they come (memory grows with the failures, not the seeds):
        // `run_hash` is a sum, so the order they come in does not matter.
        let tally = Mutex::new(Tally::default());
        let next = AtomicU64::new(0);
        let done = AtomicU64::new(0);
        let failed = AtomicU64::new(0);
        let stopped = std::sync::atomic::AtomicBool::new(false);
        let not_run = Mutex::new(Vec::new());
        let jobs = self
            .jobs
            .clamp(1, usize::try_from(chunks).unwrap_or(usize::MAX).max(1));
        crate::wall::scoped_workers(jobs, || {
            let mut runner = make_runner();
            loop {
                let c = next.fetch_add(1, Ordering::Relaxed);
                if c >= chunks {
                    return;
                }
                let chunk = self.chunk(c);
                for seed in chunk.clone() {
                    if stop() {
                        stopped.store(true, Ordering::Relaxed);
                        return;
                    }
                    let Some(r) = runner.run(seed, chunk.start) else {
                        // Killed at a deadline: not run, and nothing after it in this chunk.
                        not_run.lock().expect("not_run lock").push(seed);
                        stopped.store(true, Ordering::Relaxed);
                        return;
                    };
                    let failing = !r.signature.is_pass();
                    if failing {
                        failed.fetch_add(1, Ordering::Relaxed);
                        on_failure(seed, &r.signature);
                    }
                    tally
                        .lock()
                        .expect("tally lock")
                        .add(seed, r, failing || self.save_passing);
                    progress(
                        done.fetch_add(1, Ordering::Relaxed) + 1,
                        failed.load(Ordering::Relaxed),
                    );
                }
            }
        });
        let Tally {
            seeds_run,
            run_hash,
            sim_steps,
            mut kept,
            mut notes,
        } = tally.into_inner().expect("tally lock");
        // Seed order (chunks are ascending and a shard keeps their order), as one process
        // with one job would have met them.
        kept.sort_unstable_by_key(|(seed, _)| *seed);
        notes.sort_by_key(|(seed, _)| *seed);
        let notes: Vec<String> = notes.into_iter().flat_map(|(_, n)| n).collect();
        let crashed_seeds: Vec<u64> = kept
            .iter()
            .filter(|(_, r)| r.signature.is_crash())
            .map(|(s, _)| *s)
            .collect();
        // One driver for every seed file, so a campaign's chunk is rebuilt once, not per seed.
        let mut saver = Driver::new();
        let mut failures: Vec<FailureRecord> = Vec::new();
        let mut errors = Vec::new();
        let mut first_outcome = None;
        for (seed, r) in kept {
            let SeedResult {
                trace_hash: hash,
                signature,
                steps,
                notes: _,
            } = r;
            let failing = !signature.is_pass();
            let mut record = FailureRecord {
                seed,
                signature,
                trace_hash: seed_file::format_hash(hash),
                steps,
                seed_file: None,
            };
            let crashed = record.signature.is_crash();
            if crashed && self.save_dir.is_some() {
                errors.push(format!(
                    "seed {seed} crashed its worker ({}); no seed file is written for a crash",
                    record.signature
                ));
            } else if failing || self.save_passing {
                if let Some(dir) = &self.save_dir {
                    match self.save_with(&mut saver, dir, seed, hash, &crashed_seeds) {
                        Ok((path, outcome)) => {
                            record.seed_file = Some(path.display().to_string());
                            // Kept seeds are in seed order, so no failure yet means this is
                            // the report's first (a crash first leaves nothing to keep).
                            if failing && failures.is_empty() {
                                first_outcome = Some((seed, Box::new(outcome)));
                            }
                        }
                        Err(e) => errors.push(e),
                    }
                }
            }
            if failing {
                failures.push(record);
            }
        }
        let report = Report {
            scenario: self.scenario.name.into(),
            variant: self.setup.variant.clone(),
            strategy: self.strategy.to_string(),
            faults: self.faults_name(),
            seeds: format!("{}..{}", self.seeds.start, self.seeds.end),
            shard: self.shard.map(|(k, n)| format!("{k}/{n}")),
            seeds_run,
            kernel: self.kernel.clone(),
            first_failure_seed: failures.first().map(|f| f.seed),
            failures,
            wall_s: wall.seconds(),
            sim_steps,
            run_hash: seed_file::format_hash(run_hash),
            stopped: stopped.into_inner(),
            not_run: {
                let mut s = not_run.into_inner().expect("not_run lock");
                s.sort_unstable();
                s
            },
            errors,
            notes,
        };
        Ran {
            report,
            first_outcome,
        }
    }
}

/// What a batch keeps of its seeds while they run: sums and counts, and the seeds it must
/// still act on (failures, and every seed when passing ones are saved too).
#[derive(Default)]
struct Tally {
    seeds_run: u64,
    run_hash: u64,
    sim_steps: u64,
    /// Seeds to report or save, with their results (notes moved to `notes`).
    kept: Vec<(u64, SeedResult)>,
    /// Each seed's notes, for the seeds that have any.
    notes: Vec<(u64, Vec<String>)>,
}

impl Tally {
    fn add(&mut self, seed: u64, mut r: SeedResult, keep: bool) {
        self.seeds_run += 1;
        self.run_hash = self.run_hash.wrapping_add(seed_digest(seed, r.trace_hash));
        self.sim_steps = self.sim_steps.saturating_add(r.steps);
        if !r.notes.is_empty() {
            self.notes.push((seed, std::mem::take(&mut r.notes)));
        }
        if keep {
            self.kept.push((seed, r));
        }
    }
}
