//! `Scenario`: a named, parameterised program that runs on the simulated kernel.
//!
//! Built-in scenarios (the `simkern-scenarios` crate) and users' own are the same type and go
//! through the same runner (seeds, strategies, faults, replay, seed files). The engine knows no
//! scenario by name: every lookup is in a registry its caller passes (`find_in`). A scenario
//! builds its root closure from a `Setup` (variant and parameters); the closure runs as the
//! root simulated thread, spawns whatever threads it needs through `Sys`, and fails by
//! panicking (an assertion of the scenario's own end-to-end check) or through an oracle.

use crate::kernel;
use std::collections::BTreeMap;

/// A scenario's variant and parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setup {
    pub variant: String,
    pub params: BTreeMap<String, u64>,
}

/// One parameter of a scenario, with its default and its declared range `min..=max`.
///
/// The range bounds what a run may ask for (on the command line or in a seed file): a value
/// outside it is bad input, refused by `Scenario::setup` before anything runs, never an
/// allocation that aborts the run or a loop that grows without bound. Choose `max` so the
/// scenario's memory stays bounded, and `min` so the scenario still tests something
/// (`clients=0` would pass vacuously).
#[derive(Copy, Clone, Debug)]
pub struct Param {
    pub name: &'static str,
    pub default: u64,
    /// The smallest value accepted.
    pub min: u64,
    /// The largest value accepted.
    pub max: u64,
    pub about: &'static str,
}

impl Param {
    /// `value` if it is in `min..=max`; else an error naming the parameter, the value and
    /// the range.
    pub fn check(&self, value: u64) -> Result<u64, String> {
        if (self.min..=self.max).contains(&value) {
            Ok(value)
        } else {
            Err(format!(
                "parameter {}={value} is out of range {}..={}",
                self.name, self.min, self.max
            ))
        }
    }
}

/// A runnable scenario.
#[derive(Copy, Clone)]
pub struct Scenario {
    pub name: &'static str,
    pub about: &'static str,
    /// Variant names; the first is the default.
    pub variants: &'static [&'static str],
    pub params: &'static [Param],
    /// Kernel settings (`--kernel NAME=VALUE` names and values) the scenario runs with unless
    /// a run sets them itself: what the code under test needs of its kernel, such as an fd
    /// limit for 10,000 connections or time that moves with work for a busy server. `&[]` is
    /// the default kernel. Seed files record the kernel a seed ran on, so a replay never
    /// depends on this list staying the same.
    pub kernel: &'static [(&'static str, &'static str)],
    /// Builds the root thread's closure.
    pub build: fn(&Setup) -> Box<dyn FnOnce()>,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("variants", &self.variants)
            .finish()
    }
}

impl Scenario {
    /// The setup for `variant` (default if `None`) with `overrides` on top of the defaults.
    /// Unknown variants and parameters, and values outside a parameter's declared range, are
    /// errors naming the offender and the choices.
    pub fn setup(
        &self,
        variant: Option<&str>,
        overrides: &[(String, u64)],
    ) -> Result<Setup, String> {
        let variant = match variant {
            None => self.variants[0].to_owned(),
            Some(v) if self.variants.contains(&v) => v.to_owned(),
            Some(v) => {
                return Err(format!(
                    "scenario {} has no variant {v:?} (variants: {})",
                    self.name,
                    self.variants.join(", ")
                ))
            }
        };
        let mut params: BTreeMap<String, u64> = BTreeMap::new();
        for p in self.params {
            assert!(
                (p.min..=p.max).contains(&p.default),
                "scenario {}: parameter {}'s default {} is outside its range {}..={}",
                self.name,
                p.name,
                p.default,
                p.min,
                p.max
            );
            params.insert(p.name.to_owned(), p.default);
        }
        for (name, value) in overrides {
            match self.params.iter().find(|p| p.name == name) {
                Some(p) => {
                    let value = p
                        .check(*value)
                        .map_err(|e| format!("scenario {}: {e}", self.name))?;
                    params.insert(name.clone(), value);
                }
                None => {
                    let known: Vec<&str> = self.params.iter().map(|p| p.name).collect();
                    return Err(format!(
                        "scenario {} has no parameter {name:?} (parameters: {})",
                        self.name,
                        known.join(", ")
                    ));
                }
            }
        }
        Ok(Setup { variant, params })
    }

    /// The kernel this scenario runs on: the default, then the scenario's own `kernel`
    /// settings, then a run's `--kernel NAME=VALUE` arguments `args`, in order. Errors name
    /// the setting and why it was refused.
    pub fn kernel_config(&self, args: &[String]) -> Result<kernel::Config, String> {
        let mut config = kernel::Config::default();
        for (name, value) in self.kernel {
            config
                .set(name, value)
                .map_err(|e| format!("scenario {}'s kernel setting: {e}", self.name))?;
        }
        for arg in args {
            config.set_arg(arg)?;
        }
        Ok(config)
    }

    /// The root closure for `setup`.
    pub fn root(&self, setup: &Setup) -> Box<dyn FnOnce()> {
        (self.build)(setup)
    }
}

impl Setup {
    /// A parameter's value. Panics on a name the scenario does not declare (a scenario bug).
    pub fn param(&self, name: &str) -> u64 {
        *self
            .params
            .get(name)
            .unwrap_or_else(|| panic!("scenario reads undeclared parameter {name:?}"))
    }
}

/// A scenario of `registry` by name (a user's binary passes its own registry). The error
/// names the scenario and lists the known ones.
pub fn find_in<'a>(registry: &[&'a Scenario], name: &str) -> Result<&'a Scenario, String> {
    registry
        .iter()
        .copied()
        .find(|s| s.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = registry.iter().map(|s| s.name).collect();
            format!(
                "unknown scenario {name:?} (known scenarios: {})",
                names.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scenario with one ranged parameter, as the built-in `echo` declares `clients`.
    const RANGED: Scenario = Scenario {
        name: "ranged",
        about: "one parameter with a declared range",
        variants: &["only"],
        params: &[Param {
            name: "clients",
            default: 2,
            min: 1,
            max: 10_000,
            about: "client threads",
        }],
        kernel: &[],
        build: |_| Box::new(|| {}),
    };

    #[test]
    fn parameters_outside_their_declared_range_are_refused_naming_name_value_and_range() {
        for bad in [0, 10_001, u64::MAX] {
            let err = RANGED.setup(None, &[("clients".into(), bad)]).unwrap_err();
            assert!(
                err.contains(&format!("clients={bad}")) && err.contains("1..=10000"),
                "{err}"
            );
        }
        let ok = RANGED.setup(None, &[("clients".into(), 10_000)]).unwrap();
        assert_eq!(ok.param("clients"), 10_000);
    }

    #[test]
    fn a_name_missing_from_the_registry_is_an_error_listing_the_known_ones() {
        let err = find_in(&[&RANGED], "echo").unwrap_err();
        assert_eq!(err, "unknown scenario \"echo\" (known scenarios: ranged)");
        assert_eq!(find_in(&[&RANGED], "ranged").unwrap().name, "ranged");
    }
}
