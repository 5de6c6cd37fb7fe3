//! `guided`: coverage-guided search over the decision stream (in the manner of AFL and
//! libFuzzer, with a run's whole decision list as the input).
//!
//! A campaign keeps a corpus of decision lists whose runs reached coverage no earlier run of
//! the chunk had (`crate::coverage`: syscall results, per-thread and cross-thread edges,
//! ready bits, probes, faults, with bucketed hit counts). For each seed it either runs the
//! seed fresh (the random walk on the seed's streams, as `random` would) or mutates a corpus
//! entry and replays it, the seed's streams answering past the list (`Fill::Stream`).
//! Mutations: force a window of kernel decisions to the top or the bottom of their ranges (one
//! mutation in `EXTREME_ONE_IN`: the longest latencies, the last ready event first, the
//! slowest steps), set a few
//! decisions to other values within their ranges (a fault decision to "inject" half the
//! time), truncate (the stream takes over from there), or splice the head of one entry onto
//! the tail of another. Every choice of the campaign is drawn from a
//! `rand_chacha` stream of the seed, so a chunk's results are a function of the chunk.
//!
//! The corpus is bounded (`CORPUS_MAX` entries of at most `ENTRY_MAX` decisions); a new entry
//! past the bound replaces a random one. Departures from AFL: no energy schedule, no
//! minimisation of entries, no dictionary; the extreme window stands in for AFL's "interesting
//! values" stage.

use crate::campaign::Campaign;
use crate::coverage::{Map, Seen};
use crate::decision::{Choice, Decision, Fill};
use crate::runner::{Config, Outcome};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Corpus entries kept: enough variety for a chunk of `GUIDED_CHUNK` seeds, small enough that
/// the corpus of a long run stays in a few megabytes.
pub const CORPUS_MAX: usize = 64;
/// Decisions kept of an entry: mutations that matter are near the start of a race; a longer
/// tail is left to the stream.
pub const ENTRY_MAX: usize = 20_000;
/// One seed in this many runs fresh rather than mutating (exploration against exploitation).
pub const FRESH_ONE_IN: u64 = 4;
/// One mutation in this many also forces a window of kernel decisions to one end of their
/// range (measured: one in 2, 3 and 4 all help; one in 3 best over the seed bugs).
pub const EXTREME_ONE_IN: u64 = 3;
/// The stream of a seed's key that the campaign draws from (disjoint from the run's own
/// scheduler, kernel and fault streams 0..=2, the plan streams above them and the step-time
/// streams at the top).
const CAMPAIGN_STREAM: u64 = 0x6775_6964;

pub struct Guided {
    corpus: Vec<Vec<Decision>>,
    seen: Seen,
    /// The current seed's campaign randomness (drawn in `config`, used again in `observe`).
    rng: ChaCha8Rng,
}

impl Default for Guided {
    fn default() -> Self {
        Guided::new()
    }
}

impl Guided {
    pub fn new() -> Self {
        Guided {
            corpus: Vec::new(),
            seen: Seen::default(),
            rng: ChaCha8Rng::seed_from_u64(0),
        }
    }

    /// Entries in the corpus.
    pub fn corpus_len(&self) -> usize {
        self.corpus.len()
    }

    /// (feature, bucket) pairs reached so far.
    pub fn coverage(&self) -> usize {
        self.seen.total()
    }

    fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "a draw from an empty range");
        self.rng.next_u64() % n
    }

    /// A mutant of a corpus entry.
    fn mutate(&mut self) -> Vec<Decision> {
        let a = self.below(self.corpus.len() as u64) as usize;
        let mut list = self.corpus[a].clone();
        // Races that need a late segment, a reordered wakeup or a short write need many kernel
        // decisions at one end of their range at once, which changing a few values at random
        // almost never gives: a window of them goes to the top (the longest latency, the last
        // ready event first) or to the bottom.
        if self.below(EXTREME_ONE_IN) == 0 && !list.is_empty() {
            let from = self.below(list.len() as u64) as usize;
            let len = 1 + self.below((list.len() - from) as u64) as usize;
            let top = self.below(2) == 0;
            for d in &mut list[from..from + len] {
                match d.what {
                    Choice::Kernel | Choice::Step if top => d.value = d.n - 1,
                    Choice::Kernel | Choice::Step => d.value = 0,
                    _ => {}
                }
            }
        }
        match self.below(3) {
            0 => {}
            1 => {
                let cut = self.below(list.len() as u64 + 1) as usize;
                list.truncate(cut);
            }
            _ => {
                let b = self.below(self.corpus.len() as u64) as usize;
                let shorter = list.len().min(self.corpus[b].len());
                let cut = self.below(shorter as u64 + 1) as usize;
                list.truncate(cut);
                list.extend_from_slice(&self.corpus[b][cut..]);
            }
        }
        // A few values changed within their ranges (always at least one when there is one).
        // Only among decisions that can take another value and are not step times: step
        // times are most of a list (one per nine steps) and a few nanoseconds more on one step
        // rarely changes an outcome, so changes landing there were mostly wasted (go-netpoll's
        // median runs to failure went 11 -> 33.5 when step time came in).
        let open: Vec<usize> = (0..list.len())
            .filter(|&i| list[i].n >= 2 && list[i].what != Choice::Step)
            .collect();
        let changes = 1 + self.below(4);
        for _ in 0..changes {
            if open.is_empty() {
                break;
            }
            let i = open[self.below(open.len() as u64) as usize];
            let Decision { what, n, .. } = list[i];
            // Half the changes to a fault decision inject it (value 0 is below every nonzero
            // rate): a fault at one chosen call, not one more coin toss.
            list[i].value = if what == Choice::Fault && self.below(2) == 0 {
                0
            } else {
                self.below(n)
            };
        }
        list
    }
}

impl Campaign for Guided {
    fn config(&mut self, mut base: Config) -> Config {
        self.rng = ChaCha8Rng::seed_from_u64(base.seed);
        self.rng.set_stream(CAMPAIGN_STREAM);
        let fresh = self.corpus.is_empty() || self.below(FRESH_ONE_IN) == 0;
        if !fresh {
            base.replay = Some(self.mutate());
            base.fill = Fill::Stream;
        }
        base.record_decisions = true;
        base
    }

    fn wants_coverage(&self) -> bool {
        true
    }

    fn observe(&mut self, outcome: Option<&Outcome>, coverage: Option<&Map>) -> Vec<String> {
        let (Some(outcome), Some(map)) = (outcome, coverage) else {
            return Vec::new();
        };
        if self.seen.merge(map) == 0 {
            return Vec::new();
        }
        let Some(decisions) = &outcome.decisions else {
            return Vec::new();
        };
        let entry: Vec<Decision> = decisions.iter().take(ENTRY_MAX).copied().collect();
        if self.corpus.len() < CORPUS_MAX {
            self.corpus.push(entry);
        } else {
            let i = self.below(CORPUS_MAX as u64) as usize;
            self.corpus[i] = entry;
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// About one mutation in `EXTREME_ONE_IN` moves a window of kernel decisions to one end;
    /// the few single changes of the others move at most 4.
    #[test]
    fn some_mutations_force_a_window_of_kernel_decisions_to_one_end() {
        let what = |i: u64| {
            if i.is_multiple_of(2) {
                Choice::Kernel
            } else {
                Choice::Schedule
            }
        };
        let entry: Vec<Decision> = (0..100)
            .map(|i| Decision {
                what: what(i),
                n: 10,
                value: 5,
            })
            .collect();
        let mut g = Guided::new();
        g.corpus.push(entry);
        let mut forced = 0;
        for seed in 0..300 {
            g.rng = ChaCha8Rng::seed_from_u64(seed);
            let list = g.mutate();
            let moved = list
                .iter()
                .filter(|d| d.what == Choice::Kernel && (d.value == 0 || d.value == 9))
                .count();
            forced += (moved > 4) as u32;
        }
        // 100 expected windows, less the short ones and those a truncation cut away.
        assert!((40..=110).contains(&forced), "{forced} of 300 mutations");
    }
}
