//! Scheduling strategies: who runs the next step, behind one trait.
//!
//! - `random`: a random walk, uniform over the runnable threads at each step.
//! - `pct`: probabilistic concurrency testing with bug depth `d` (Burckhardt et al., ASPLOS 2010).
//! - `replay`: follows a recorded list of context switches (for shrinking); otherwise stays put.
//! - `dfs`: preemption-bounded exhaustive search (CHESS), a campaign that feeds `replay`:
//!   schedules by fewest deviations first, at most 64 per kernel stream.
//! - `guided`: coverage-guided mutation of decision lists, a campaign over the random walk.
//!
//! `dfs` and `guided` carry state from one seed to the next, so they run as campaigns
//! (`crate::campaign`); a single run of theirs is a `Replay` or a `Random` run.
//!
//! Strategies draw their randomness from `Decisions`, so a recorded decision list replays any
//! of them exactly.

mod dfs;
mod guided;
mod pct;
mod random;
mod replay;

pub use dfs::Dfs;
pub use guided::Guided;
pub use pct::Pct;
pub use random::Random;
pub use replay::{Replay, Switch};

use crate::decision::Decisions;
use crate::thread::ThreadId;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Picks the thread that runs the next step.
pub trait Strategy {
    /// A thread came to life.
    fn on_spawn(&mut self, thread: ThreadId, decisions: &mut Decisions);
    /// `runnable` is non-empty and sorted; `current` may or may not be in it.
    fn pick(
        &mut self,
        step: u64,
        current: ThreadId,
        runnable: &[ThreadId],
        decisions: &mut Decisions,
    ) -> ThreadId;
    /// Whether a pick with one runnable thread is nothing to this strategy (it keeps no
    /// count of steps and draws nothing), so the scheduler may take that thread without
    /// asking. Most steps have one runnable thread. PCT counts steps to its change points.
    fn single_pick_is_free(&self) -> bool {
        false
    }
}

/// A scheduling point: a pick among two or more runnable threads. Runs record them when asked
/// (`Config::record_schedule`); shrinking and exhaustive search read schedules as lists of
/// the points where the pick was not the default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedPoint {
    pub step: u64,
    /// The thread that ran before the pick (it may have parked or finished).
    pub current: ThreadId,
    /// The runnable threads, ascending (two or more).
    pub runnable: Vec<ThreadId>,
    pub picked: ThreadId,
}

impl SchedPoint {
    /// What `Replay` picks when no switch is asked for: the running thread while it can run,
    /// else the lowest runnable one.
    pub fn default_pick(&self) -> ThreadId {
        if self.runnable.contains(&self.current) {
            self.current
        } else {
            self.runnable[0]
        }
    }

    /// The pick took the processor from a thread that could have gone on.
    pub fn is_preemption(&self) -> bool {
        self.picked != self.current && self.runnable.contains(&self.current)
    }
}

/// The switches that make `Replay` follow `points` (a recorded schedule) exactly.
pub fn switches(points: &[SchedPoint]) -> Vec<Switch> {
    points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.picked != p.default_pick())
        .map(|(i, p)| Switch {
            point: i as u64,
            thread: p.picked.as_u32(),
        })
        .collect()
}

/// A strategy by name, as the CLI and seed files spell it (`random`, `pct:3`, `dfs:2`,
/// `guided`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Kind {
    Random,
    Pct {
        depth: u32,
    },
    /// Exhaustive over schedules with at most `bound` preemptions (a campaign).
    Dfs {
        bound: u32,
    },
    /// Coverage-guided mutation of decision lists (a campaign).
    Guided,
}

impl Kind {
    /// The scheduler of one run. A campaign's run is driven by its config: a `dfs` run follows
    /// `Config::schedule` (so on its own it is `Replay` of no switches), a `guided` run is the
    /// random walk over its replayed decisions.
    pub fn build(self, steps_hint: u64) -> Box<dyn Strategy> {
        match self {
            Kind::Random | Kind::Guided => Box::new(Random),
            Kind::Pct { depth } => Box::new(Pct::new(depth, steps_hint)),
            Kind::Dfs { .. } => Box::new(Replay::new(Vec::new())),
        }
    }

    /// True for strategies whose seeds depend on the seeds before them (campaigns).
    pub fn is_campaign(self) -> bool {
        matches!(self, Kind::Dfs { .. } | Kind::Guided)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Random => f.write_str("random"),
            Kind::Pct { depth } => write!(f, "pct:{depth}"),
            Kind::Dfs { bound } => write!(f, "dfs:{bound}"),
            Kind::Guided => f.write_str("guided"),
        }
    }
}

/// `pct:D` depth ceiling: PCT's guarantee weakens as `1/(n k^(d-1))`, so deeper is pointless.
pub const PCT_DEPTH_MAX: u32 = 16;

/// `dfs:B` bound ceiling: the schedules grow as `points^B`; past a handful of preemptions
/// no seed budget finishes even a small scenario's tree.
pub const DFS_BOUND_MAX: u32 = 8;

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            None if s == "random" => Ok(Kind::Random),
            None if s == "guided" => Ok(Kind::Guided),
            Some(("dfs", b)) => match b.parse::<u32>() {
                Ok(bound) if bound <= DFS_BOUND_MAX => Ok(Kind::Dfs { bound }),
                _ => Err(format!(
                    "strategy {s:?}: dfs preemption bound must be an integer in 0..={DFS_BOUND_MAX}"
                )),
            },
            Some(("pct", d)) => match d.parse::<u32>() {
                Ok(depth) if (1..=PCT_DEPTH_MAX).contains(&depth) => Ok(Kind::Pct { depth }),
                _ => Err(format!(
                    "strategy {s:?}: pct depth must be an integer in 1..={PCT_DEPTH_MAX}"
                )),
            },
            _ => Err(format!(
                "unknown strategy {s:?} (expected random, pct:D, dfs:B or guided)"
            )),
        }
    }
}

impl TryFrom<String> for Kind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Kind> for String {
    fn from(k: Kind) -> String {
        k.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_names_parse_and_print_back() {
        for s in [
            "random", "pct:1", "pct:3", "pct:16", "dfs:0", "dfs:2", "dfs:8", "guided",
        ] {
            assert_eq!(s.parse::<Kind>().unwrap().to_string(), s);
        }
        for bad in [
            "", "pct", "pct:0", "pct:17", "pct:x", "dfs", "dfs:9", "dfs:-1", "random:1", "guided:1",
        ] {
            assert!(bad.parse::<Kind>().is_err(), "{bad:?} should not parse");
        }
    }
}
