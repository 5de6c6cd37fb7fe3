//! `timer`: a timer fires (or is armed) for an owner that was already destroyed.
//!
//! libwebsockets' crash: a connection was destroyed without cancelling its scheduled timer
//! (`lws_sul_cancel`), so when the timer came due the service loop ran it against freed
//! memory. Facts: `OwnerDestroyed { owner }`, later `TimerFired { owner }`.
//!
//! State per `(thread, owner)`: absent (never seen) → `Alive` → `Destroyed`. Owner ids are
//! numbered per loop; a new loop on the same thread may reuse an id, so `OwnerCreated` of a
//! destroyed id starts it over. Timers owned by themselves (a sleep; owner 0) never have an
//! `OwnerDestroyed` and are never judged. Timers themselves need no state: every fact about one
//! names its owner, and the owner's state decides.

use super::{At, Fact};
use std::collections::BTreeMap;

pub const NAME: &str = "timer";

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Owner {
    Alive,
    Destroyed { at_ns: u64 },
}

#[derive(Copy, Clone, Debug)]
enum OwnerStep {
    Created,
    Destroyed,
    /// A timer of this owner was armed or fired.
    TimerRuns {
        timer: u64,
        fired: bool,
    },
    /// A timer of this owner was cancelled (harmless after destruction: a `Timer` field
    /// dropped after its owner's field).
    TimerCancelled,
}

#[derive(Default)]
pub struct Timer {
    owners: BTreeMap<(u32, u64), Owner>,
}

/// The owner table: the state after `step` at `now`, or why `step` is impossible.
fn owner_transition(
    owner: u64,
    from: Option<Owner>,
    step: OwnerStep,
    now: u64,
) -> Result<Option<Owner>, String> {
    match (from, step) {
        (None | Some(Owner::Alive) | Some(Owner::Destroyed { .. }), OwnerStep::Created) => {
            Ok(Some(Owner::Alive))
        }
        (None | Some(Owner::Alive), OwnerStep::Destroyed) => {
            Ok(Some(Owner::Destroyed { at_ns: now }))
        }
        (Some(Owner::Destroyed { at_ns }), OwnerStep::Destroyed) => Err(format!(
            "owner {owner} destroyed twice (first at {}): a double free",
            super::ms(at_ns)
        )),
        (None | Some(Owner::Alive), OwnerStep::TimerRuns { .. } | OwnerStep::TimerCancelled) => {
            Ok(from)
        }
        (Some(Owner::Destroyed { at_ns }), OwnerStep::TimerRuns { timer, fired: true }) => {
            Err(format!(
            "timer {timer} fired for owner {owner}, which was destroyed at {}: its callback now \
             runs against a dead object. Likely cause: the owner was destroyed (on an abrupt \
             close path) without cancelling its timer; the timer must be owned by the object so \
             that destroying it cancels the timer",
            super::ms(at_ns)
        ))
        }
        (
            Some(Owner::Destroyed { at_ns }),
            OwnerStep::TimerRuns {
                timer,
                fired: false,
            },
        ) => Err(format!(
            "timer {timer} armed for owner {owner}, which was destroyed at {}",
            super::ms(at_ns)
        )),
        (Some(Owner::Destroyed { .. }), OwnerStep::TimerCancelled) => Ok(from),
    }
}

impl Timer {
    pub fn observe(&mut self, at: At, fact: &Fact) -> Result<(), String> {
        let (owner, step) = match *fact {
            Fact::OwnerCreated { owner } => (owner, OwnerStep::Created),
            Fact::OwnerDestroyed { owner } => (owner, OwnerStep::Destroyed),
            Fact::TimerArmed { timer, owner } => (
                owner,
                OwnerStep::TimerRuns {
                    timer,
                    fired: false,
                },
            ),
            Fact::TimerFired { timer, owner } => {
                (owner, OwnerStep::TimerRuns { timer, fired: true })
            }
            Fact::TimerCancelled { owner, .. } => (owner, OwnerStep::TimerCancelled),
            _ => return Ok(()),
        };
        let key = (at.thread, owner);
        let from = self.owners.get(&key).copied();
        match (from, owner_transition(owner, from, step, at.time_ns)?) {
            (Some(old), Some(state)) if old == state => {}
            (_, Some(state)) => {
                self.owners.insert(key, state);
            }
            (_, None) => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(facts: &[Fact]) -> Result<(), String> {
        let mut o = Timer::default();
        for (i, f) in facts.iter().enumerate() {
            o.observe(At::new(i as u64 * 1_000_000, 1), f)?;
        }
        Ok(())
    }

    #[test]
    fn a_timer_firing_for_a_destroyed_owner_is_caught() {
        let err = run(&[
            Fact::OwnerCreated { owner: 4 },
            Fact::TimerArmed { timer: 9, owner: 4 },
            Fact::OwnerDestroyed { owner: 4 },
            Fact::TimerFired { timer: 9, owner: 4 },
        ])
        .unwrap_err();
        assert!(err.contains("timer 9 fired for owner 4"), "{err}");
        assert!(err.contains("destroyed at 2.000000 ms"), "{err}");
    }

    #[test]
    fn cancel_on_destroy_in_either_order_is_clean() {
        run(&[
            Fact::OwnerCreated { owner: 4 },
            Fact::TimerArmed { timer: 9, owner: 4 },
            Fact::OwnerDestroyed { owner: 4 },
            Fact::TimerCancelled { timer: 9, owner: 4 },
            Fact::OwnerCreated { owner: 5 },
            Fact::TimerArmed {
                timer: 10,
                owner: 5,
            },
            Fact::TimerCancelled {
                timer: 10,
                owner: 5,
            },
            Fact::OwnerDestroyed { owner: 5 },
            // Self-owned sleeps fire freely.
            Fact::TimerArmed {
                timer: 11,
                owner: 0,
            },
            Fact::TimerFired {
                timer: 11,
                owner: 0,
            },
        ])
        .unwrap();
    }

    #[test]
    fn double_destruction_is_caught() {
        assert!(run(&[
            Fact::OwnerCreated { owner: 4 },
            Fact::OwnerDestroyed { owner: 4 },
            Fact::OwnerDestroyed { owner: 4 },
        ])
        .unwrap_err()
        .contains("destroyed twice"));
    }

    #[test]
    fn a_new_loop_may_reuse_an_owner_id() {
        run(&[
            Fact::OwnerCreated { owner: 1 },
            Fact::OwnerDestroyed { owner: 1 },
            Fact::OwnerCreated { owner: 1 },
            Fact::TimerArmed { timer: 2, owner: 1 },
            Fact::TimerFired { timer: 2, owner: 1 },
        ])
        .unwrap();
    }
}
