//! A failing seed of `Check` as the test's panic message: the failure, the last events, the
//! commands that replay it, and (for a scenario) the seed file written for it.

use super::{Check, Root};
use crate::batch::Batch;
use crate::signature::Signature;
use simkern_sim::runner::Outcome;
use simkern_sim::strategy;

impl Check {
    /// The replay commands for `seed`.
    pub(super) fn replay_hint(&self, seed: u64) -> String {
        let test = self.test_name().unwrap_or_else(|| "<this test>".into());
        let mut env = format!("SIMKERN_SEED={seed}");
        if let Some(s) = std::env::var("SIMKERN_STRATEGY").ok().or_else(|| {
            (self.strategy != strategy::Kind::Random).then(|| self.strategy.to_string())
        }) {
            env += &format!(" SIMKERN_STRATEGY={s}");
        }
        for (var, list) in [
            ("SIMKERN_FAULT_THREADS", &self.fault_scope.threads),
            ("SIMKERN_FAULT_CALLS", &self.fault_scope.calls),
        ] {
            if let Some(v) = std::env::var(var)
                .ok()
                .or_else(|| (!list.is_empty()).then(|| list.join(",")))
            {
                env += &format!(" {var}={v}");
            }
        }
        format!("replay this seed: {env} cargo test {test} -- --exact")
    }

    /// The failure report for `seed`; writes its seed file when a scenario is checked.
    pub(super) fn failure(&self, seed: u64, outcome: &Outcome) -> String {
        let mut tail = String::new();
        let start = outcome.tail.len().saturating_sub(20);
        for e in &outcome.tail[start..] {
            tail += &format!(
                "  step {} {} {:.3} ms {:?}\n",
                e.step,
                e.thread,
                e.time_ns as f64 / 1e6,
                e.what
            );
        }
        let mut report = format!(
            "{} failed on seed {seed}: {}\n{:?}\nlast events:\n{tail}{}",
            self.what(),
            Signature::of(&outcome.stop),
            outcome.stop,
            self.replay_hint(seed)
        );
        if let (Root::Scenario(b), Some(dir)) = (&self.root, &self.save_dir) {
            let batch = Batch {
                seeds: seed..seed + 1,
                strategy: self.strategy,
                faults: self.faults.clone(),
                fault_scope: self.fault_scope.clone(),
                step_budget: self.step_budget,
                kernel: self.kernel.clone(),
                ..(**b).clone()
            };
            let path = dir.join(format!(
                "{}-{}-{seed}.json",
                b.scenario.name, b.setup.variant
            ));
            // A rerun of a failing test finds its own file from last time: the same seed, the
            // same hash is the same file, kept. Anything else there is not overwritten.
            let same = crate::seed_file::SeedFile::load(&path)
                .is_ok_and(|f| f.expected_hash() == Ok(outcome.trace_hash) && f.seed == seed);
            let saved = if same {
                Ok(path)
            } else {
                batch.save(dir, seed, outcome.trace_hash)
            };
            match saved {
                Ok(path) => {
                    report += &format!(
                        "\n  or: <your simkern binary> replay {} --explain",
                        path.display()
                    )
                }
                Err(e) => report += &format!("\n  (no seed file: {e})"),
            }
        }
        report
    }
}
