//! Seed files: everything needed to rerun one seed exactly, and what it is expected to do.
//!
//! JSON (serde), `format` versioned. A seed file names the scenario, variant and parameters,
//! the seed, strategy and fault plan (the concrete plan, even for a swarm profile, so the file
//! does not depend on how profiles draw plans), an optional decision list (after shrinking),
//! and the expected outcome: a `Signature` and the trace hash. `replay` reruns it and reports
//! whether it reproduced exactly; a digest per step lets it name the first step that
//! diverged. Bad files are errors that name the field, never panics; an object that names a
//! key twice is refused (`strict_json`), not read as its last value.
//!
//! Formats: 2 (written) holds `expected.outcome` as a `Signature` object
//! (`{"kind":"oracle","oracle":"timer","subjects":["owner","timer"]}`). 1 (read) held it as a
//! string (`"oracle timer"`, `"pass"`); such a file loads with its `format` kept at 1, and
//! its outcome is compared in format 1's terms (`Signature::v1`: the oracle's name only,
//! every digit of a panic message as `N`), so a format-1 file replays exactly as it did.
//! 3 (written) is 2 with a new kernel default: each step takes time (`step_ns_max`, 100 ns);
//! a format 1 or 2 file that leaves `kernel.step_ns_max` out ran with 0 and loads with 0.

use crate::signature::Signature;
use serde::{Deserialize, Serialize};
use simkern_sim::decision::{Decision, Fill};
use simkern_sim::fault::Plan;
use simkern_sim::kernel;
use simkern_sim::runner::{Config, Faults};
use simkern_sim::scenario::{self, Scenario};
use simkern_sim::strategy::{self, Switch};
use std::collections::BTreeMap;
use std::path::Path;

mod hash;
pub use hash::{decode_digests, encode_digests, first_divergence, format_hash, parse_hash};

/// The seed file format this build writes.
pub const FORMAT: u32 = 3;
/// The oldest format this build reads (see the module doc).
pub const FORMAT_OLDEST: u32 = 1;

/// A seed file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    pub format: u32,
    pub scenario: String,
    pub variant: String,
    #[serde(default)]
    pub params: BTreeMap<String, u64>,
    pub seed: u64,
    pub strategy: strategy::Kind,
    /// The profile the plan came from (`none`, `default`, `swarm`, or `plan` for a hand-made one).
    pub faults: String,
    pub fault_plan: Plan,
    pub step_budget: u64,
    /// The simulated kernel's configuration, when it is not the default (fd limit, buffers,
    /// freedoms, target Linux version).
    #[serde(default, skip_serializing_if = "kernel::Config::is_default")]
    pub kernel: kernel::Config,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decisions: Option<Vec<Decision>>,
    /// What answers once `decisions` run out: the seed's streams (`stream`), or the benign
    /// value of every choice (`benign`, a shrunk file).
    #[serde(default, skip_serializing_if = "is_stream")]
    pub fill: Fill,
    /// A schedule to follow instead of `strategy`: at scheduling point `point`, run `thread`
    /// (a shrunk file; see `strategy::Replay`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Vec<Switch>>,
    pub expected: Expected,
    /// Per-step 32-bit digests, hex, for naming the first divergent step on a mismatch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digests: Option<String>,
    /// A short postmortem: the bug, the fix, the oracle that catches it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub postmortem: String,
}

/// The outcome a seed file expects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// What the seed does (`Signature::Pass` for a passing one).
    pub outcome: Signature,
    /// The trace hash, as `0x` and 16 hex digits.
    pub trace_hash: String,
    pub steps: u64,
}

impl SeedFile {
    /// Parses and validates; the error names the file and the field.
    pub fn parse(text: &str, origin: &str) -> Result<SeedFile, String> {
        // Read the version first, so a newer file says so instead of failing on a new field.
        let mut value =
            crate::strict_json::parse(text).map_err(|e| format!("{origin}: not JSON: {e}"))?;
        let format = match value.get("format") {
            None => return Err(format!("{origin}: missing field `format`")),
            Some(v) => match v.as_u64() {
                Some(f) if (FORMAT_OLDEST as u64..=FORMAT as u64).contains(&f) => f,
                _ => {
                    return Err(format!(
                        "{origin}: field `format` is {v}; this build reads formats {FORMAT_OLDEST} to {FORMAT}"
                    ))
                }
            },
        };
        if format == 1 {
            upgrade_v1(&mut value).map_err(|e| format!("{origin}: {e}"))?;
        }
        if format <= 2 {
            still_time(&mut value).map_err(|e| format!("{origin}: {e}"))?;
        }
        // The error names the field (`expected.trace_hash`, `fault_plan[0].fault`); a struct
        // written as an array of its fields is refused, not read positionally.
        let file: SeedFile =
            crate::named_fields::from_value(value).map_err(|e| format!("{origin}: {e}"))?;
        file.expected_hash()
            .map_err(|e| format!("{origin}: field `expected.trace_hash`: {e}"))?;
        file.kernel
            .check()
            .map_err(|e| format!("{origin}: field `kernel`: {e}"))?;
        if let Some(d) = &file.digests {
            decode_digests(d).map_err(|e| format!("{origin}: field `digests`: {e}"))?;
        }
        if let Some(s) = &file.schedule {
            if let Some(w) = s.windows(2).find(|w| w[0].point >= w[1].point) {
                return Err(format!(
                    "{origin}: field `schedule`: switch at point {} follows point {}; points must ascend",
                    w[1].point, w[0].point
                ));
            }
        }
        Ok(file)
    }

