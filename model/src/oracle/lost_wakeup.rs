//! `lost_wakeup`: a wakeup was requested and the loop slept through it.
//!
//! Go's netpoll break fd and every eventfd waker share one protocol: a thread queues work for
//! a loop, then writes the loop's eventfd unless a wake-pending flag says a write is already on
//! its way. If the loop clears that flag at the wrong moment (after it last looked at the
//! queue), a waker can see the flag set, skip the write, and the loop blocks in `epoll_wait`
//! with work queued: the work waits for whatever wakes the loop next (a timer tick, another
//! wakeup, or nothing). Facts: `WakeRequested`, `WakeObserved`, `LoopSleep`, `LoopWoke`.
//!
//! Verdict: a requested wakeup not yet observed while its loop sleeps for more than
//! `SLEEP_WITH_WORK_MAX_NS` of virtual time. Checked when the loop wakes and, through
//! `at_time`, at every later event while it still sleeps.
//!
//! State per loop: `Awake` ⇄ `Asleep { since }`, plus the times of the requests not yet
//! observed (oldest first). A new `epoll_create` result starts its loop id over (the poller's
//! loop id is its epoll fd number, which a later loop may reuse).

use super::{At, Fact};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

pub const NAME: &str = "lost_wakeup";

/// How long a loop may sleep with a requested wakeup unobserved: 100 ms of virtual time.
///
/// Why this bound: an eventfd write makes the sleeping loop runnable at once, and virtual time
/// moves only when every thread is parked, so a correct waker's request is observed before the
/// simulated clock moves at all; any positive bound is exact in the simulator. 100 ms leaves
/// room for facts from a real kernel (a loaded machine wakes a thread within milliseconds) and
/// is below the 1 s housekeeping tick loops commonly sleep for, so a lost wakeup is named at
/// the loop's next timed wake rather than found later as a deadlock.
pub const SLEEP_WITH_WORK_MAX_NS: u64 = 100_000_000;

/// Loop ids below this are kept in a vector (fd numbers are small: `RLIMIT_NOFILE` is 1024 by
/// default); others in a map.
const DENSE_IDS: u64 = 1 << 16;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum State {
    Awake,
    Asleep { since_ns: u64 },
}

#[derive(Copy, Clone, Debug)]
enum Step {
    Sleep,
    Woke,
}

/// What a fact does to a loop.
#[derive(Copy, Clone, Debug)]
enum Change {
    /// A new epoll took the loop's id.
    Reset,
    Request,
    Observe,
    Step(Step),
}

/// Loop `id`, made on first sight.
fn loop_mut<'a>(
    dense: &'a mut Vec<Option<Loop>>,
    sparse: &'a mut BTreeMap<u64, Loop>,
    id: u64,
) -> &'a mut Loop {
    if id < DENSE_IDS {
        let i = id as usize;
        if dense.len() <= i {
            dense.resize_with(i + 1, || None);
        }
        dense[i].get_or_insert_with(Loop::new)
    } else {
        sparse.entry(id).or_insert_with(Loop::new)
    }
}

struct Loop {
    state: State,
    /// When each unobserved request was made, oldest first.
    pending: VecDeque<u64>,
    /// The instant past which this loop's sleep is a violation, while it has one.
    deadline: Option<u64>,
}

impl Loop {
    fn new() -> Loop {
        Loop {
            state: State::Awake,
            pending: VecDeque::new(),
            deadline: None,
        }
    }

    /// The sleep deadline: the bound after the later of the oldest request and the sleep's start.
    fn deadline(&self) -> Option<u64> {
        match (self.state, self.pending.front()) {
            (State::Asleep { since_ns }, Some(&requested)) => Some(
                since_ns
                    .max(requested)
                    .saturating_add(SLEEP_WITH_WORK_MAX_NS),
            ),
            (State::Asleep { .. }, None) | (State::Awake, _) => None,
        }
    }
}

pub struct LostWakeup {
    /// Loops by id, for ids below `DENSE_IDS` (the poller's ids are epoll fd numbers).
    dense: Vec<Option<Loop>>,
    /// Loops with larger ids.
    sparse: BTreeMap<u64, Loop>,
    /// `(deadline, loop)` of every sleeping loop with unobserved work.
    deadlines: BTreeSet<(u64, u64)>,
    /// The first of `deadlines`, or `u64::MAX`: the one comparison `at_time` makes.
    earliest: u64,
}

