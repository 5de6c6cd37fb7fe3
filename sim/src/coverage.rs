//! Coverage of a run: features of its trace hashed into a bitmap of hit counts, for the
//! `guided` strategy.
//!
//! A feature is a fact about one event in its context: a syscall with its result class, the
//! edge from the same thread's previous call to this one, the edge from the previous event of
//! any thread (with whether the thread changed: an interleaving), the ready bits an
//! `epoll_wait` returned, a probe's kind (with its errno and action for `ErrnoHandled`), an
//! injected fault. Hit counts are bucketed as AFL does (1, 2, 3, 4–7, 8–15, 16–31, 32–127,
//! 128+), so "the same edge, many more times" is new coverage too.
//!
//! Collection is off unless a run is wrapped in `collect`; the world's `record` asks `active`
//! (one thread-local flag) before calling `observe`. It reads events and never writes to the
//! run, so trace hashes are the same with it on or off. Not modelled: values (fds, handles,
//! lengths beyond their class), which would make every run new.

use crate::trace::{Event, What};
use std::cell::{Cell, RefCell};

/// Bitmap size (a power of two): AFL's 64 KiB, ample for the few thousand features a scenario
/// has, small enough to scan after every run.
pub const MAP_LEN: usize = 1 << 16;

/// The hit counts of one run, by feature slot.
#[derive(Clone, Debug)]
pub struct Map {
    counts: Vec<u8>,
}

impl Map {
    fn new() -> Self {
        Map {
            counts: vec![0; MAP_LEN],
        }
    }

    fn hit(&mut self, feature: u64) {
        let slot = (mix(feature) as usize) & (MAP_LEN - 1);
        self.counts[slot] = self.counts[slot].saturating_add(1);
    }

    /// Slots hit at least once.
    pub fn features(&self) -> usize {
        self.counts.iter().filter(|&&c| c > 0).count()
    }
}

/// The union of the bucketed coverage of many runs.
#[derive(Clone, Debug)]
pub struct Seen {
    buckets: Vec<u8>,
    /// Set (slot, bucket) pairs.
    total: usize,
}

impl Default for Seen {
    fn default() -> Self {
        Seen {
            buckets: vec![0; MAP_LEN],
            total: 0,
        }
    }
}

impl Seen {
    /// Adds `map`; returns how many (slot, bucket) pairs were new.
    pub fn merge(&mut self, map: &Map) -> usize {
        let mut new = 0;
        for (seen, &count) in self.buckets.iter_mut().zip(&map.counts) {
            if count == 0 {
                continue;
            }
            let bit = bucket(count);
            if *seen & bit == 0 {
                *seen |= bit;
                new += 1;
            }
        }
        self.total += new;
        new
    }

    /// (slot, bucket) pairs seen so far.
    pub fn total(&self) -> usize {
        self.total
    }
}

/// AFL's hit-count classes as one bit each.
fn bucket(count: u8) -> u8 {
    match count {
        0 => 0,
        1 => 1,
        2 => 2,
        3 => 4,
        4..=7 => 8,
        8..=15 => 16,
        16..=31 => 32,
        32..=127 => 64,
        128.. => 128,
    }
}

/// SplitMix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A syscall result as a class: each errno apart, 0, and positive values by their bit length
/// capped at 16 (a 1-byte read and a 4096-byte one differ; 4096 and 4097 do not).
fn result_class(result: i64) -> u64 {
    if result < 0 {
        0x1000 + result.unsigned_abs().min(0xfff)
    } else {
        (64 - result.leading_zeros() as u64).min(16)
    }
}

/// The collector of the run on this OS thread.
struct Collector {
    map: Map,
    /// The last feature of each thread (by thread index): edges within a thread.
    last_by_thread: Vec<u64>,
    /// The last feature and its thread: edges across threads.
    last: (u64, u32),
}

thread_local! {
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static COLLECTOR: RefCell<Option<Collector>> = const { RefCell::new(None) };
}

/// True while `collect` is running a run on this OS thread.
#[inline]
pub fn active() -> bool {
    ACTIVE.with(|a| a.get())
}

