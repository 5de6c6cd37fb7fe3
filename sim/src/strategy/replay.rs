//! Replay of a schedule given as switches: at scheduling point `i` (the `i`-th pick among two
//! or more runnable threads), run thread `t`.
//!
//! Between switches the running thread keeps running; when it cannot (it parked or finished)
//! the lowest runnable thread runs, which is deterministic and needs no switch of its own.
//! Shrinking drops switches from this list; exhaustive search (`dfs`) extends it. A switch to
//! a thread that cannot run at its point (the schedule changed under an edit) is ignored.

use super::Strategy;
use crate::decision::Decisions;
use crate::thread::ThreadId;
use serde::{Deserialize, Serialize};

/// At scheduling point `point`, run `thread`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Switch {
    pub point: u64,
    pub thread: u32,
}

pub struct Replay {
    switches: Vec<Switch>,
    next: usize,
    /// Scheduling points seen so far.
    points: u64,
}

impl Replay {
    /// `switches` must be sorted by point, at most one per point.
    pub fn new(switches: Vec<Switch>) -> Self {
        assert!(
            switches.windows(2).all(|w| w[0].point < w[1].point),
            "replay switches must be sorted by point, one per point"
        );
        Replay {
            switches,
            next: 0,
            points: 0,
        }
    }
}

impl Strategy for Replay {
    fn on_spawn(&mut self, _thread: ThreadId, _decisions: &mut Decisions) {}

    fn pick(
        &mut self,
        _step: u64,
        current: ThreadId,
        runnable: &[ThreadId],
        _decisions: &mut Decisions,
    ) -> ThreadId {
        let default = if runnable.contains(&current) {
            current
        } else {
            runnable[0]
        };
        if runnable.len() < 2 {
            return default;
        }
        let point = self.points;
        self.points += 1;
        while self.next < self.switches.len() && self.switches[self.next].point < point {
            self.next += 1;
        }
        match self.switches.get(self.next) {
            Some(s) if s.point == point => {
                self.next += 1;
                let wanted = ThreadId(s.thread);
                if runnable.contains(&wanted) {
                    wanted
                } else {
                    default
                }
            }
            _ => default,
        }
    }

    fn single_pick_is_free(&self) -> bool {
        // Fewer than two runnable threads is no scheduling point: `points` does not move.
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::decision::{Choice, Fill};
    use crate::fault::Profile;
    use crate::runner::{run, Config, Faults};
    use crate::scenario::builtin;
    use crate::strategy::{switches, Kind};

    /// A run's schedule, as switches, plus its kernel and fault decisions with nothing left to
    /// chance after them, is the whole run: the replay has the same trace.
    #[test]
    fn a_recorded_schedule_replays_every_scenario_exactly() {
        for scenario in builtin()
            .iter()
            .filter(|s| !s.name.starts_with("selftest-"))
        {
            for variant in scenario.variants {
                let setup = scenario.setup(Some(variant), &[]).unwrap();
                for seed in 0..6 {
                    let mut config = Config::new(seed);
                    config.strategy = if seed % 2 == 0 {
                        Kind::Random
                    } else {
                        Kind::Pct { depth: 3 }
                    };
                    config.faults = Faults::Profile(Profile::Swarm);
                    config.record_schedule = true;
                    config.record_decisions = true;
                    let first = run(&config, scenario.root(&setup));
                    let points = first.sched_points.unwrap();
                    let kept: Vec<_> = first
                        .decisions
                        .unwrap()
                        .into_iter()
                        .filter(|d| matches!(d.what, Choice::Kernel | Choice::Fault))
                        .collect();
                    let mut again = Config::new(seed);
                    again.faults = Faults::Plan(first.fault_plan.clone());
                    again.schedule = Some(switches(&points));
                    again.replay = Some(kept);
                    again.fill = Fill::Benign;
                    again.record_schedule = true;
                    let second = run(&again, scenario.root(&setup));
                    assert_eq!(
                        (second.trace_hash, &second.stop),
                        (first.trace_hash, &first.stop),
                        "{} {variant} seed {seed}: the replayed schedule diverged",
                        scenario.name
                    );
                    assert_eq!(second.sched_points.unwrap(), points);
                }
            }
        }
    }
}
