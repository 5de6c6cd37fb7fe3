//! Random walk: each step, a uniform pick among the runnable threads.

use super::Strategy;
use crate::decision::{Choice, Decisions};
use crate::thread::ThreadId;

pub struct Random;

impl Strategy for Random {
    fn on_spawn(&mut self, _thread: ThreadId, _decisions: &mut Decisions) {}

    #[inline]
    fn pick(
        &mut self,
        _step: u64,
        _current: ThreadId,
        runnable: &[ThreadId],
        decisions: &mut Decisions,
    ) -> ThreadId {
        runnable[decisions.choose(Choice::Schedule, runnable.len() as u64) as usize]
    }

    fn single_pick_is_free(&self) -> bool {
        // One runnable thread: `choose(_, 1)` is 0, drawn from no stream and not recorded.
        true
    }
}
