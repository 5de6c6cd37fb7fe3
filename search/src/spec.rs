//! `Spec`: a batch as data, what a worker process needs to rebuild the parent's runs.
//!
//! A `Batch` holds its `Scenario` (a function pointer), so it cannot cross a process
//! boundary; a `Spec` names the scenario instead, and the worker looks the name up in its own
//! registry: the same binary (`/proc/self/exe`), so the same registry as its parent. A spec
//! says how each seed runs (scenario, variant, parameters, strategy, faults, step budget),
//! never which seeds or where results go: those stay with the parent.

use crate::batch::{Batch, FaultSpec};
use serde::{Deserialize, Serialize};
use simkern_sim::fault::{self, Plan};
use simkern_sim::scenario::{self, Scenario};
use simkern_sim::strategy;
use std::collections::BTreeMap;

/// How a batch's seeds run, as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub scenario: String,
    pub variant: String,
    pub params: BTreeMap<String, u64>,
    pub strategy: strategy::Kind,
    pub faults: Faults,
    #[serde(default, skip_serializing_if = "fault::Scope::is_all")]
    pub fault_scope: fault::Scope,
    pub step_budget: u64,
    #[serde(default)]
    pub kernel: simkern_sim::kernel::Config,
}

/// A fault profile by name (`none`, `default`, `swarm`) or a concrete plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Faults {
    Profile(String),
    Plan(Plan),
}

impl Spec {
    /// The spec of `batch`'s runs.
    pub fn of(batch: &Batch) -> Spec {
        Spec {
            scenario: batch.scenario.name.to_owned(),
            variant: batch.setup.variant.clone(),
            params: batch.setup.params.clone(),
            strategy: batch.strategy,
            faults: match &batch.faults {
                FaultSpec::Profile(p) => Faults::Profile(p.to_string()),
                FaultSpec::Plan(p) => Faults::Plan(p.clone()),
            },
            fault_scope: batch.fault_scope.clone(),
            step_budget: batch.step_budget,
            kernel: batch.kernel.clone(),
        }
    }

    /// The `run` command line that reruns `seeds` as this spec runs them: scenario, variant,
    /// every parameter, strategy, faults and step budget, so the command reproduces the runs
    /// exactly. The one place a rerun command is written (`run`'s failures, the nightly's).
    /// `None` for a concrete fault plan, which has no flag (its seed file replays it).
    pub fn run_command(&self, program: &str, seeds: &std::ops::Range<u64>) -> Option<String> {
        let faults = match &self.faults {
            Faults::Profile(name) => name,
            Faults::Plan(_) => return None,
        };
        let mut cmd = format!("{program} run {} --variant {}", self.scenario, self.variant);
        for (name, value) in &self.params {
            cmd += &format!(" --param {name}={value}");
        }
        cmd += &format!(
            " --seeds {}..{} --strategy {} --faults {faults} --step-budget {}",
            seeds.start, seeds.end, self.strategy, self.step_budget
        );
        cmd += &self.fault_scope.flags();
        for arg in self.kernel.overrides()? {
            cmd += &format!(" --kernel {arg}");
        }
        Some(cmd)
    }

    /// The batch this spec describes, its scenario found in `registry` (no seeds: a worker
    /// is told each seed). The error names the field.
    pub fn batch(&self, registry: &[&Scenario]) -> Result<Batch, String> {
        let scenario = scenario::find_in(registry, &self.scenario)
            .map_err(|e| format!("worker spec: field `scenario`: {e}"))?;
        let params: Vec<(String, u64)> = self.params.iter().map(|(k, v)| (k.clone(), *v)).collect();
        let setup = scenario
            .setup(Some(&self.variant), &params)
            .map_err(|e| format!("worker spec: {e}"))?;
        let faults = match &self.faults {
            Faults::Profile(name) => FaultSpec::Profile(
                name.parse()
                    .map_err(|e| format!("worker spec: field `faults`: {e}"))?,
            ),
            Faults::Plan(plan) => FaultSpec::Plan(plan.clone()),
        };
        Ok(Batch {
            scenario: *scenario,
            setup,
            seeds: 0..0,
            shard: None,
            strategy: self.strategy,
            faults,
            fault_scope: fault::Scope::new(
                self.fault_scope.threads.clone(),
                self.fault_scope.calls.clone(),
            )
            .map_err(|e| format!("worker spec: field `fault_scope`: {e}"))?,
            step_budget: self.step_budget,
            jobs: 1,
            save_dir: None,
            save_passing: false,
            kernel: self.kernel.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use simkern_sim::fault::Profile;

    #[test]
    fn a_spec_round_trips_through_json_to_the_same_runs() {
        let echo = simkern_scenarios::find("echo").unwrap();
        let batch = Batch {
            scenario: *echo,
            setup: echo.setup(None, &[("clients".into(), 3)]).unwrap(),
            seeds: 5..9,
            shard: None,
            strategy: strategy::Kind::Pct { depth: 3 },
            faults: FaultSpec::Profile(Profile::Swarm),
            fault_scope: Default::default(),
            step_budget: 1234,
            jobs: 2,
            save_dir: None,
            save_passing: false,
            kernel: Default::default(),
        };
        let spec = Spec::of(&batch);
        let json = serde_json::to_string(&spec).unwrap();
        let back: Spec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, spec);
        let rebuilt = back.batch(simkern_scenarios::builtin_refs()).unwrap();
        assert_eq!(rebuilt.setup, batch.setup);
        assert_eq!(rebuilt.config(7).seed, batch.config(7).seed);
        assert_eq!(rebuilt.faults, batch.faults);
        assert_eq!(rebuilt.step_budget, 1234);
        let unknown = Spec {
            scenario: "nosuch".into(),
            ..spec
        };
        let err = unknown
            .batch(simkern_scenarios::builtin_refs())
            .unwrap_err();
        assert!(err.contains("unknown scenario \"nosuch\""), "{err}");
    }

    #[test]
    fn the_rerun_command_carries_every_parameter_and_the_step_budget() {
        let echo = simkern_scenarios::find("echo").unwrap();
        let batch = Batch {
            scenario: *echo,
            setup: echo.setup(None, &[("clients".into(), 3)]).unwrap(),
            seeds: 5..9,
            shard: Some((1, 2)),
            strategy: strategy::Kind::Pct { depth: 3 },
            faults: FaultSpec::Profile(Profile::Swarm),
            fault_scope: Default::default(),
            step_budget: 1234,
            jobs: 2,
            save_dir: None,
            save_passing: false,
            kernel: Default::default(),
        };
        assert_eq!(
            Spec::of(&batch).run_command("sk", &(7..8)).unwrap(),
            "sk run echo --variant fixed --param clients=3 --param rounds=10 --param size=64 \
             --seeds 7..8 --strategy pct:3 --faults swarm --step-budget 1234"
        );
    }
}
