//! `ThreadSet`: a set of thread ids as a bitset, iterated in ascending order.
//!
//! The scheduler's candidate set changes at every park and wake; a bitset makes insert and
//! remove a bit flip and iteration a scan of `threads / 64` words, where a `BTreeSet` paid
//! a tree search (and, at times, a node allocation) for each.

use crate::bit_set::BitSet;
use crate::thread::ThreadId;

#[derive(Default)]
pub(crate) struct ThreadSet {
    bits: BitSet,
}

impl ThreadSet {
    #[inline]
    pub fn insert(&mut self, t: ThreadId) {
        self.bits.insert(t.index());
    }

    #[inline]
    pub fn remove(&mut self, t: ThreadId) {
        self.bits.remove(t.index());
    }

    #[cfg(test)]
    pub fn contains(&self, t: ThreadId) -> bool {
        self.bits.contains(t.index())
    }

    /// The members, ascending.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = ThreadId> + '_ {
        self.bits.iter().map(|i| ThreadId(i as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn it_agrees_with_an_ordered_set_under_any_inserts_and_removes() {
        let mut set = ThreadSet::default();
        let mut model = BTreeSet::new();
        // A fixed pseudo-random walk over ids that span several words.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..5_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let t = ThreadId((x % 300) as u32);
            if x & (1 << 40) == 0 {
                set.insert(t);
                model.insert(t);
            } else {
                set.remove(t);
                model.remove(&t);
            }
            assert_eq!(set.contains(t), model.contains(&t));
        }
        assert!(!model.is_empty());
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            model.into_iter().collect::<Vec<_>>()
        );
    }

    #[test]
    fn removing_an_id_never_inserted_is_a_no_op() {
        let mut set = ThreadSet::default();
        set.remove(ThreadId(1000));
        set.insert(ThreadId(3));
        set.remove(ThreadId(200));
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![ThreadId(3)]);
    }
}