    pub fn load(path: &Path) -> Result<SeedFile, String> {
        // The type first: opening a FIFO blocks until a writer comes, a directory or a
        // device is never a seed file, so anything but a regular file is refused unread.
        let kind = std::fs::metadata(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?
            .file_type();
        if !kind.is_file() {
            use std::os::unix::fs::FileTypeExt;
            let what = if kind.is_dir() {
                "a directory"
            } else if kind.is_fifo() {
                "a FIFO"
            } else if kind.is_socket() {
                "a socket"
            } else if kind.is_char_device() || kind.is_block_device() {
                "a device"
            } else {
                "not a regular file"
            };
            return Err(format!(
                "{}: is {what}, not a seed file (a regular JSON file)",
                path.display()
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        SeedFile::parse(&text, &path.display().to_string())
    }

    /// The file as JSON, in its own format: a format-1 file (loaded, then edited) keeps its
    /// outcome a format-1 string, so it still reads back and compares as it did, and a file
    /// older than format 3 always names its kernel (an absent one would read back with
    /// `step_ns_max` 0, not today's default).
    pub fn to_json(&self) -> String {
        let mut value = serde_json::to_value(self).expect("seed files serialise");
        if self.format == 1 {
            value["expected"]["outcome"] = self.expected.outcome.v1().into();
        }
        if self.format <= 2 {
            value["kernel"] = serde_json::to_value(&self.kernel).expect("configs serialise");
        }
        serde_json::to_string_pretty(&value).expect("seed files serialise")
    }

    /// Writes `path`, refusing to overwrite an existing file.
    pub fn save_new(&self, path: &Path) -> Result<(), String> {
        let json = self.to_json();
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| format!("{}: cannot create: {e}", path.display()))?;
        std::io::Write::write_all(&mut f, format!("{json}\n").as_bytes())
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// True when a run that ended as `got` ends as this file expects (compared as this
    /// file's format compares: see the module doc).
    pub fn expects(&self, got: &Signature) -> bool {
        match self.format {
            1 => got.v1() == self.expected.outcome.v1(),
            _ => *got == self.expected.outcome,
        }
    }

    pub fn expected_hash(&self) -> Result<u64, String> {
        parse_hash(&self.expected.trace_hash)
    }

    pub fn digests(&self) -> Option<Vec<u32>> {
        self.digests
            .as_deref()
            .map(|d| decode_digests(d).expect("validated by parse"))
    }
}

/// Format 1's `expected.outcome` string, as the `Signature` format 2 holds; the file keeps
/// `format: 1`, so `expects` compares in format 1's terms.
fn upgrade_v1(value: &mut serde_json::Value) -> Result<(), String> {
    let Some(outcome) = value.pointer_mut("/expected/outcome") else {
        // serde names the missing field next.
        return Ok(());
    };
    let Some(text) = outcome.as_str() else {
        return Err(format!(
            "field `expected.outcome`: {outcome} is not a format-1 outcome (a string)"
        ));
    };
    let signature =
        Signature::from_v1(text).map_err(|e| format!("field `expected.outcome`: {e}"))?;
    *outcome = serde_json::to_value(signature).expect("signatures serialise");
    Ok(())
}

/// Before format 3 the kernel's default `step_ns_max` was 0 (time stood still while any
/// thread could run), so a file that leaves it out ran with 0 and replays with 0, not with
/// today's default.
fn still_time(value: &mut serde_json::Value) -> Result<(), String> {
    let Some(file) = value.as_object_mut() else {
        // serde says what the top level should be next.
        return Ok(());
    };
    let kernel = file
        .entry("kernel")
        .or_insert_with(|| serde_json::Value::Object(Default::default()));
    let Some(kernel) = kernel.as_object_mut() else {
        return Err(format!("field `kernel`: {kernel} is not an object"));
    };
    kernel.entry("step_ns_max").or_insert(0.into());
    Ok(())
}

fn is_stream(f: &Fill) -> bool {
    *f == Fill::Stream
}

impl SeedFile {
    /// The run this file describes (digests and every event kept, for reports).
    pub fn config(&self) -> Config {
        let mut c = Config::new(self.seed);
        c.strategy = self.strategy;
        c.faults = Faults::Plan(self.fault_plan.clone());
        c.step_budget = self.step_budget;
        c.kernel = self.kernel.clone();
        c.replay = self.decisions.clone();
        c.fill = self.fill;
        c.schedule = self.schedule.clone();
        c.keep_digests = true;
        c.keep_events = true;
        c
    }

    /// This file's scenario, looked up in `registry`, and its setup (variant and
    /// parameters); the error names the field and, for an unknown scenario, the known ones.
    pub fn resolve<'a>(
        &self,
        registry: &[&'a Scenario],
    ) -> Result<(&'a Scenario, scenario::Setup), String> {
        let scenario = scenario::find_in(registry, &self.scenario)
            .map_err(|e| format!("field `scenario`: {e}"))?;
        let params: Vec<(String, u64)> = self.params.iter().map(|(k, v)| (k.clone(), *v)).collect();
        let setup = scenario.setup(Some(&self.variant), &params)?;
        Ok((scenario, setup))
    }

    /// The root closure for this file's scenario (found in `registry`), variant and
    /// parameters; the error names the field.
    pub fn root(&self, registry: &[&Scenario]) -> Result<Box<dyn FnOnce()>, String> {
        let (scenario, setup) = self.resolve(registry)?;
        Ok(scenario.root(&setup))
    }
}

#[cfg(test)]
mod tests;
