//! One sequence on all three: the simulator and Linux each judged by the model, and the
//! calls the model does not cover compared between the two directly.
//!
//! Owns: finding the first problem of a sequence and printing it as a table (op, what the
//! model allows, what the simulator returned, what Linux returned).
//! Direct comparison (`getsockname`, `accept4`'s peer address): a step is compared only when
//! both backends have made the same calls with the same outcomes up to it, the step before
//! it is a `Settle`, and after that `Settle` the model knows one state for each backend, the
//! same one. Otherwise a difference may come from a freedom (a handshake finished on Linux
//! but not yet on the simulator when a `shutdown` came, say), and an address depends on it
//! (a `shutdown` of a connecting socket resets its source address).

use crate::gen::Profile;
use crate::run::{Failure, Run};
use crate::step::Step;
use crate::{linux, sim};
use std::fmt::Write as _;

/// Who disagreed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Who {
    /// The model does not allow what the simulator did (or the simulator broke).
    Sim,
    /// The model does not allow what Linux did.
    Linux,
    /// The simulator and Linux differ on a call the model does not cover.
    Direct,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub step: usize,
    pub who: Who,
    /// The op kind of the step (shrinking keeps it).
    pub kind: &'static str,
    pub message: String,
}

/// A sequence's runs and its first problem.
pub struct Verdict {
    pub sim: Run,
    pub linux: Option<Run>,
    pub problem: Option<Problem>,
    /// Kinds of the steps compared directly.
    pub direct: Vec<&'static str>,
}

/// Runs `steps` on the simulator (seeded `seed`) and, unless the profile is simulator-only,
/// on Linux; `explain` records what the model allowed at every step.
pub fn judge(steps: &[Step], profile: Profile, seed: u64, explain: bool) -> Verdict {
    let setup = sim::setup(profile, seed);
    let sim = sim::run(steps, &setup, seed, explain);
    let linux = profile.on_linux().then(|| linux::run(steps, explain));
    let (direct, mismatch) = compare(&sim, linux.as_ref());
    let mut problems = Vec::new();
    if let Some((i, f)) = &sim.failure {
        problems.push(problem(&sim, *i, Who::Sim, f));
    }
    if let Some((i, f)) = linux.as_ref().and_then(|l| l.failure.as_ref()) {
        problems.push(problem(
            linux.as_ref().expect("has failure"),
            *i,
            Who::Linux,
            f,
        ));
    }
    problems.extend(mismatch);
    let problem = problems.into_iter().min_by_key(|p| p.step);
    Verdict {
        sim,
        linux,
        problem,
        direct,
    }
}

fn problem(run: &Run, step: usize, who: Who, f: &Failure) -> Problem {
    let message = match f {
        Failure::Model(m) => m.clone(),
        Failure::Content(m) => format!("stream content: {m}"),
        Failure::Stopped(m) => m.clone(),
    };
    Problem {
        step,
        who,
        kind: run.records[step].kind,
        message,
    }
}

/// The directly compared steps, and the first that differs.
fn compare(sim: &Run, linux: Option<&Run>) -> (Vec<&'static str>, Option<Problem>) {
    let Some(linux) = linux else {
        return (Vec::new(), None);
    };
    let mut compared = Vec::new();
    let n = sim.records.len().min(linux.records.len());
    for i in 0..n {
        let (a, b) = (&sim.records[i], &linux.records[i]);
        if a.call != b.call {
            break;
        }
        let after_settle = i > 0 && sim.records[i - 1].kind == "settle" && {
            let (x, y) = (&sim.records[i - 1].state, &linux.records[i - 1].state);
            x.is_some() && x == y && x.as_deref().is_some_and(|s| s.starts_with("1 consistent"))
        };
        if let (true, Some(x), Some(y)) = (after_settle, &a.extra, &b.extra) {
            if a.outcome == b.outcome || a.kind == "getsockname" {
                compared.push(a.kind);
                if x != y {
                    let message = format!(
                        "{}: the simulator says {x}, Linux says {y} (compared directly: the \
                         model does not cover it)",
                        a.call
                    );
                    let p = Problem {
                        step: i,
                        who: Who::Direct,
                        kind: a.kind,
                        message,
                    };
                    return (compared, Some(p));
                }
            }
        }
        if a.outcome != b.outcome {
            break;
        }
    }
    (compared, None)
}

/// The sequence as a table, the problem's row marked, then the problem's message.
pub fn table(v: &Verdict) -> String {
    let empty = Run::default();
    let linux = v.linux.as_ref().unwrap_or(&empty);
    let rows = v.sim.records.len().max(linux.records.len());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>3}  {:<36} {:<44} {:<30} linux",
        "#", "op", "model allows", "sim"
    );
    for i in 0..rows {
        let (s, l) = (v.sim.records.get(i), linux.records.get(i));
        let call = match (s, l) {
            (Some(s), Some(l)) if s.call != l.call => format!("sim {} / linux {}", s.call, l.call),
            (Some(r), _) | (None, Some(r)) => r.call.clone(),
            (None, None) => unreachable!("rows are bounded by the longer run"),
        };
        let allowed = |r: Option<&crate::run::Record>| r.and_then(|r| r.allowed.clone());
        let allows = match (allowed(s), allowed(l)) {
            (Some(a), Some(b)) if a != b => format!("sim model: {a} | linux model: {b}"),
            (Some(a), _) | (None, Some(a)) => a,
            (None, None) => String::new(),
        };
        let show = |r: Option<&crate::run::Record>| match r {
            None => String::new(),
            Some(r) => match &r.extra {
                Some(e) if *e != r.outcome => format!("{} ({e})", r.outcome),
                _ => r.outcome.clone(),
            },
        };
        let mark = match &v.problem {
            Some(p) if p.step == i => "  <<",
            _ => "",
        };
        let linux_col = if v.linux.is_some() {
            show(l)
        } else {
            "(not run)".into()
        };
        let _ = writeln!(
            out,
            "{i:>3}  {call:<36} {allows:<44} {:<30} {linux_col}{mark}",
            show(s)
        );
    }
    for (name, run) in [("sim", &v.sim), ("linux", linux)] {
        if let Some(c) = &run.cut_short {
            let _ = writeln!(out, "({name} stopped early: {c:?})");
        }
    }
    if let Some(p) = &v.problem {
        let who = match p.who {
            Who::Sim => "the model does not allow what the simulator did",
            Who::Linux => "the model does not allow what Linux did",
            Who::Direct => "the simulator and Linux differ",
        };
        let _ = writeln!(out, "\nstep {} ({}): {who}:\n{}", p.step, p.kind, p.message);
    }
    out
}

/// The steps as the body of a regression test (`regressions.rs` constructors).
pub fn as_regression(v: &Verdict) -> String {
    let calls: Vec<String> = v.sim.records.iter().map(|r| r.call.clone()).collect();
    format!("check(&[\n    {},\n]);", calls.join(",\n    "))
}
