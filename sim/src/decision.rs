//! `Decisions`: the one object every nondeterministic choice of a run goes through.
//!
//! Who runs next, which ready event comes first, how long a segment is in flight, whether a
//! syscall fails: each is a `choose(what, n)` here, drawn from a `rand_chacha` stream seeded by
//! the run's seed. Components draw from separate streams (scheduler, kernel, faults) split
//! deterministically from the seed, so one component consuming more choices does not shift
//! the others' — a change to the fault plan leaves the schedule's draws alone, and code that
//! takes one step more (so one more step time) leaves the network's latencies alone.
//!
//! The decisions can be recorded (the whole replay record, as shuttle records `{seed, steps}`)
//! and replayed: a replayed list is consumed in order, each kind of choice (`Choice`) on its
//! own, and when a kind's entries run out (or a recorded choice no longer fits, because the
//! code changed) the stream takes over. Per kind, so that a run that differs from the
//! recording in one kind's draws (a shrinker's candidate with a switch dropped takes its
//! steps in another order, so its step times fall between the latencies elsewhere) still
//! gets the recorded values of the others; an exact replay is the same either way.
//!
//! The time each step takes is drawn packed (`step_ns`, `packed`): one decision answers
//! several steps.

mod packed;

use packed::Packed;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// What a choice decides. Also selects the stream it is drawn from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Choice {
    /// Which runnable thread runs the next step.
    Schedule,
    /// A strategy's own randomness (PCT priorities and change points).
    Strategy,
    /// A kernel freedom: latency, ready order, how much a write accepts.
    Kernel,
    /// Whether a fault is injected, and which.
    Fault,
    /// How much virtual time steps take (`Decisions::step_ns`: one decision for several).
    Step,
}

impl Choice {
    fn stream(self) -> usize {
        match self {
            Choice::Schedule | Choice::Strategy => 0,
            Choice::Kernel => 1,
            Choice::Fault => 2,
            Choice::Step => 3,
        }
    }
}

/// One recorded decision.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub what: Choice,
    /// The range the value was drawn from (`0..n`).
    pub n: u64,
    pub value: u64,
}

impl Decision {
    /// The value that perturbs the run least: no fault, minimum latency, FIFO ready order,
    /// whole writes, the lowest runnable thread. Shrinking resets decisions to it.
    pub fn benign(what: Choice, n: u64) -> u64 {
        match what {
            // `chance(num, den)` injects when the value is below `num`; the top value never
            // does (a rule of `den/den` always fires, whatever the value). A short write's top
            // value is its longest length.
            Choice::Fault => n - 1,
            Choice::Schedule | Choice::Strategy | Choice::Kernel | Choice::Step => 0,
        }
    }

    /// True when this decision is not the benign one.
    pub fn is_benign(&self) -> bool {
        self.value == Decision::benign(self.what, self.n)
    }
}

/// What a replaying `Decisions` answers once its list is used up.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fill {
    /// The seed's streams, as a fresh run would (a replayed prefix, then exploration).
    #[default]
    Stream,
    /// `Decision::benign` for every further choice (a shrunk run: nothing left to chance).
    Benign,
}

/// ChaCha stream ids from here on belong to fault-plan draws (`Decisions::for_plan`).
const PLAN_STREAM: u64 = 3;
/// The ChaCha stream id of step times, far from the plan streams (added after them).
const STEP_STREAM: u64 = u64::MAX;
/// The number of kinds of `Choice`, each with its own replay cursor.
const KINDS: usize = 5;

/// The decision stream of one run.
pub struct Decisions {
    /// Schedule and strategy, kernel, fault, step time (`Choice::stream`).
    streams: [ChaCha8Rng; 4],
    replay: Vec<Decision>,
    /// Per kind (`Choice as usize`): where its next entry of `replay` may be.
    replay_at: [usize; KINDS],
    fill: Fill,
    recording: Option<Vec<Decision>>,
    /// The digits left of the last `step_ns` draw.
    step: Packed,
}

