//! Counts of what was checked: per op kind, how many steps the model judged, how many
//! outcomes of the simulator and of Linux were checked (by the model, or directly against
//! each other for calls it does not cover), and how many were compared directly.

use crate::judge::Verdict;
use crate::run::Run;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Default)]
pub struct Stats {
    pub sequences: u64,
    pub on_linux: u64,
    /// Sequences a backend stopped early without a disagreement (model too uncertain).
    pub cut_short: u64,
    /// Steps skipped because the model does not cover them in that state.
    pub skipped: u64,
    /// Per kind: [model judged, simulator checked, Linux checked, compared directly].
    kinds: BTreeMap<&'static str, [u64; 4]>,
}

impl Stats {
    pub fn add(&mut self, v: &Verdict) {
        self.sequences += 1;
        let empty = Run::default();
        let linux = v.linux.as_ref().unwrap_or(&empty);
        if v.linux.is_some() {
            self.on_linux += 1;
        }
        if v.sim.cut_short.is_some() || linux.cut_short.is_some() {
            self.cut_short += 1;
        }
        let rows = v.sim.records.len().max(linux.records.len());
        for i in 0..rows {
            let (s, l) = (v.sim.records.get(i), linux.records.get(i));
            let kind = s.or(l).expect("bounded by the longer run").kind;
            let counts = self.kinds.entry(kind).or_default();
            let checked = |r: Option<&crate::run::Record>| {
                r.is_some_and(|r| {
                    r.judged || (matches!(r.kind, "getsockname" | "nap") && r.outcome != "-")
                })
            };
            if s.is_some_and(|r| r.judged) || l.is_some_and(|r| r.judged) {
                counts[0] += 1;
            }
            counts[1] += u64::from(checked(s));
            counts[2] += u64::from(checked(l));
            if s.is_some_and(|r| r.outcome.starts_with("skipped")) {
                self.skipped += 1;
            }
        }
        for kind in &v.direct {
            self.kinds.entry(kind).or_default()[3] += 1;
        }
    }

    pub fn merge(&mut self, other: &Stats) {
        self.sequences += other.sequences;
        self.on_linux += other.on_linux;
        self.cut_short += other.cut_short;
        self.skipped += other.skipped;
        for (kind, c) in &other.kinds {
            let mine = self.kinds.entry(kind).or_default();
            for (a, b) in mine.iter_mut().zip(c) {
                *a += b;
            }
        }
    }

    /// Total steps the model judged.
    pub fn judged(&self) -> u64 {
        self.kinds.values().map(|c| c[0]).sum()
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} sequences ({} also on Linux; {} stopped early, model too uncertain); \
             {} steps skipped (outside the model)",
            self.sequences, self.on_linux, self.cut_short, self.skipped
        )?;
        writeln!(
            f,
            "{:<16} {:>10} {:>10} {:>10} {:>10}",
            "op", "model", "sim", "linux", "sim=linux"
        )?;
        let mut total = [0u64; 4];
        for (kind, c) in &self.kinds {
            writeln!(
                f,
                "{kind:<16} {:>10} {:>10} {:>10} {:>10}",
                c[0], c[1], c[2], c[3]
            )?;
            for (t, v) in total.iter_mut().zip(c) {
                *t += v;
            }
        }
        writeln!(
            f,
            "{:<16} {:>10} {:>10} {:>10} {:>10}",
            "total", total[0], total[1], total[2], total[3]
        )?;
        write!(
            f,
            "(model: steps it judged; sim, linux: outcomes checked, by the model or, for \
             getsockname and nap, run and compared; sim=linux: compared directly)"
        )
    }
}
