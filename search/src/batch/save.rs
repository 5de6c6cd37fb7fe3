//! A batch's seed files: a failing seed run again with digests kept (its hash must match the
//! first run's) and written, never over an existing file. That second run's outcome is handed
//! back, so that the story of the batch's first failure is told from it (no third run).

use super::Batch;
use crate::campaign::Driver;
use crate::seed_file::{self, Expected, SeedFile};
use crate::signature::Signature;
use simkern_sim::runner::{Config, Outcome};
use std::path::{Path, PathBuf};

impl Batch {
    /// Reruns `seed` with digests kept and writes its seed file (never overwriting).
    pub fn save(&self, dir: &Path, seed: u64, first_hash: u64) -> Result<PathBuf, String> {
        self.save_with(&mut Driver::new(), dir, seed, first_hash, &[])
            .map(|(path, _)| path)
    }

    /// `save` through `driver`, whose campaign state is reused for later seeds of the chunk;
    /// `crashed` are seeds of the batch whose workers died (not rerun here). Returns the file
    /// and the outcome of the run it was written from (trace tail and digests kept).
    pub(super) fn save_with(
        &self,
        driver: &mut Driver,
        dir: &Path,
        seed: u64,
        first_hash: u64,
        crashed: &[u64],
    ) -> Result<(PathBuf, Outcome), String> {
        let (config, outcome) = driver.rerun(self, seed, self.chunk_start(seed), crashed);
        if outcome.trace_hash != first_hash {
            return Err(format!(
                "seed {seed} is not deterministic: trace hash {} on the first run, {} on the second",
                seed_file::format_hash(first_hash),
                seed_file::format_hash(outcome.trace_hash)
            ));
        }
        let file = self.seed_file(&config, &outcome);
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
        let path = dir.join(format!(
            "{}-{}-{seed}.json",
            self.scenario.name, self.setup.variant
        ));
        file.save_new(&path)?;
        Ok((path, outcome))
    }

    /// The seed file describing `outcome` of the run `config` (a campaign's run carries its
    /// own seed of streams, decision list and schedule; the file's name keeps the batch's).
    pub fn seed_file(&self, config: &Config, outcome: &Outcome) -> SeedFile {
        SeedFile {
            format: seed_file::FORMAT,
            scenario: self.scenario.name.into(),
            variant: self.setup.variant.clone(),
            params: self.setup.params.clone(),
            seed: config.seed,
            strategy: config.strategy,
            faults: self.faults_name(),
            fault_plan: outcome.fault_plan.clone(),
            step_budget: self.step_budget,
            kernel: self.kernel.clone(),
            // A campaign's run replays its whole recorded list (plans draw from their own
            // stream and one-answer choices are not recorded, so the list is exactly what a
            // replay reads).
            decisions: outcome.decisions.clone(),
            fill: simkern_sim::decision::Fill::Stream,
            schedule: config.schedule.clone(),
            expected: Expected {
                outcome: Signature::of(&outcome.stop),
                trace_hash: seed_file::format_hash(outcome.trace_hash),
                steps: outcome.steps,
            },
            digests: outcome.digests.as_deref().map(seed_file::encode_digests),
            postmortem: String::new(),
        }
    }
}