impl Decisions {
    /// Streams split from `seed`; nothing recorded or replayed.
    pub fn new(seed: u64) -> Self {
        let stream = |k: u64| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(k);
            rng
        };
        Decisions {
            streams: [stream(0), stream(1), stream(2), stream(STEP_STREAM)],
            replay: Vec::new(),
            replay_at: [0; KINDS],
            fill: Fill::Stream,
            recording: None,
            step: Packed::default(),
        }
    }

    /// The stream a fault profile draws a seed's plan from: its own, so a run given the
    /// concrete plan (a seed file) draws every later fault decision exactly as the run that
    /// drew the plan did.
    pub fn for_plan(seed: u64) -> Self {
        // Wrapping: the step-time slot's id, `PLAN_STREAM + STEP_STREAM - 1`, is 1 modulo 2^64,
        // as release builds have always computed it; a plain `+` panicked in every debug build
        // (a user's `cargo test`) at the first run.
        let stream = |k: u64| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(PLAN_STREAM.wrapping_add(k));
            rng
        };
        Decisions {
            streams: [stream(0), stream(1), stream(2), stream(STEP_STREAM - 1)],
            ..Decisions::new(seed)
        }
    }

    /// Records every decision from now on.
    pub fn record(mut self) -> Self {
        self.recording = Some(Vec::new());
        self
    }

    /// Replays `list` first, then falls back to the streams.
    pub fn replaying(self, list: Vec<Decision>) -> Self {
        self.replaying_then(list, Fill::Stream)
    }

    /// Replays `list` first, then answers as `fill` says.
    pub fn replaying_then(mut self, list: Vec<Decision>, fill: Fill) -> Self {
        self.replay = list;
        self.replay_at = [0; KINDS];
        self.fill = fill;
        self
    }

    /// A uniform value in `0..n`.
    #[inline]
    pub fn choose(&mut self, what: Choice, n: u64) -> u64 {
        assert!(n >= 1, "choose({what:?}, 0): an empty range has no value");
        // A choice with one answer is not a decision: it is neither replayed nor recorded,
        // so a recording replays in step. (Most picks are of this kind: one runnable thread.)
        if n == 1 {
            return 0;
        }
        self.decide(what, n)
    }

    /// `choose` among two or more answers.
    fn decide(&mut self, what: Choice, n: u64) -> u64 {
        let value = if let Some(d) = self.next_replayed(what, n) {
            d
        } else if self.fill == Fill::Benign {
            // Past the list, or a recorded choice that no longer fits: nothing to chance.
            Decision::benign(what, n)
        } else {
            uniform(&mut self.streams[what.stream()], n)
        };
        if let Some(rec) = &mut self.recording {
            rec.push(Decision { what, n, value });
        }
        value
    }

    /// The virtual time one step takes, uniform in `0..=step_ns_max` (`step_ns_max >= 1`).
    /// One `Choice::Step` decision in `0..n^k` (`n = step_ns_max + 1`) answers `k` steps,
    /// a digit each (`Packed`): a per-step draw was the most frequent decision of a run and
    /// the dearest part of its step. Its benign value 0 makes those `k` steps take no time.
    #[inline]
    pub fn step_ns(&mut self, step_ns_max: u64) -> u64 {
        if let Some(dt) = self.step.next(step_ns_max + 1) {
            return dt;
        }
        let value = self.decide(Choice::Step, self.step.range());
        self.step.refill(value)
    }

    /// True with probability `num / den` (integer ratios, never floats).
    #[inline]
    pub fn chance(&mut self, what: Choice, num: u32, den: u32) -> bool {
        assert!(
            den > 0 && num <= den,
            "chance {num}/{den} is not a probability"
        );
        if num == 0 {
            return false;
        }
        let hit = self.choose(what, den as u64) < num as u64;
        if !hit && den > 1 {
            // Every value at or above `num` means the same "no"; record the benign one, so a
            // recording lists only the decisions that changed something.
            if let Some(last) = self.recording.as_mut().and_then(|r| r.last_mut()) {
                last.value = Decision::benign(what, den as u64);
            }
        }
        hit
    }

    fn next_replayed(&mut self, what: Choice, n: u64) -> Option<u64> {
        let at = &mut self.replay_at[what as usize];
        let d = loop {
            let d = self.replay.get(*at)?;
            *at += 1;
            if d.what == what {
                break d;
            }
        };
        // A recorded choice that no longer fits (the code changed) is skipped, not forced.
        (d.value < n).then_some(d.value)
    }

    /// The recording, if `record` was asked for.
    pub fn take_recording(&mut self) -> Option<Vec<Decision>> {
        self.recording.take()
    }
}

/// Lemire's nearly-divisionless uniform draw in `0..n` (no modulo bias).
#[inline]
fn uniform(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    loop {
        let x = rng.next_u64();
        let m = (x as u128) * (n as u128);
        let low = m as u64;
        if low >= n || low >= n.wrapping_neg() % n {
            return (m >> 64) as u64;
        }
    }
}