/// The sleep table: the state after `step` at `now`, or why `step` is impossible.
fn transition(id: u64, l: &Loop, step: Step, now: u64) -> Result<State, String> {
    match (l.state, step) {
        (State::Awake, Step::Sleep) => Ok(State::Asleep { since_ns: now }),
        (State::Asleep { since_ns }, Step::Sleep) => Err(format!(
            "loop {id} declared a sleep at {} while already asleep since {}: LoopSleep and \
             LoopWoke must alternate",
            super::ms(now),
            super::ms(since_ns)
        )),
        (State::Asleep { since_ns }, Step::Woke) => match l.pending.front() {
            Some(&requested) if now - since_ns.max(requested) > SLEEP_WITH_WORK_MAX_NS => {
                Err(lost(id, requested, since_ns, now))
            }
            Some(_) | None => Ok(State::Awake),
        },
        (State::Awake, Step::Woke) => Err(format!(
            "loop {id} woke at {} without having declared a sleep",
            super::ms(now)
        )),
    }
}

fn lost(id: u64, requested: u64, since_ns: u64, now: u64) -> String {
    format!(
        "loop {id} slept from {} to at least {} with a wakeup requested at {} not observed \
         (more than the {} ms bound, SLEEP_WITH_WORK_MAX_NS). Likely cause: the loop cleared its \
         wake-pending flag after it last looked at its queue, so the waker saw the flag still \
         set, skipped the eventfd write, and the loop blocked with work queued (a lost wakeup); \
         clear the flag before the last look, then re-check",
        super::ms(since_ns),
        super::ms(now),
        super::ms(requested),
        SLEEP_WITH_WORK_MAX_NS / 1_000_000
    )
}

impl Default for LostWakeup {
    fn default() -> Self {
        LostWakeup {
            dense: Vec::new(),
            sparse: BTreeMap::new(),
            deadlines: BTreeSet::new(),
            earliest: u64::MAX,
        }
    }
}

impl LostWakeup {
    pub fn new() -> Self {
        LostWakeup::default()
    }

    pub fn observe(&mut self, at: At, fact: &Fact) -> Result<(), String> {
        let now = at.time_ns;
        let (id, change) = match *fact {
            Fact::EpollCreated { loop_id } => (loop_id, Change::Reset),
            Fact::WakeRequested { loop_id } => (loop_id, Change::Request),
            Fact::WakeObserved { loop_id } => (loop_id, Change::Observe),
            Fact::LoopSleep { loop_id, .. } => (loop_id, Change::Step(Step::Sleep)),
            Fact::LoopWoke { loop_id } => (loop_id, Change::Step(Step::Woke)),
            _ => return Ok(()),
        };
        let l = loop_mut(&mut self.dense, &mut self.sparse, id);
        match change {
            Change::Reset => *l = Loop::new(),
            Change::Request => l.pending.push_back(now),
            // More observations than requests: the code counts wakeups it made itself.
            Change::Observe => drop(l.pending.pop_front()),
            Change::Step(step) => l.state = transition(id, l, step, now)?,
        }
        let (before, after) = (l.deadline, l.deadline());
        if before != after {
            l.deadline = after;
            if let Some(d) = before {
                self.deadlines.remove(&(d, id));
            }
            if let Some(d) = after {
                self.deadlines.insert((d, id));
            }
            self.earliest = self.deadlines.first().map_or(u64::MAX, |&(d, _)| d);
        }
        Ok(())
    }

    /// Virtual time reached `at`: a sleeping loop past its deadline is a violation.
    ///
    /// Runs on every event of every run, and nearly always answers at the comparison: that
    /// is all that is inlined. With the verdict in the same function, each call paid the
    /// verdict's register saves and restores (about 20 instructions an event, 2% of a round
    /// trip).
    #[inline(always)]
    pub fn at_time(&mut self, at: At) -> Result<(), String> {
        if at.time_ns <= self.earliest {
            return Ok(());
        }
        self.overdue(at)
    }

