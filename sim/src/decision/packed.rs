//! `Packed`: several small uniform values from one decision.
//!
//! The time each step takes (`kernel::Config::step_ns_max`) is drawn at every scheduling
//! point, so it is the most frequent choice of a run. One draw per step cost about 67
//! instructions (the decision's replay and recording checks, the ChaCha block, Lemire's
//! multiply), over 7% of an echo round trip at one client. Here one decision is a value in
//! `0..n^k`, the largest `k` whose `n^k` fits a `u64`, and each step takes the next base-`n`
//! digit of it: `k` steps for one draw (9 for `n = 101`), each digit exactly uniform and
//! independent of the others, as `k` separate draws would be.
//!
//! Invariants: `left` digits remain in `value` (`value < n^left`); a change of `n` drops
//! what is left, so every digit comes from a draw made for its own range. The decision that
//! the caller draws has range `n^k` and its benign value 0 gives `k` zero digits, so a shrunk
//! run (`Fill::Benign`) takes no time per step, as separate draws would.

/// Digits of one draw in `0..n^k`, handed out one per call.
#[derive(Clone, Debug, Default)]
pub(crate) struct Packed {
    /// The range of each digit (`0..n`); 0 before the first call.
    n: u64,
    /// `n^k`: the range of one draw.
    range: u64,
    /// Digits per draw (`k`).
    per_draw: u32,
    /// The digits not yet handed out, lowest first.
    value: u64,
    /// How many of them there are.
    left: u32,
}

impl Packed {
    /// The next value in `0..n` (`n >= 2`), or `None` when the digits are used up: then draw
    /// a uniform value in `0..self.range()` and hand it to `refill`.
    #[inline]
    pub(crate) fn next(&mut self, n: u64) -> Option<u64> {
        assert!(n >= 2, "a packed draw from 0..{n}: fewer than two values");
        if n != self.n {
            self.start(n);
        }
        if self.left == 0 {
            return None;
        }
        Some(self.digit())
    }

    /// The range of the draw `refill` takes: `n^k`.
    pub(crate) fn range(&self) -> u64 {
        self.range
    }

    /// Takes a fresh draw in `0..self.range()` and hands out its first digit.
    #[inline]
    pub(crate) fn refill(&mut self, value: u64) -> u64 {
        assert!(
            self.left == 0 && value < self.range,
            "refill of {value} (range {}) with {} digits left",
            self.range,
            self.left
        );
        self.value = value;
        self.left = self.per_draw;
        self.digit()
    }

    #[inline]
    fn digit(&mut self) -> u64 {
        self.left -= 1;
        let digit = self.value % self.n;
        self.value /= self.n;
        digit
    }

    /// Digits in `0..n` from now on, none left over.
    #[cold]
    fn start(&mut self, n: u64) {
        let (mut range, mut per_draw) = (n, 1);
        while let Some(wider) = range.checked_mul(n) {
            range = wider;
            per_draw += 1;
        }
        *self = Packed {
            n,
            range,
            per_draw,
            value: 0,
            left: 0,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `next`, drawing `draw(range)` when the digits run out.
    fn take(p: &mut Packed, n: u64, draw: impl FnOnce(u64) -> u64) -> u64 {
        match p.next(n) {
            Some(d) => d,
            None => p.refill(draw(p.range())),
        }
    }

    #[test]
    fn one_draw_gives_the_most_digits_that_fit_a_u64() {
        let mut draws = Vec::new();
        let mut p = Packed::default();
        for _ in 0..18 {
            take(&mut p, 101, |range| {
                draws.push(range);
                range - 1
            });
        }
        // 101^9 is about 1.09e18; 101^10 would pass u64::MAX (1.8e19).
        assert_eq!(
            draws,
            vec![101u64.pow(9); 2],
            "18 digits of 0..101 in two draws"
        );
        let mut p = Packed::default();
        assert_eq!(take(&mut p, 1_000_001, |r| r - 1), 1_000_000);
        assert_eq!(p.range, 1_000_001u64.pow(3));
        let mut p = Packed::default();
        take(&mut p, 2, |_| 0);
        assert_eq!(p.per_draw, 63, "2^64 does not fit");
    }

    #[test]
    fn the_digits_are_the_draw_in_base_n_lowest_first() {
        let mut p = Packed::default();
        // 3 + 5*10 + 7*100 in base 10 (the draw's range is 10^19).
        let digits: Vec<u64> = (0..4).map(|_| take(&mut p, 10, |_| 753)).collect();
        assert_eq!(digits, vec![3, 5, 7, 0]);
    }

    #[test]
    fn a_new_range_drops_the_digits_left_from_the_old_one() {
        let mut p = Packed::default();
        let mut calls = 0;
        take(&mut p, 101, |r| {
            calls += 1;
            r - 1
        });
        // Eight digits of 0..101 remain; 0..7 must not take them.
        let d = take(&mut p, 7, |r| {
            calls += 1;
            r - 1
        });
        assert_eq!((d, calls), (6, 2));
    }
}
