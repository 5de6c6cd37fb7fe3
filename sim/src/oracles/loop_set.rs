//! `LoopSet`: the loop ids the lost-wakeup bookkeeping tracks, updated on every sleep and
//! wake of every loop. Ids of the first process are epoll fd numbers (small and dense): a
//! bitmap takes them in a few instructions whatever the number of loops, where a list's scan
//! grew with the loops (101 at the 100-client echo) and a tree cost more than the list at one
//! loop. Ids of other processes carry the process in their high bits and go to a tree.

use crate::bit_set::BitSet;
use std::collections::BTreeSet;

/// Ids below this live in the bitmap.
const DENSE: u64 = 1 << 16;

#[derive(Default)]
pub(super) struct LoopSet {
    dense: BitSet,
    sparse: BTreeSet<u64>,
}

impl LoopSet {
    pub(super) fn insert(&mut self, id: u64) {
        if id < DENSE {
            self.dense.insert(id as usize);
        } else {
            self.sparse.insert(id);
        }
    }

    pub(super) fn remove(&mut self, id: u64) {
        if id < DENSE {
            self.dense.remove(id as usize);
        } else {
            self.sparse.remove(&id);
        }
    }

    pub(super) fn contains(&self, id: u64) -> bool {
        if id < DENSE {
            self.dense.contains(id as usize)
        } else {
            self.sparse.contains(&id)
        }
    }

    /// The ids in ascending order (every sparse id is above every dense one).
    pub(super) fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        let dense = self.dense.iter().map(|i| i as u64);
        dense.chain(self.sparse.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::LoopSet;
    use std::collections::BTreeSet;

    /// The set against a `BTreeSet` over ids on both sides of the bitmap's bound.
    #[test]
    fn a_loop_set_agrees_with_a_tree() {
        let mut set = LoopSet::default();
        let mut tree = BTreeSet::new();
        let ids = [3, 64, 63, 0, 1 << 16, (1 << 16) - 1, 2 << 32 | 5, 3, 700];
        for (i, &id) in ids.iter().cycle().take(40).enumerate() {
            if i % 3 == 2 {
                set.remove(id);
                tree.remove(&id);
            } else {
                set.insert(id);
                tree.insert(id);
            }
            assert_eq!(
                set.iter().collect::<Vec<_>>(),
                tree.iter().copied().collect::<Vec<_>>()
            );
            for &probe in &ids {
                assert_eq!(set.contains(probe), tree.contains(&probe), "{probe}");
            }
        }
    }
}