/// Runs `f` (a run) with collection on; returns its result and the coverage.
pub fn collect<R>(f: impl FnOnce() -> R) -> (R, Map) {
    assert!(!active(), "coverage::collect nested in another collection");
    COLLECTOR.with(|c| {
        *c.borrow_mut() = Some(Collector {
            map: Map::new(),
            last_by_thread: Vec::new(),
            last: (0, u32::MAX),
        })
    });
    ACTIVE.with(|a| a.set(true));
    // Collection ends even if `f` unwinds (the run loop catches the code's panics, but be sure).
    struct Off;
    impl Drop for Off {
        fn drop(&mut self) {
            ACTIVE.with(|a| a.set(false));
        }
    }
    let off = Off;
    let r = f();
    drop(off);
    let collector = COLLECTOR
        .with(|c| c.borrow_mut().take())
        .expect("collector set above");
    (r, collector.map)
}

/// Folds one event into the running collection (called from the world's `record`).
pub fn observe(event: &Event) {
    COLLECTOR.with(|c| {
        let mut c = c.borrow_mut();
        let Some(c) = c.as_mut() else { return };
        let feature = match &event.what {
            What::Syscall { call, result, .. } => {
                (1 << 56) | ((*call as u64) << 32) | result_class(*result)
            }
            What::Probe(p) => {
                use simkern_poller::sys::Probe;
                let detail = match p {
                    Probe::ErrnoHandled { errno, action, .. } => {
                        ((errno.0 as u64) << 8) | *action as u64
                    }
                    Probe::LoopSleep { timeout_ms, .. } => (*timeout_ms >= 0) as u64,
                    Probe::TeardownDepth { depth } => (64 - (*depth as u64).leading_zeros()) as u64,
                    _ => 0,
                };
                (2 << 56) | (probe_kind(p) << 32) | detail
            }
            What::Fault { call, errno } => (3 << 56) | ((*call as u64) << 32) | errno.0 as u64,
            What::Ready { events, .. } => (4 << 56) | *events as u64,
        };
        let thread = event.thread.as_u32();
        let index = thread as usize;
        if c.last_by_thread.len() <= index {
            c.last_by_thread.resize(index + 1, 0);
        }
        let previous = c.last_by_thread[index];
        c.map.hit(feature);
        c.map.hit(feature ^ previous.rotate_left(17) ^ 0x5555);
        let switched = c.last.1 != thread;
        c.map
            .hit(feature ^ c.last.0.rotate_left(29) ^ (0xaaaa + switched as u64));
        c.last_by_thread[index] = feature;
        c.last = (feature, thread);
    });
}

/// The probe's variant, as a small number.
fn probe_kind(p: &simkern_poller::sys::Probe) -> u64 {
    use simkern_poller::sys::Probe::*;
    match p {
        OperatorCreated { .. } => 1,
        OperatorDeregistered { .. } => 2,
        OperatorFreed { .. } => 3,
        EventDelivered { .. } => 4,
        EventDroppedStale { .. } => 5,
        PoolAcquire { .. } => 6,
        PoolRelease { .. } => 7,
        PoolDoubleReleaseRefused { .. } => 8,
        OwnerCreated { .. } => 9,
        OwnerDestroyed { .. } => 10,
        TimerArmed { .. } => 11,
        TimerCancelled { .. } => 12,
        TimerFired { .. } => 13,
        WakeRequested { .. } => 14,
        WakerWrite { .. } => 15,
        WakeObserved { .. } => 16,
        LoopSleep { .. } => 17,
        LoopWoke { .. } => 18,
        TeardownDepth { .. } => 19,
        ErrnoHandled { .. } => 20,
        User { name, .. } => {
            21 + (name
                .bytes()
                .fold(0u64, |h, b| h.wrapping_mul(31) + b as u64)
                << 8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_identical_map_adds_nothing_new() {
        let mut map = Map::new();
        for f in 0..100 {
            map.hit(f);
        }
        let mut seen = Seen::default();
        assert_eq!(seen.merge(&map), 100);
        assert_eq!(seen.merge(&map), 0);
        map.hit(3);
        assert_eq!(
            seen.merge(&map),
            1,
            "a count moving to the next bucket is new"
        );
    }
}
