//! `Pool`: reusable objects with checked, idempotent release.
//!
//! nbio's bug was a body reader returned to a `sync.Pool` twice: the free list then held it
//! twice, and two later requests shared one object. Here a `Pooled` handle carries the slot's
//! generation; `release` bumps the generation, so a second release of the same handle finds a
//! mismatch and is refused with `PoolError::DoubleRelease` — the free list never holds a slot
//! twice (asserted). Objects are kept, not dropped, on release: reuse is the point of a pool.

use crate::sys::{Probe, Sys};

/// A handle to an object taken from a `Pool`. Plain data: releasing is explicit and checked.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pooled {
    index: u32,
    generation: u32,
}

impl Pooled {
    /// The object's identity in probes: its slot.
    pub fn object(self) -> u64 {
        self.index as u64
    }
}

/// Why a release was refused.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PoolError {
    /// The object was already released through this handle (or the handle is from an earlier
    /// loan of the same slot).
    DoubleRelease { object: u64 },
}

impl std::fmt::Display for PoolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PoolError::DoubleRelease { object } => write!(f, "pool object {object} released twice"),
        }
    }
}

impl std::error::Error for PoolError {}

struct Slot<T> {
    value: T,
    generation: u32,
    owner: Option<u64>,
}

/// A pool of `T`. `id` names it in probes.
pub struct Pool<S: Sys, T> {
    sys: S,
    id: u64,
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
}

impl<S: Sys, T> Pool<S, T> {
    pub fn new(sys: S, id: u64) -> Self {
        Pool {
            sys,
            id,
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Takes a free object for `owner`, making one with `make` if none is free.
    pub fn acquire(&mut self, owner: u64, make: impl FnOnce() -> T) -> Pooled {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                let index = u32::try_from(self.slots.len()).expect("pool outgrew u32 slots");
                self.slots.push(Slot {
                    value: make(),
                    generation: 0,
                    owner: None,
                });
                index
            }
        };
        let slot = &mut self.slots[index as usize];
        assert!(
            slot.owner.is_none(),
            "pool {} slot {index} on the free list while owned by {:?}",
            self.id,
            slot.owner
        );
        slot.owner = Some(owner);
        let pooled = Pooled {
            index,
            generation: slot.generation,
        };
        self.sys.probe(Probe::PoolAcquire {
            pool: self.id,
            object: pooled.object(),
            owner,
        });
        pooled
    }

    /// Returns the object. A second release of the same handle is refused, never recorded twice.
    pub fn release(&mut self, pooled: Pooled, owner: u64) -> Result<(), PoolError> {
        let slot = &mut self.slots[pooled.index as usize];
        if slot.generation != pooled.generation || slot.owner.is_none() {
            self.sys.probe(Probe::PoolDoubleReleaseRefused {
                pool: self.id,
                object: pooled.object(),
                owner,
            });
            return Err(PoolError::DoubleRelease {
                object: pooled.object(),
            });
        }
        slot.owner = None;
        slot.generation = slot.generation.wrapping_add(1);
        debug_assert!(
            !self.free.contains(&pooled.index),
            "slot {} already on the free list",
            pooled.index
        );
        self.free.push(pooled.index);
        self.sys.probe(Probe::PoolRelease {
            pool: self.id,
            object: pooled.object(),
            owner,
        });
        Ok(())
    }

    /// The object behind a live handle; `None` for a released (stale) handle.
    pub fn get(&self, pooled: Pooled) -> Option<&T> {
        let slot = self.slots.get(pooled.index as usize)?;
        (slot.generation == pooled.generation && slot.owner.is_some()).then_some(&slot.value)
    }

    /// Mutable `get`.
    pub fn get_mut(&mut self, pooled: Pooled) -> Option<&mut T> {
        let slot = self.slots.get_mut(pooled.index as usize)?;
        (slot.generation == pooled.generation && slot.owner.is_some()).then_some(&mut slot.value)
    }