impl crate::kernel::Choices for Decisions {
    #[inline]
    fn choose(&mut self, _what: crate::kernel::Choice, n: u64) -> u64 {
        Decisions::choose(self, Choice::Kernel, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plan's streams are made without overflow (debug builds check it), and the plan's
    /// fault draws are its own stream, not the run's.
    #[test]
    fn plan_streams_are_made_in_any_build_and_differ_from_the_runs() {
        for seed in 0..3 {
            let mut plan = Decisions::for_plan(seed);
            let mut run = Decisions::new(seed);
            let p: Vec<u64> = (0..8)
                .map(|_| plan.choose(Choice::Fault, 1 << 40))
                .collect();
            let r: Vec<u64> = (0..8).map(|_| run.choose(Choice::Fault, 1 << 40)).collect();
            assert_ne!(p, r, "seed {seed}: the plan draws the run's faults");
        }
    }

    #[test]
    fn same_seed_gives_same_choices_and_streams_are_independent() {
        let mut a = Decisions::new(7);
        let mut b = Decisions::new(7);
        // b draws extra fault choices in between; the schedule stream must not shift.
        let xs: Vec<u64> = (0..100).map(|_| a.choose(Choice::Schedule, 10)).collect();
        let ys: Vec<u64> = (0..100)
            .map(|_| {
                b.choose(Choice::Fault, 1000);
                b.choose(Choice::Schedule, 10)
            })
            .collect();
        assert_eq!(xs, ys);
        assert_ne!(
            Decisions::new(8).choose(Choice::Schedule, 1 << 40),
            Decisions::new(7).choose(Choice::Schedule, 1 << 40)
        );
        // Taking more steps (more step times) does not shift the kernel's latencies.
        let mut a = Decisions::new(7);
        let mut b = Decisions::new(7);
        let xs: Vec<u64> = (0..100)
            .map(|_| a.choose(Choice::Kernel, 1 << 20))
            .collect();
        let ys: Vec<u64> = (0..100)
            .map(|i| {
                for _ in 0..i % 20 {
                    b.step_ns(100);
                }
                b.choose(Choice::Kernel, 1 << 20)
            })
            .collect();
        assert_eq!(xs, ys);
    }

    #[test]
    fn a_recording_replays_exactly_then_falls_back_to_the_stream() {
        let mut rec = Decisions::new(3).record();
        let first: Vec<u64> = (0..50).map(|i| rec.choose(Choice::Kernel, 2 + i)).collect();
        let list = rec.take_recording().unwrap();
        let mut rep = Decisions::new(999).replaying(list);
        let again: Vec<u64> = (0..50).map(|i| rep.choose(Choice::Kernel, 2 + i)).collect();
        assert_eq!(first, again);
        // Past the list, values still come (from seed 999's stream) and stay in range.
        assert!(rep.choose(Choice::Kernel, 5) < 5);
    }

    #[test]
    fn step_times_take_one_decision_per_nine_steps_and_replay_exactly() {
        let mut rec = Decisions::new(5).record();
        let times: Vec<u64> = (0..90)
            .map(|i| {
                // Other choices in between must not disturb the packed digits.
                if i % 4 == 0 {
                    rec.choose(Choice::Kernel, 40);
                }
                rec.step_ns(100)
            })
            .collect();
        assert!(times.iter().all(|&t| t <= 100), "{times:?}");
        let list = rec.take_recording().unwrap();
        let packed = list.iter().filter(|d| d.n == 101u64.pow(9)).count();
        assert_eq!(packed, 10, "90 steps of 0..=100 ns in ten draws");
        let mut rep = Decisions::new(77).replaying(list);
        let again: Vec<u64> = (0..90)
            .map(|i| {
                if i % 4 == 0 {
                    rep.choose(Choice::Kernel, 40);
                }
                rep.step_ns(100)
            })
            .collect();
        assert_eq!(times, again);
        // Benign fill: a shrunk run's steps take no time.
        let mut benign = Decisions::new(5).replaying_then(Vec::new(), Fill::Benign);
        assert!((0..20).all(|_| benign.step_ns(100) == 0));
    }

    #[test]
    fn a_replay_gives_each_kind_its_own_entries_in_order_whatever_the_interleaving() {
        let mut rec = Decisions::new(3).record();
        let (mut lat, mut steps) = (Vec::new(), Vec::new());
        for i in 0..40 {
            if i % 3 == 0 {
                lat.push(rec.choose(Choice::Kernel, 1_000));
            }
            steps.push(rec.step_ns(100));
        }
        let list = rec.take_recording().unwrap();
        // Replayed with the latencies asked for in another order relative to the steps (as a
        // candidate with one switch dropped would), each still gets its recorded value.
        let mut rep = Decisions::new(99).replaying_then(list, Fill::Benign);
        let again_steps: Vec<u64> = (0..40).map(|_| rep.step_ns(100)).collect();
        let again_lat: Vec<u64> = (0..lat.len())
            .map(|_| rep.choose(Choice::Kernel, 1_000))
            .collect();
        assert_eq!((again_lat, again_steps), (lat, steps));
        // Past a kind's entries, the fill answers.
        assert_eq!(rep.choose(Choice::Kernel, 1_000), 0);
    }

    #[test]
    fn step_times_cover_their_range() {
        let mut d = Decisions::new(2);
        let mut seen = [0u32; 11];
        for _ in 0..11_000 {
            seen[d.step_ns(10) as usize] += 1;
        }
        // Each bucket expects 1000; below 800 has odds far under 1e-9.
        assert!(seen.iter().all(|&c| c > 800), "{seen:?}");
    }

    #[test]
    fn uniform_covers_the_range() {
        let mut d = Decisions::new(1);
        let mut seen = [0u32; 6];
        for _ in 0..6000 {
            seen[d.choose(Choice::Schedule, 6) as usize] += 1;
        }
        // Each bucket expects 1000; below 800 has odds far under 1e-9.
        assert!(seen.iter().all(|&c| c > 800), "{seen:?}");
    }
}
