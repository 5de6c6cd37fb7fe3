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
