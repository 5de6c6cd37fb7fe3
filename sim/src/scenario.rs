//! `Scenario`: a named, parameterised program that runs on the simulated kernel.
//!
//! Built-in scenarios and users' own are the same type and go through the same runner
//! (seeds, strategies, faults, replay, seed files). A scenario builds its root closure from a
//! `Setup` (variant and parameters); the closure runs as the root simulated thread, spawns
//! whatever threads it needs through `Sys`, and fails by panicking (an assertion of the
//! scenario's own end-to-end check) or through an oracle.

use std::collections::BTreeMap;

/// A scenario's variant and parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setup {
    pub variant: String,
    pub params: BTreeMap<String, u64>,
}

/// One parameter of a scenario, with its default.
#[derive(Copy, Clone, Debug)]
pub struct Param {
    pub name: &'static str,
    pub default: u64,
    pub about: &'static str,
}

/// A runnable scenario.
#[derive(Copy, Clone)]
pub struct Scenario {
    pub name: &'static str,
    pub about: &'static str,
    /// Variant names; the first is the default.
    pub variants: &'static [&'static str],
    pub params: &'static [Param],
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
    /// Unknown variants and parameters are errors naming the offender and the choices.
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
        let mut params: BTreeMap<String, u64> = self
            .params
            .iter()
            .map(|p| (p.name.to_owned(), p.default))
            .collect();
        for (name, value) in overrides {
            match params.get_mut(name) {
                Some(slot) => *slot = *value,
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

/// The built-in scenarios. Names starting `selftest-` test the framework itself (some crash
/// the process on purpose) and are skipped by tests that run every scenario in-process.
pub fn builtin() -> &'static [Scenario] {
    use crate::scenarios::*;
    &[
        echo::SCENARIO,
        netpoll_cancel_dial::SCENARIO,
        capnp_chain_teardown::SCENARIO,
        nbio_double_close::SCENARIO,
        go_netpoll_wakeup::SCENARIO,
        lws_timer_after_destroy::SCENARIO,
        selftest_crash::SCENARIO,
        selftest_teardown::SCENARIO,
    ]
}

/// The built-in scenarios as a registry (what `simkern::cli::main` takes): the same list
/// as `builtin`, by reference.
pub fn builtin_refs() -> &'static [&'static Scenario] {
    // One list (`builtin`); this is a view of it, made once.
    static REFS: std::sync::OnceLock<Vec<&'static Scenario>> = std::sync::OnceLock::new();
    REFS.get_or_init(|| builtin().iter().collect())
}

/// A built-in scenario by name.
pub fn find(name: &str) -> Result<&'static Scenario, String> {
    find_in(builtin_refs(), name)
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
