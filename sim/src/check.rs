//! `check`: run a scenario over many seeds inside `#[test]`, the way users test their code.
//!
//! `SIMKERN_SEEDS=N` sets how many seeds (default `SEEDS_DEFAULT`); `SIMKERN_SEED=S` replays
//! exactly one. On the first failure the test panics with the seed, the failure and the last
//! events, and the exact commands that replay it.

use crate::batch::{signature, Batch, FaultSpec};
use crate::fault::Profile;
use crate::runner::STEP_BUDGET_DEFAULT;
use crate::scenario::Scenario;
use crate::strategy;

/// Seeds a `check` runs when `SIMKERN_SEEDS` is not set: enough to catch a bug a random walk
/// finds in one run of a hundred, quick enough for `cargo test`.
pub const SEEDS_DEFAULT: u64 = 100;

/// A multi-seed check of one scenario.
pub struct Check {
    batch: Batch,
}

impl Check {
    /// `variant` `None` is the scenario's default; parameters take their defaults.
    pub fn new(scenario: &Scenario, variant: Option<&str>) -> Self {
        let setup = scenario
            .setup(variant, &[])
            .unwrap_or_else(|e| panic!("{e}"));
        Check {
            batch: Batch {
                scenario: *scenario,
                setup,
                seeds: 0..SEEDS_DEFAULT,
                strategy: strategy::Kind::Random,
                faults: FaultSpec::Profile(Profile::None),
                step_budget: STEP_BUDGET_DEFAULT,
                jobs: 1,
                save_dir: None,
                save_passing: false,
                shard: None,
            },
        }
    }

    pub fn param(mut self, name: &str, value: u64) -> Self {
        let mut overrides: Vec<(String, u64)> = self
            .batch
            .setup
            .params
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        overrides.retain(|(k, _)| k != name);
        overrides.push((name.to_owned(), value));
        self.batch.setup = self
            .batch
            .scenario
            .setup(Some(&self.batch.setup.variant), &overrides)
            .unwrap_or_else(|e| panic!("{e}"));
        self
    }

    pub fn seeds(mut self, n: u64) -> Self {
        self.batch.seeds = 0..n;
        self
    }

    pub fn strategy(mut self, s: strategy::Kind) -> Self {
        self.batch.strategy = s;
        self
    }

    pub fn faults(mut self, p: Profile) -> Self {
        self.batch.faults = FaultSpec::Profile(p);
        self
    }

    /// Runs the seeds (as the environment says) and panics on the first failure.
    pub fn run(mut self) {
        let env = |name: &str| {
            std::env::var(name).ok().map(|v| {
                v.parse::<u64>()
                    .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
            })
        };
        if let Some(seed) = env("SIMKERN_SEED") {
            self.batch.seeds = seed..seed + 1;
        } else if let Some(n) = env("SIMKERN_SEEDS") {
            self.batch.seeds = 0..n;
        }
        for seed in self.batch.seeds.clone() {
            let outcome = self.batch.run_seed(&self.batch.config(seed));
            if outcome.passed() {
                continue;
            }
            let b = &self.batch;
            let mut tail = String::new();
            for e in outcome
                .tail
                .iter()
                .rev()
                .take(20)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                tail += &format!(
                    "  step {} {} {:.3} ms {:?}\n",
                    e.step,
                    e.thread,
                    e.time_ns as f64 / 1e6,
                    e.what
                );
            }
            panic!(
                "{} ({}) failed on seed {seed}: {}\n{:?}\nlast events:\n{tail}replay this seed: SIMKERN_SEED={seed} cargo test -- <this test>\n  or: simkern run {} --variant {} --seeds {seed}..{} --strategy {} --faults {}",
                b.scenario.name,
                b.setup.variant,
                signature(&outcome.stop),
                outcome.stop,
                b.scenario.name,
                b.setup.variant,
                seed + 1,
                b.strategy,
                b.faults.name(),
            );
        }
    }
}
