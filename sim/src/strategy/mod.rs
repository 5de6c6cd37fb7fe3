//! Scheduling strategies: who runs the next step, behind one trait.
//!
//! - `random`: a random walk, uniform over the runnable threads at each step.
//! - `pct`: probabilistic concurrency testing with bug depth `d` (Burckhardt et al., ASPLOS 2010).
//! - `replay`: follows a recorded list of context switches (for shrinking); otherwise stays put.
//!
//! Strategies draw their randomness from `Decisions`, so a recorded decision list replays any
//! of them exactly.

mod pct;
mod random;
mod replay;

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

/// A strategy by name, as the CLI and seed files spell it (`random`, `pct:3`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Kind {
    Random,
    Pct { depth: u32 },
}

impl Kind {
    pub fn build(self, steps_hint: u64) -> Box<dyn Strategy> {
        match self {
            Kind::Random => Box::new(Random),
            Kind::Pct { depth } => Box::new(Pct::new(depth, steps_hint)),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Random => f.write_str("random"),
            Kind::Pct { depth } => write!(f, "pct:{depth}"),
        }
    }
}

/// `pct:D` depth ceiling: PCT's guarantee weakens as `1/(n k^(d-1))`, so deeper is pointless.
pub const PCT_DEPTH_MAX: u32 = 16;

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            None if s == "random" => Ok(Kind::Random),
            Some(("pct", d)) => match d.parse::<u32>() {
                Ok(depth) if (1..=PCT_DEPTH_MAX).contains(&depth) => Ok(Kind::Pct { depth }),
                _ => Err(format!(
                    "strategy {s:?}: pct depth must be an integer in 1..={PCT_DEPTH_MAX}"
                )),
            },
            _ => Err(format!("unknown strategy {s:?} (expected random or pct:D)")),
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
        for s in ["random", "pct:1", "pct:3", "pct:16"] {
            assert_eq!(s.parse::<Kind>().unwrap().to_string(), s);
        }
        for bad in ["", "pct", "pct:0", "pct:17", "pct:x", "dfs", "random:1"] {
            assert!(bad.parse::<Kind>().is_err(), "{bad:?} should not parse");
        }
    }
}