    /// Objects currently lent out.
    pub fn in_use(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Objects waiting on the free list.
    pub fn free_len(&self) -> usize {
        self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::linux::LinuxSys;

    #[test]
    fn second_release_is_refused_and_free_list_holds_the_slot_once() {
        let mut pool: Pool<LinuxSys, Vec<u8>> = Pool::new(LinuxSys, 1);
        let a = pool.acquire(10, Vec::new);
        assert_eq!(pool.release(a, 10), Ok(()));
        assert_eq!(
            pool.release(a, 11),
            Err(PoolError::DoubleRelease { object: a.object() })
        );
        assert_eq!(pool.free_len(), 1);
        // Two acquirers after the refused double release get two different objects.
        let b = pool.acquire(20, Vec::new);
        let c = pool.acquire(21, Vec::new);
        assert_ne!(b.object(), c.object());
        assert!(
            pool.get(a).is_none(),
            "a released handle must not reach the reused object"
        );
        assert!(pool.get(b).is_some());
    }

    /// The refusal a handler logs or returns names what happened and to which object.
    #[test]
    fn a_refused_release_says_which_object_was_released_twice() {
        let e = PoolError::DoubleRelease { object: 3 };
        assert_eq!(e.to_string(), "pool object 3 released twice");
    }

    #[test]
    fn in_use_counts_the_loans_out_and_a_refused_release_changes_nothing() {
        let mut pool: Pool<LinuxSys, u8> = Pool::new(LinuxSys, 3);
        assert_eq!((pool.in_use(), pool.free_len()), (0, 0));
        let loans: Vec<Pooled> = (0..3).map(|owner| pool.acquire(owner, || 0)).collect();
        assert_eq!((pool.in_use(), pool.free_len()), (3, 0));
        pool.release(loans[1], 1).unwrap();
        assert_eq!((pool.in_use(), pool.free_len()), (2, 1));
        assert!(pool.release(loans[1], 1).is_err());
        assert_eq!(
            (pool.in_use(), pool.free_len()),
            (2, 1),
            "a refused double release moved the counts"
        );
        let again = pool.acquire(9, || 0);
        assert_eq!(
            (pool.in_use(), pool.free_len()),
            (3, 0),
            "the free slot is reused"
        );
        for (owner, loan) in [(0, loans[0]), (2, loans[2]), (9, again)] {
            pool.release(loan, owner).unwrap();
        }
        assert_eq!((pool.in_use(), pool.free_len()), (0, 3));
    }

    /// A handle released and not yet lent again, or lent again to someone else, reaches
    /// nothing through `get` or `get_mut`: writes through it would land in a pooled buffer
    /// that no longer belongs to its holder (nbio's reuse of a closed reader's body).
    #[test]
    fn a_released_handle_reaches_nothing_mutably() {
        let mut pool: Pool<LinuxSys, u32> = Pool::new(LinuxSys, 1);
        let first = pool.acquire(1, || 7);
        *pool.get_mut(first).expect("a live loan") = 8;
        pool.release(first, 1).unwrap();
        assert!(pool.get_mut(first).is_none(), "a released loan, still free");
        assert!(pool.get(first).is_none(), "a released loan, still free");
        let second = pool.acquire(2, || 0);
        assert!(pool.get_mut(first).is_none(), "a released loan, lent again");
        assert_eq!(pool.get_mut(second).copied(), Some(8), "the live loan");
    }

    #[test]
    fn stale_handle_cannot_release_the_next_loan() {
        let mut pool: Pool<LinuxSys, u32> = Pool::new(LinuxSys, 2);
        let first = pool.acquire(1, || 7);
        pool.release(first, 1).unwrap();
        let second = pool.acquire(2, || 8);
        assert_eq!(first.object(), second.object(), "the slot is reused");
        assert!(
            pool.release(first, 1).is_err(),
            "the old loan's handle must not free the new loan"
        );
        assert_eq!(pool.get(second), Some(&7), "objects are reused, not remade");
    }
}
