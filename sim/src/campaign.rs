//! Campaigns: strategies whose seeds depend on the seeds before them (`dfs`, `guided`).
//!
//! A campaign turns each seed of a *chunk*, in order, into the `Config` of one run, and
//! observes that run's `Outcome` before the next. Chunks are fixed by the seed range alone,
//! never by `--jobs` or by which runner took them, so a batch's results (and `run_hash`) do
//! not depend on parallelism:
//!
//! - `random`, `pct:D`: stateless, one seed a chunk (their runs are exactly `Batch::config`).
//! - `guided`: chunks of `GUIDED_CHUNK` consecutive seeds, aligned on offsets from the
//!   range's start; each chunk grows its own corpus.
//! - `dfs:B`: one chunk, the whole range, walked in order (the search tree is one sequence).
//!
//! A chunk always runs in order on one runner; `--shard K/N` shards chunks by index. The
//! runner that drives a campaign over a batch (`Driver`) is the search layer's
//! (`simkern_search::campaign`); this module holds what a strategy is and how its seeds group.

use crate::coverage::Map;
use crate::runner::{Config, Outcome};
use crate::strategy::{Dfs, Guided, Kind};
use std::ops::Range;

/// Seeds per `guided` chunk: long enough for a corpus to pay off, short enough to give
/// `--jobs 8` work in a run of ten thousand seeds.
pub const GUIDED_CHUNK: u64 = 1024;

/// A strategy that carries state from one seed of its chunk to the next.
pub trait Campaign {
    /// The run for the next seed; `base` is the batch's config for that seed.
    fn config(&mut self, base: Config) -> Config;
    /// Whether its runs should collect coverage (`coverage::collect`).
    fn wants_coverage(&self) -> bool {
        false
    }
    /// What that run did (`None`: it crashed its worker or ran out of wall-clock time), and
    /// its coverage if asked for. Returns notes for the report (a `dfs` tree explored).
    fn observe(&mut self, outcome: Option<&Outcome>, coverage: Option<&Map>) -> Vec<String>;
}

/// The campaign of `kind` for the chunk starting at `chunk_start`, or `None` for a
/// stateless strategy.
pub fn start(kind: Kind, chunk_start: u64) -> Option<Box<dyn Campaign>> {
    match kind {
        Kind::Random | Kind::Pct { .. } => None,
        Kind::Dfs { bound } => Some(Box::new(Dfs::new(bound, chunk_start))),
        Kind::Guided => Some(Box::new(Guided::new())),
    }
}

fn chunk_len(kind: Kind, seeds: &Range<u64>) -> u64 {
    match kind {
        Kind::Random | Kind::Pct { .. } => 1,
        Kind::Guided => GUIDED_CHUNK,
        Kind::Dfs { .. } => (seeds.end - seeds.start).max(1),
    }
}

/// The chunks of a seed range for one strategy, in order: each a range run in order by one
/// runner. Computed on demand (`get`), never materialised: a range may hold 2^64 - 1 seeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunks {
    seeds: Range<u64>,
    len: u64,
}

impl Chunks {
    /// How many chunks there are.
    pub fn count(&self) -> u64 {
        (self.seeds.end - self.seeds.start).div_ceil(self.len)
    }

    /// Chunk `i` (`i < count()`).
    pub fn get(&self, i: u64) -> Range<u64> {
        assert!(i < self.count(), "chunk {i} of {}", self.count());
        // `i * len < end - start`, so neither the product nor the sum overflows; the chunk's
        // end may pass `u64::MAX`, hence the saturating add before the clamp to the range.
        let a = self.seeds.start + i * self.len;
        a..a.saturating_add(self.len).min(self.seeds.end)
    }

    /// The index of the chunk holding `seed`, if the range holds it.
    pub fn index_of(&self, seed: u64) -> Option<u64> {
        self.seeds
            .contains(&seed)
            .then(|| (seed - self.seeds.start) / self.len)
    }

    /// Seeds in the chunks `k`, `k + n`, `k + 2n`, ... (shard `k` of `n`; `(0, 1)` is all).
    pub fn seeds_in_shard(&self, k: u64, n: u64) -> u64 {
        let count = self.count();
        if count <= k {
            return 0;
        }
        let chunks = (count - 1 - k) / n + 1;
        let last = k + (chunks - 1) * n;
        // Every chunk is full but the range's last, which may be short; `(chunks - 1) * len`
        // is at most `last * len`, inside the range, so nothing here overflows.
        let last = self.get(last);
        (chunks - 1) * self.len + (last.end - last.start)
    }
}

/// The chunks of `seeds` for `kind`.
pub fn chunks(kind: Kind, seeds: Range<u64>) -> Chunks {
    assert!(seeds.start < seeds.end, "empty seed range {seeds:?}");
    Chunks {
        len: chunk_len(kind, &seeds),
        seeds,
    }
}

/// The first seed of the chunk holding `seed`.
pub fn chunk_start(kind: Kind, seeds: &Range<u64>, seed: u64) -> u64 {
    assert!(seeds.contains(&seed), "seed {seed} is outside {seeds:?}");
    let len = chunk_len(kind, seeds);
    seeds.start + (seed - seeds.start) / len * len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_range_in_order_and_align_on_its_start() {
        let seeds = 10..3000;
        for kind in [Kind::Random, Kind::Guided, Kind::Dfs { bound: 2 }] {
            let chunks = chunks(kind, seeds.clone());
            let flat: Vec<u64> = (0..chunks.count()).flat_map(|i| chunks.get(i)).collect();
            assert_eq!(flat, seeds.clone().collect::<Vec<_>>(), "{kind}");
            for i in 0..chunks.count() {
                let c = chunks.get(i);
                for s in c.clone() {
                    assert_eq!(chunk_start(kind, &seeds, s), c.start, "{kind} seed {s}");
                }
            }
            for n in 1..5 {
                let by_shard: u64 = (0..n).map(|k| chunks.seeds_in_shard(k, n)).sum();
                assert_eq!(by_shard, 2990, "{kind} in {n} shards");
            }
        }
        assert_eq!(chunks(Kind::Guided, seeds.clone()).count(), 3);
        assert_eq!(chunks(Kind::Dfs { bound: 0 }, seeds).count(), 1);
    }

    #[test]
    fn chunks_of_ranges_near_the_top_of_u64_neither_wrap_nor_materialise() {
        let top = 18_446_744_073_709_550_000..u64::MAX;
        let guided = chunks(Kind::Guided, top.clone());
        assert_eq!(guided.count(), 2);
        assert_eq!(guided.get(1), top.start + GUIDED_CHUNK..u64::MAX);
        assert_eq!(guided.seeds_in_shard(0, 1), 1615);
        let all = chunks(Kind::Random, 0..u64::MAX);
        assert_eq!(all.count(), u64::MAX);
        assert_eq!(all.get(u64::MAX - 1), u64::MAX - 1..u64::MAX);
        assert_eq!(all.seeds_in_shard(3, 8), (u64::MAX - 3 - 1) / 8 + 1);
        assert_eq!(
            chunks(Kind::Guided, 0..u64::MAX).seeds_in_shard(0, 1),
            u64::MAX
        );
        assert_eq!(chunks(Kind::Random, 0..2).seeds_in_shard(3, 8), 0);
        assert_eq!(guided.index_of(top.start + GUIDED_CHUNK), Some(1));
        assert_eq!(guided.index_of(u64::MAX), None);
        let dfs = chunks(Kind::Dfs { bound: 1 }, 0..u64::MAX);
        assert_eq!(dfs.get(0), 0..u64::MAX);
    }
}
