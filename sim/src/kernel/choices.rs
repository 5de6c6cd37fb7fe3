//! `Choices`: the one door through which nondeterminism enters the kernel.
//!
//! The kernel has no randomness of its own. Wherever Linux leaves an outcome open (how long a
//! segment takes on the wire, which ready entry `epoll_wait` reports first, how much of an
//! oversized write a full socket accepts) the kernel asks a `Choices` object, so the list of
//! answers is the whole replay record. A choice with one possible answer is not asked: it is
//! not a decision and would only lengthen the record.
//!
//! Owns: the trait, the kinds of choice, and two small deterministic implementations for
//! tests (`Zero`, `XorShift`). Strategies (random, PCT, replay) live elsewhere and implement
//! the trait.

/// What a choice decides. Each kind names the file whose `//!` documents the freedom.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Choice {
    /// One-way latency of a segment above `Config::latency_ns_min` (`tcp::net`).
    Latency,
    /// Which of the remaining ready-list entries a harvest scans next (`epoll::wait`).
    ReadyOrder,
    /// How many bytes a socket write accepts when it does not fit whole (`tcp::stream`).
    WriteLen,
}

/// The source of every nondeterministic kernel decision.
pub trait Choices {
    /// A uniform choice in `0..n` (`n >= 1`). Every nondeterministic kernel decision goes here,
    /// so the list of decisions is the whole replay record.
    fn choose(&mut self, what: Choice, n: u64) -> u64;
}

/// Asks `ch` for a value in `0..n`, skipping the question when there is only one answer, and
/// checks the answer is in range (a strategy bug otherwise).
pub(crate) fn draw(ch: &mut dyn Choices, what: Choice, n: u64) -> u64 {
    assert!(n >= 1, "a {what:?} choice needs at least one option");
    if n == 1 {
        return 0;
    }
    let v = ch.choose(what, n);
    assert!(
        v < n,
        "Choices returned {v} for a {what:?} choice among {n}: the strategy is broken"
    );
    v
}

/// Always the first option: minimum latency, FIFO ready order, whole writes. For tests.
#[derive(Copy, Clone, Debug, Default)]
pub struct Zero;

impl Choices for Zero {
    fn choose(&mut self, _what: Choice, _n: u64) -> u64 {
        0
    }
}

/// A tiny seeded xorshift64* stream, uniform enough for tests (not for the seed runner, which
/// uses `rand_chacha`). Modulo bias is irrelevant at test sizes.
#[derive(Clone, Debug)]
pub struct XorShift {
    state: u64,
}

impl XorShift {
    /// A stream for `seed`; seed 0 is remapped (xorshift's all-zero state is a fixed point).
    pub fn new(seed: u64) -> XorShift {
        XorShift {
            state: seed ^ 0x9e37_79b9_7f4a_7c15 | 1,
        }
    }
}

impl Choices for XorShift {
    fn choose(&mut self, _what: Choice, n: u64) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}
