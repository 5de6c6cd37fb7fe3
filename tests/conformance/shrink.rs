//! Shrinking a failing sequence: the fewest steps, and the smallest lengths, that still fail
//! the same way (same `Who`, same op kind at the failing step).
//!
//! Owns: the search. It cuts everything after the failing step, then removes chunks of steps
//! (halving the chunk size, as Zeller's ddmin does, but greedily keeping every removal that
//! still fails), then halves lengths. Picks resolve against whatever is open when a step runs,
//! so the steps left stay meaningful. Each try reruns the sequence on all backends; the
//! number of tries is bounded (`TRIES_MAX`), since a Linux run takes milliseconds.

use crate::gen::Profile;
use crate::judge::{judge, Problem};
use crate::step::Step;

/// Reruns a shrink may make.
const TRIES_MAX: usize = 600;

/// A smaller sequence that fails like `problem` (`steps` itself if none is found).
pub fn shrink(steps: &[Step], profile: Profile, seed: u64, problem: &Problem) -> Vec<Step> {
    let mut tries = 0;
    let mut fails = |candidate: &[Step]| -> bool {
        if tries >= TRIES_MAX {
            return false;
        }
        tries += 1;
        judge(candidate, profile, seed, false)
            .problem
            .is_some_and(|p| p.who == problem.who && p.kind == problem.kind)
    };
    let mut best: Vec<Step> = steps[..=problem.step.min(steps.len() - 1)].to_vec();
    if !fails(&best) {
        best = steps.to_vec();
    }
    let mut chunk = best.len() / 2;
    while chunk >= 1 {
        let mut start = 0;
        while start < best.len() {
            let end = (start + chunk).min(best.len());
            let mut candidate = best.clone();
            candidate.drain(start..end);
            if !candidate.is_empty() && fails(&candidate) {
                best = candidate;
            } else {
                start += chunk;
            }
        }
        chunk /= 2;
    }
    for i in 0..best.len() {
        while let Some(smaller) = smaller(&best[i]) {
            let mut candidate = best.clone();
            candidate[i] = smaller;
            if fails(&candidate) {
                best = candidate;
            } else {
                break;
            }
        }
    }
    best
}

/// The step with its lengths halved, if any is above 1.
fn smaller(step: &Step) -> Option<Step> {
    let half = |n: usize| (n > 1).then_some(n / 2);
    match step {
        Step::Read { fd, len } => half(*len).map(|len| Step::Read { fd: *fd, len }),
        Step::Write { fd, len, value } => half(*len).map(|len| Step::Write {
            fd: *fd,
            len,
            value: *value,
        }),
        Step::Writev { fd, lens, value } if lens.iter().any(|&n| n > 1) => Some(Step::Writev {
            fd: *fd,
            lens: lens.iter().map(|&n| n.div_ceil(2)).collect(),
            value: *value,
        }),
        _ => None,
    }
}
