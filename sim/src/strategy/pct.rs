//! PCT: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
//! "A Randomized Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS 2010).
//!
//! Each thread gets a distinct random priority when it is spawned (all above `depth`); the
//! highest-priority runnable thread always runs. At `depth - 1` change points, drawn uniformly
//! in `1..=k`, the running thread's priority drops to `depth - i`, below every initial one.
//! A bug of depth `d` in a program of `n` threads and `k` steps is found with probability at
//! least `1 / (n k^(d-1))` per run.
//!
//! Departures from the paper: `k` is not known before the run. A fixed guess fails one way or
//! the other: the step budget's millions put every change point after a 30-step run has
//! ended (PCT then degenerates to "highest priority runs to completion"), while a small
//! guess never preempts late in a long run. So each run draws its guess log-uniformly between
//! 16 steps and the hint (the step budget, capped): a run of length `k` gets a guess within a
//! factor of two of it with probability `1 / log2(hint / 16)`, and the guarantee holds for
//! those runs. Threads spawned later draw a priority among the existing ones, which keeps the
//! distribution the paper assumes for a fixed set.

use super::Strategy;
use crate::decision::{Choice, Decisions};
use crate::thread::ThreadId;

pub struct Pct {
    depth: u32,
    steps_hint: u64,
    /// Priority by thread id; higher runs first.
    priority: Vec<u64>,
    /// Steps at which the running thread is demoted, ascending; drawn on first pick.
    change_points: Option<Vec<u64>>,
    next_change: usize,
}

impl Pct {
    pub fn new(depth: u32, steps_hint: u64) -> Self {
        assert!(depth >= 1, "PCT depth is at least 1");
        Pct {
            depth,
            steps_hint: steps_hint.max(1),
            priority: Vec::new(),
            change_points: None,
            next_change: 0,
        }
    }
}

/// The shortest run length PCT plans for.
const K_MIN: u64 = 16;

/// `k` for this run: `K_MIN * 2^e` with `e` uniform, capped at `hint`.
fn run_length_guess(hint: u64, decisions: &mut Decisions) -> u64 {
    let hint = hint.max(K_MIN);
    let doublings = 63 - (hint / K_MIN).leading_zeros() as u64; // floor(log2(hint / K_MIN))
    let e = decisions.choose(Choice::Strategy, doublings + 1);
    (K_MIN << e).min(hint)
}

impl Strategy for Pct {
    fn on_spawn(&mut self, thread: ThreadId, decisions: &mut Decisions) {
        let index = thread.index();
        if self.priority.len() <= index {
            self.priority.resize(index + 1, 0);
        }
        // Initial priorities live above `depth` so every change point demotes below them all;
        // the random low bits make them distinct with overwhelming odds, ties broken by id.
        let base = self.depth as u64 + 1;
        self.priority[index] =
            base + (decisions.choose(Choice::Strategy, 1 << 40) << 8) + (index as u64 & 0xff);
    }

    fn pick(
        &mut self,
        step: u64,
        current: ThreadId,
        runnable: &[ThreadId],
        decisions: &mut Decisions,
    ) -> ThreadId {
        let points = self.change_points.get_or_insert_with(|| {
            let k = run_length_guess(self.steps_hint, decisions);
            let mut points: Vec<u64> = (1..self.depth)
                .map(|_| 1 + decisions.choose(Choice::Strategy, k))
                .collect();
            points.sort_unstable();
            points
        });
        while self.next_change < points.len() && points[self.next_change] <= step {
            // Demote the running thread below every initial priority: depth-1, depth-2, ...
            let demoted = (self.depth - 1 - self.next_change as u32) as u64;
            if let Some(p) = self.priority.get_mut(current.index()) {
                *p = demoted;
            }
            self.next_change += 1;
        }
        *runnable
            .iter()
            .max_by_key(|t| self.priority.get(t.index()).copied().unwrap_or(0))
            .expect("pick with no runnable thread")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_length_guesses_spread_log_uniformly_up_to_the_hint() {
        let mut d = Decisions::new(5);
        let guesses: Vec<u64> = (0..2000)
            .map(|_| run_length_guess(100_000, &mut d))
            .collect();
        assert!(guesses.iter().all(|&k| (K_MIN..=100_000).contains(&k)));
        // 13 doublings from 16 stay under 100,000; each is drawn about 2000/13 times.
        for e in 0..13 {
            let n = guesses.iter().filter(|&&k| k == K_MIN << e).count();
            assert!(n > 80, "guess {} drawn {n} times", K_MIN << e);
        }
        assert_eq!(run_length_guess(3, &mut d), K_MIN);
    }
}
