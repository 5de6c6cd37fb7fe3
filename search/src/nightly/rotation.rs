//! Rounds, and the order the search hands them out in.
//!
//! A round is one unit over `round_seeds` consecutive seeds. Rounds go out in rotation
//! (unit 0 round 0, unit 1 round 0, ..., unit 0 round 1, ...), so every unit gets a fair
//! share of a budget. With a shard `(K, N)` only the rounds `r ≡ K (mod N)` are handed out
//! here, so shards never overlap and together cover what one process would.

use crate::campaign::GUIDED_CHUNK;
use crate::wall::Stopwatch;
use simkern_sim::strategy;
use std::ops::Range;
use std::time::Duration;

/// Seeds per round: long enough that a worker's start (a few ms) is noise, short enough that
/// a 2-minute budget still visits every unit many times.
pub const ROUND_SEEDS: u64 = 256;

/// Seeds per round of `kind`: `guided` rounds are one whole chunk of its campaign (its
/// corpus lives as long as the chunk).
pub fn round_seeds(kind: strategy::Kind) -> u64 {
    match kind {
        strategy::Kind::Guided => GUIDED_CHUNK,
        _ => ROUND_SEEDS,
    }
}

/// The seeds of round `round` of a unit whose rounds are `len` seeds long, from
/// `first_seed`: `None` past the end of the seed space (seeds end before `u64::MAX`, the
/// exclusive end of every range), never a wrapped range; the last round may be short.
pub fn round_range(first_seed: u64, round: u64, len: u64) -> Option<Range<u64>> {
    let start = round
        .checked_mul(len)
        .and_then(|offset| first_seed.checked_add(offset))
        .filter(|&start| start < u64::MAX)?;
    Some(start..start.saturating_add(len))
}

/// How long the search may go on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Wall-clock time from the search's start.
    Budget(Duration),
    /// Seeds in all, over every shard (so the shards of a run together run what one process
    /// would), rounded up to whole rounds.
    Seeds(u64),
}

/// Hands out rounds in rotation order until the limit is spent.
pub(super) struct Rotation {
    /// Seeds per round, by unit.
    round_len: Vec<u64>,
    next: u64,
    /// Seeds of the rounds handed out so far, by every shard.
    counted: u64,
    shard: (u64, u64),
    limit: Limit,
    first_seed: u64,
    clock: Stopwatch,
}

impl Rotation {
    pub(super) fn new(
        round_len: Vec<u64>,
        shard: (u64, u64),
        limit: Limit,
        first_seed: u64,
    ) -> Rotation {
        assert!(!round_len.is_empty(), "a rotation needs a unit");
        assert!(shard.0 < shard.1, "shard {shard:?} is not K of N");
        Rotation {
            round_len,
            next: 0,
            counted: 0,
            shard,
            limit,
            first_seed,
            clock: Stopwatch::start(),
        }
    }

    /// The next (unit, its seeds), if the search goes on: not past the limit, nor past the
    /// end of the seed space.
    pub(super) fn next(&mut self) -> Option<(usize, Range<u64>)> {
        if let Limit::Budget(budget) = self.limit {
            if self.clock.seconds() >= budget.as_secs_f64() {
                return None;
            }
        }
        let units = self.round_len.len() as u64;
        loop {
            if let Limit::Seeds(n) = self.limit {
                if self.counted >= n {
                    return None;
                }
            }
            let k = self.next;
            self.next += 1;
            let (unit, round) = ((k % units) as usize, k / units);
            let Some(seeds) = round_range(self.first_seed, round, self.round_len[unit]) else {
                // Rounds only climb the seed space: once no unit's round fits, none will.
                let any = self
                    .round_len
                    .iter()
                    .any(|&len| round_range(self.first_seed, round, len).is_some());
                if !any {
                    return None;
                }
                continue;
            };
            self.counted = self.counted.saturating_add(self.round_len[unit]);
            if round % self.shard.1 == self.shard.0 {
                return Some((unit, seeds));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_visits_every_unit_and_shards_partition_the_rounds() {
        let take = |shard: (u64, u64)| {
            let mut r = Rotation::new(
                vec![ROUND_SEEDS; 3],
                shard,
                Limit::Seeds(12 * ROUND_SEEDS),
                0,
            );
            std::iter::from_fn(|| r.next())
                .map(|(unit, seeds)| (unit, seeds.start / ROUND_SEEDS))
                .collect::<Vec<_>>()
        };
        let mut all = take((0, 1));
        assert_eq!(all.len(), 12);
        assert_eq!(&all[..4], &[(0, 0), (1, 0), (2, 0), (0, 1)]);
        // Two shards run the same rounds as one process, disjointly.
        let mut merged: Vec<_> = take((0, 2)).into_iter().chain(take((1, 2))).collect();
        assert_eq!(take((0, 2)).len(), 6);
        merged.sort_unstable();
        all.sort_unstable();
        assert_eq!(merged, all);
    }

    #[test]
    fn rounds_stop_at_the_end_of_the_seed_space_instead_of_wrapping() {
        let top = u64::MAX - 300;
        let mut r = Rotation::new(
            vec![ROUND_SEEDS, GUIDED_CHUNK],
            (0, 1),
            Limit::Budget(Duration::from_secs(3600)),
            top,
        );
        let rounds: Vec<_> = std::iter::from_fn(|| r.next()).collect();
        assert_eq!(
            rounds,
            vec![
                (0, top..top + ROUND_SEEDS),
                (1, top..u64::MAX),
                (0, top + ROUND_SEEDS..u64::MAX),
            ]
        );
        assert_eq!(round_range(u64::MAX, 0, ROUND_SEEDS), None);
        assert_eq!(round_range(0, u64::MAX, ROUND_SEEDS), None);
    }
}
