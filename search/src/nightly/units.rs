//! Units: what the search rotates over, one scenario × variant × strategy × fault profile.

use crate::batch::{Batch, FaultSpec};
use simkern_sim::kernel;
use simkern_sim::scenario::Scenario;
use simkern_sim::{fault, strategy};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// The scenarios of `registry` a search over `all` covers: every one but the `selftest-`
/// ones, which crash the process on purpose (they test crash isolation).
pub fn searchable<'r>(registry: &[&'r Scenario]) -> Vec<&'r Scenario> {
    registry
        .iter()
        .copied()
        .filter(|s| !s.name.starts_with("selftest-"))
        .collect()
}

/// Which variants are under test.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Variants {
    /// Every variant whose name does not start with `buggy`: a failure is a regression.
    Fixed,
    /// Every variant whose name starts with `buggy`: the search must find them.
    Buggy,
    All,
}

impl Variants {
    pub fn wants(self, variant: &str) -> bool {
        match self {
            Variants::All => true,
            Variants::Fixed => !variant.starts_with("buggy"),
            Variants::Buggy => variant.starts_with("buggy"),
        }
    }
}

impl fmt::Display for Variants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Variants::Fixed => "fixed",
            Variants::Buggy => "buggy",
            Variants::All => "all",
        })
    }
}

impl FromStr for Variants {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "fixed" => Ok(Variants::Fixed),
            "buggy" => Ok(Variants::Buggy),
            "all" => Ok(Variants::All),
            other => Err(format!(
                "--variants {other:?}: expected fixed, buggy or all"
            )),
        }
    }
}

/// One thing the search rotates over.
#[derive(Clone, Debug)]
pub struct Unit<'r> {
    pub scenario: &'r Scenario,
    pub variant: String,
    pub strategy: strategy::Kind,
    pub faults: fault::Profile,
    /// The threads and calls its faults are narrowed to (`--fault-threads`, `--fault-calls`).
    pub fault_scope: fault::Scope,
    /// The simulated kernel every seed of the unit runs on.
    pub kernel: kernel::Config,
}

impl Unit<'_> {
    /// The batch of this unit over `seeds`, in-process and saving nothing.
    pub fn batch(&self, seeds: Range<u64>, step_budget: u64) -> Batch {
        Batch {
            scenario: *self.scenario,
            setup: self
                .scenario
                .setup(Some(&self.variant), &[])
                .expect("variants come from the scenario"),
            seeds,
            shard: None,
            strategy: self.strategy,
            faults: FaultSpec::Profile(self.faults),
            fault_scope: self.fault_scope.clone(),
            step_budget,
            jobs: 1,
            save_dir: None,
            save_passing: false,
            kernel: self.kernel.clone(),
        }
    }
}

/// Every unit of `scenarios`' wanted variants under each strategy and fault profile, in
/// that nesting order. An empty product is an error naming the scenarios and the variants.
pub fn units<'r>(
    scenarios: &[&'r Scenario],
    variants: Variants,
    strategies: &[strategy::Kind],
    faults: &[fault::Profile],
    kernel: &[String],
) -> Result<Vec<Unit<'r>>, String> {
    let mut units = Vec::new();
    for &scenario in scenarios {
        let kernel = scenario.kernel_config(kernel)?;
        for variant in scenario.variants.iter().filter(|v| variants.wants(v)) {
            for &strategy in strategies {
                for &faults in faults {
                    units.push(Unit {
                        scenario,
                        variant: (*variant).to_owned(),
                        strategy,
                        faults,
                        fault_scope: fault::Scope::default(),
                        kernel: kernel.clone(),
                    });
                }
            }
        }
    }
    if units.is_empty() {
        let names: Vec<&str> = scenarios.iter().map(|s| s.name).collect();
        return Err(format!(
            "no scenario among {:?} has a {variants} variant",
            names.join(",")
        ));
    }
    Ok(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `selftest-crash` aborts on purpose: a search over `all` must not count it as a bug.
    #[test]
    fn a_search_over_all_leaves_out_the_selftest_scenarios_and_keeps_the_rest_in_order() {
        let registry = simkern_scenarios::builtin_refs();
        let names: Vec<&str> = searchable(registry).iter().map(|s| s.name).collect();
        for gone in ["selftest-crash", "selftest-teardown"] {
            assert!(
                registry.iter().any(|s| s.name == gone),
                "{gone} is built in"
            );
            assert!(!names.contains(&gone), "{names:?}");
        }
        assert_eq!(names.len(), registry.len() - 2, "{names:?}");
        assert_eq!(names[..2], ["echo", "netpoll-cancel-dial"]);
    }
}