    /// `at_time` past the earliest deadline: the verdict.
    #[cold]
    #[inline(never)]
    fn overdue(&self, at: At) -> Result<(), String> {
        let &(_, id) = self.deadlines.first().expect("checked non-empty");
        let l = if id < DENSE_IDS {
            self.dense[id as usize].as_ref()
        } else {
            self.sparse.get(&id)
        }
        .expect("a loop with a deadline exists");
        let (State::Asleep { since_ns }, Some(&requested)) = (l.state, l.pending.front()) else {
            unreachable!("a loop with a deadline is asleep with work pending");
        };
        Err(lost(id, requested, since_ns, at.time_ns))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn run(facts: &[(u64, Fact)]) -> Result<(), String> {
        let mut o = LostWakeup::new();
        for (t, f) in facts {
            o.observe(At::new(*t, 1), f)?;
            o.at_time(At::new(*t, 1))?;
        }
        Ok(())
    }

    #[test]
    fn a_loop_that_sleeps_through_a_requested_wakeup_is_caught_when_it_wakes() {
        let err = run(&[
            (
                0,
                Fact::LoopSleep {
                    loop_id: 3,
                    timeout_ms: 1000,
                },
            ),
            (0, Fact::LoopWoke { loop_id: 3 }),
            (MS, Fact::WakeRequested { loop_id: 3 }),
            (
                MS,
                Fact::LoopSleep {
                    loop_id: 3,
                    timeout_ms: 1000,
                },
            ),
            (1001 * MS, Fact::LoopWoke { loop_id: 3 }),
        ])
        .unwrap_err();
        assert!(err.contains("loop 3 slept from 1.000000 ms"), "{err}");
    }

    #[test]
    fn a_loop_asleep_past_the_bound_is_caught_by_any_later_event() {
        let mut o = LostWakeup::new();
        o.observe(At::new(0, 1), &Fact::WakeRequested { loop_id: 3 })
            .unwrap();
        o.observe(
            At::new(0, 1),
            &Fact::LoopSleep {
                loop_id: 3,
                timeout_ms: -1,
            },
        )
        .unwrap();
        o.at_time(At::new(SLEEP_WITH_WORK_MAX_NS, 2)).unwrap();
        assert!(o.at_time(At::new(SLEEP_WITH_WORK_MAX_NS + 1, 2)).is_err());
    }

    #[test]
    fn an_observed_wakeup_and_a_sleep_with_nothing_pending_are_clean() {
        run(&[
            (0, Fact::WakeRequested { loop_id: 3 }),
            (
                0,
                Fact::LoopSleep {
                    loop_id: 3,
                    timeout_ms: -1,
                },
            ),
            (0, Fact::LoopWoke { loop_id: 3 }),
            (0, Fact::WakeObserved { loop_id: 3 }),
            (
                0,
                Fact::LoopSleep {
                    loop_id: 3,
                    timeout_ms: -1,
                },
            ),
            (5000 * MS, Fact::LoopWoke { loop_id: 3 }),
            // Another loop's pending request does not concern loop 3.
            (5000 * MS, Fact::WakeRequested { loop_id: 4 }),
            (
                5000 * MS,
                Fact::LoopSleep {
                    loop_id: 3,
                    timeout_ms: -1,
                },
            ),
            (9000 * MS, Fact::LoopWoke { loop_id: 3 }),
        ])
        .unwrap();
    }

    #[test]
    fn a_new_epoll_with_the_same_number_starts_the_loop_over() {
        run(&[
            (0, Fact::WakeRequested { loop_id: 3 }),
            (MS, Fact::EpollCreated { loop_id: 3 }),
            (
                MS,
                Fact::LoopSleep {
                    loop_id: 3,
                    timeout_ms: -1,
                },
            ),
            (5000 * MS, Fact::LoopWoke { loop_id: 3 }),
        ])
        .unwrap();
    }

    #[test]
    fn sleep_and_woke_out_of_order_are_refused() {
        assert!(run(&[(0, Fact::LoopWoke { loop_id: 1 })]).is_err());
        assert!(run(&[
            (
                0,
                Fact::LoopSleep {
                    loop_id: 1,
                    timeout_ms: 0
                }
            ),
            (
                0,
                Fact::LoopSleep {
                    loop_id: 1,
                    timeout_ms: 0
                }
            ),
        ])
        .is_err());
    }
}
