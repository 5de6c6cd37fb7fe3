//! Replay of a recorded schedule: the list of `(step, thread)` context switches.
//!
//! Shrinking edits this list (drops and moves switches) and replays it. Between switches the
//! running thread keeps running; when it cannot (it parked or finished) the lowest runnable
//! thread id runs, which is deterministic and adds no switch of its own.

use super::Strategy;
use crate::decision::Decisions;
use crate::thread::ThreadId;

pub struct Replay {
    switches: Vec<(u64, ThreadId)>,
    next: usize,
}

impl Replay {
    /// `switches` must be sorted by step.
    pub fn new(switches: Vec<(u64, ThreadId)>) -> Self {
        assert!(
            switches.windows(2).all(|w| w[0].0 <= w[1].0),
            "replay switches must be sorted by step"
        );
        Replay { switches, next: 0 }
    }
}

impl Strategy for Replay {
    fn on_spawn(&mut self, _thread: ThreadId, _decisions: &mut Decisions) {}

    fn pick(
        &mut self,
        step: u64,
        current: ThreadId,
        runnable: &[ThreadId],
        _decisions: &mut Decisions,
    ) -> ThreadId {
        let mut wanted = None;
        while self.next < self.switches.len() && self.switches[self.next].0 <= step {
            wanted = Some(self.switches[self.next].1);
            self.next += 1;
        }
        match wanted {
            Some(t) if runnable.contains(&t) => t,
            _ if runnable.contains(&current) => current,
            _ => runnable[0],
        }
    }
}
