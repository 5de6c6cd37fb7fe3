//! `pool`: an object of a pool released twice, released by a non-owner, or lent twice.
//!
//! nbio's bug: a request's body reader was closed by the handler and again by the framework,
//! so it went back to the pool twice; the free list then held it twice and two later requests
//! shared one object. The oracle catches the first of these facts:
//! - a release of an object already free (no acquire in between);
//! - a release by an owner other than the one it is lent to (it was released, re-lent, and
//!   the first owner's stale handle released it again);
//! - an acquire of an object that is lent out (it was on the free list twice).
//!
//! State per `(pool, object)`: absent (never seen) → `Lent { owner }` ⇄ `Free`.
//! A refused double release (`PoolDoubleReleaseRefused`) is the pool's check working and
//! changes nothing.

use super::{At, Fact};
use std::collections::BTreeMap;

pub const NAME: &str = "pool";

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Slot {
    Lent { owner: u64, since_ns: u64 },
    Free { released_by: u64, at_ns: u64 },
}

#[derive(Copy, Clone, Debug)]
enum Step {
    Acquire { owner: u64 },
    Release { owner: u64 },
    Refused,
}

#[derive(Default)]
pub struct Pool {
    slots: BTreeMap<(u64, u64), Slot>,
}

/// The pool-slot table: the state after `step` at `now`, or why `step` is impossible.
fn transition(
    pool: u64,
    object: u64,
    from: Option<Slot>,
    step: Step,
    now: u64,
) -> Result<Option<Slot>, String> {
    match (from, step) {
        (None | Some(Slot::Free { .. }), Step::Acquire { owner }) => Ok(Some(Slot::Lent {
            owner,
            since_ns: now,
        })),
        (
            Some(Slot::Lent {
                owner: holder,
                since_ns,
            }),
            Step::Acquire { owner },
        ) => Err(format!(
            "pool {pool} lent object {object} to owner {owner} while owner {holder} still holds it \
             (lent at {}): the object was on the free list twice, so two owners now share it. \
             Likely cause: an earlier double release",
            super::ms(since_ns)
        )),
        (Some(Slot::Lent { owner: holder, .. }), Step::Release { owner }) if holder == owner => {
            Ok(Some(Slot::Free {
                released_by: owner,
                at_ns: now,
            }))
        }
        (
            Some(Slot::Lent {
                owner: holder,
                since_ns,
            }),
            Step::Release { owner },
        ) => Err(format!(
            "owner {owner} released object {object} of pool {pool}, but it is lent to owner \
             {holder} (since {}): owner {owner} released it before, kept using its handle, and \
             released it again after it was re-lent. Likely cause: the object is closed twice \
             (by the user and by the framework) and the pool does not check releases",
            super::ms(since_ns)
        )),
        (Some(Slot::Free { released_by, at_ns }), Step::Release { owner }) => Err(format!(
            "owner {owner} released object {object} of pool {pool}, which owner {released_by} \
             already released at {} with no acquire in between: the free list now holds it \
             twice and two later acquirers will share it. Likely cause: the object is closed \
             twice (by the user and by the framework) and the pool does not check releases",
            super::ms(at_ns)
        )),
        (None, Step::Release { owner }) => Err(format!(
            "owner {owner} released object {object} of pool {pool}, which was never acquired"
        )),
        (slot, Step::Refused) => Ok(slot),
    }
}

impl Pool {
    pub fn observe(&mut self, at: At, fact: &Fact) -> Result<(), String> {
        let (pool, object, step) = match *fact {
            Fact::PoolAcquire {
                pool,
                object,
                owner,
            } => (pool, object, Step::Acquire { owner }),
            Fact::PoolRelease {
                pool,
                object,
                owner,
            } => (pool, object, Step::Release { owner }),
            Fact::PoolDoubleReleaseRefused { pool, object, .. } => (pool, object, Step::Refused),
            _ => return Ok(()),
        };
        let key = (pool, object);
        let from = self.slots.get(&key).copied();
        if let Some(slot) = transition(pool, object, from, step, at.time_ns)? {
            self.slots.insert(key, slot);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(facts: &[Fact]) -> Result<(), String> {
        let mut o = Pool::default();
        for f in facts {
            o.observe(At::new(0, 1), f)?;
        }
        Ok(())
    }

    fn acquire(object: u64, owner: u64) -> Fact<'static> {
        Fact::PoolAcquire {
            pool: 1,
            object,
            owner,
        }
    }

    fn release(object: u64, owner: u64) -> Fact<'static> {
        Fact::PoolRelease {
            pool: 1,
            object,
            owner,
        }
    }

    #[test]
    fn a_release_of_a_free_object_is_caught() {
        let err = run(&[acquire(0, 10), release(0, 10), release(0, 10)]).unwrap_err();
        assert!(err.contains("no acquire in between"), "{err}");
    }

    #[test]
    fn a_release_after_the_object_was_re_lent_is_caught() {
        let err = run(&[
            acquire(0, 10),
            release(0, 10),
            acquire(0, 11),
            release(0, 10),
        ])
        .unwrap_err();
        assert!(err.contains("lent to owner 11"), "{err}");
    }

    #[test]
    fn lending_a_lent_object_is_caught() {
        let err = run(&[acquire(0, 10), acquire(0, 11)]).unwrap_err();
        assert!(err.contains("two owners now share it"), "{err}");
    }

    #[test]
    fn a_refused_double_release_and_ordinary_reuse_are_clean() {
        run(&[
            acquire(0, 10),
            acquire(1, 11),
            release(0, 10),
            Fact::PoolDoubleReleaseRefused {
                pool: 1,
                object: 0,
                owner: 10,
            },
            acquire(0, 12),
            release(1, 11),
            release(0, 12),
            // Another pool's object 0 is another object.
            Fact::PoolAcquire {
                pool: 2,
                object: 0,
                owner: 13,
            },
        ])
        .unwrap();
    }
}
