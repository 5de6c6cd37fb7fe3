//! `Queue`: the network's timed events, earliest first, ties in scheduling order.
//!
//! A 4-ary min-heap keyed by `(time, seq)` packed into one `u128`. The queue is popped each
//! time virtual time moves and pushed about once per write, and it holds about one event per
//! connection in flight, so its cost is the depth of its sift loops: four children per node
//! halve the depth of a binary heap, and one integer key per comparison makes each level's
//! choice a few compares the compiler can do without branches (a binary heap's
//! mispredicted left-or-right branch at every level was most of `std`'s `pop` here).
//!
//! Keys are unique (`seq` never repeats), so the order of pops is fully determined by the
//! keys: any correct priority queue gives the same sequence, and so the same run.

use super::net::Event;

/// One queued event.
#[derive(Copy, Clone, Debug)]
struct Timed {
    /// `(at << 64) | seq`: time first, then scheduling order.
    key: u128,
    event: Event,
}

impl Timed {
    fn at(&self) -> u64 {
        (self.key >> 64) as u64
    }
}

/// Children per node.
const ARITY: usize = 4;

/// Timed events, earliest first.
#[derive(Default)]
pub(crate) struct Queue {
    heap: Vec<Timed>,
}

impl Queue {
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Queues `event` at `at`; `seq` orders events of equal time and must be unique.
    pub(crate) fn push(&mut self, at: u64, seq: u64, event: Event) {
        let item = Timed {
            key: (u128::from(at) << 64) | u128::from(seq),
            event,
        };
        // Sift up: move parents down into the hole until the item's place is found.
        let mut hole = self.heap.len();
        self.heap.push(item);
        while hole > 0 {
            let parent = (hole - 1) / ARITY;
            if self.heap[parent].key <= item.key {
                break;
            }
            self.heap[hole] = self.heap[parent];
            hole = parent;
        }
        self.heap[hole] = item;
    }

    /// The earliest event and its time.
    pub(crate) fn peek(&self) -> Option<(u64, Event)> {
        self.heap.first().map(|t| (t.at(), t.event))
    }

    /// Removes and returns the earliest event and its time.
    pub(crate) fn pop(&mut self) -> Option<(u64, Event)> {
        let last = self.heap.pop()?;
        let Some(&top) = self.heap.first() else {
            return Some((last.at(), last.event));
        };
        // Sift `last` down from the root: move the least child up until `last` fits.
        let len = self.heap.len();
        let mut hole = 0;
        loop {
            let first = ARITY * hole + 1;
            if first >= len {
                break;
            }
            // The least child by masks, not jumps: which child is least is a coin toss the
            // branch predictor loses half the time (and LLVM turns `if` selects on a u128
            // back into jumps).
            let mut least = first;
            let mut least_key = self.heap[first].key;
            for child in first + 1..(first + ARITY).min(len) {
                let key = self.heap[child].key;
                let less = key < least_key;
                let wide = u128::from(less).wrapping_neg();
                least_key = (key & wide) | (least_key & !wide);
                least ^= (least ^ child) & usize::from(less).wrapping_neg();
            }
            if least_key >= last.key {
                break;
            }
            self.heap[hole] = self.heap[least];
            hole = least;
        }
        self.heap[hole] = last;
        self.check();
        Some((top.at(), top.event))
    }

    /// The heap property (debug builds: it is O(n)).
    fn check(&self) {
        debug_assert!(
            self.heap_ordered(),
            "network queue: a parent is later than its child (heap order broken)"
        );
    }

    /// Every parent is earlier than its children: what keeps `pop` a walk down one path.
    fn heap_ordered(&self) -> bool {
        (1..self.heap.len()).all(|i| self.heap[(i - 1) / ARITY].key < self.heap[i].key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::choices::{Choices, XorShift};
    use crate::kernel::tcp::SocketKey;

    fn event(attempt: u32) -> Event {
        Event::SynTimer {
            sock: SocketKey::default(),
            attempt,
        }
    }

    #[test]
    fn pops_come_in_time_order_and_ties_in_push_order() {
        // Random times from a small range, so many ties: the pops must be the pushes sorted
        // by (time, push order), as the binary heap of `(time, seq)` this replaced gave.
        let mut ch = XorShift::new(7);
        let mut queue = Queue::default();
        let mut expected = Vec::new();
        for seq in 0..500u64 {
            let at = ch.choose(crate::kernel::Choice::Latency, 40);
            queue.push(at, seq, event(seq as u32));
            expected.push((at, seq));
            if seq % 7 == 0 {
                // Interleave pops with pushes, as the network does.
                expected.sort();
                let (at, seq) = expected.remove(0);
                assert_eq!(queue.pop(), Some((at, event(seq as u32))));
                // In any build: a pop that found the least event by scanning everything
                // would give the same order and leave the heap broken.
                assert!(queue.heap_ordered(), "heap order broken after a pop");
            }
        }
        expected.sort();
        for (at, seq) in expected {
            assert_eq!(queue.peek(), Some((at, event(seq as u32))));
            assert_eq!(queue.pop(), Some((at, event(seq as u32))));
        }
        assert_eq!(queue.pop(), None);
        assert_eq!(queue.len(), 0);
    }
}
