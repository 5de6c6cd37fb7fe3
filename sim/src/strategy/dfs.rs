//! `dfs:B`: systematic enumeration of the schedules with at most `B` preemptions (CHESS:
//! Musuvathi and Qadeer, "Iterative Context Bounding for Systematic Testing of Multithreaded
//! Programs", PLDI 2007), capped per kernel/fault stream.
//!
//! A schedule is the list of picks at the run's scheduling points (picks among two or more
//! runnable threads), written as its *deviations*: the points where the pick is not the
//! default (the running thread, or the lowest runnable one when it cannot run). It goes to
//! `Replay` as switches. Every schedule within the bound is reached exactly once from its
//! parent, the schedule without its last deviation: a run's children deviate at one later
//! point, to any other runnable thread whose preemption still fits the bound. A deviation away
//! from a thread that could go on is a preemption and costs one; one where the running thread
//! parked or finished is free.
//!
//! Order: pending schedules wait in a frontier ordered by (deviations, preemptions, where the
//! last deviation falls), so a tree is explored level by level, as iterative context bounding
//! does (the default schedule, then every single deviation, then pairs), rather than depth
//! first, which spends its first thousands of runs varying the last few points. Within a level
//! deviation points are taken coarse to fine (bit-reversed index: the start, the middle, the
//! quarters, ...), so a capped tree still samples the whole run instead of its first points.
//!
//! Kernel and fault decisions come from one seed's streams for the whole tree (seed
//! `start + t` for the `t`-th tree), so the tree is a function of the picks alone. Most races
//! need a particular latency or fault as well as an interleaving, and a scenario's tree is far
//! larger than any seed budget, so a tree gets at most `TREE_MAX` schedules before the next
//! stream starts. A tree exhausted within the cap is noted ("all N schedules explored"); a cut
//! one is not.
//!
//! Departures from CHESS: no state caching; the cap makes the search per stream incomplete by
//! design. A run whose worker crashed gives no points; its subtree is left unexplored.

use crate::campaign::Campaign;
use crate::coverage::Map;
use crate::runner::{Config, Outcome};
use crate::strategy::{Kind, Switch};
use std::collections::BTreeMap;

/// Schedules run on one kernel/fault stream before moving to the next: a small scenario's
/// whole tree (the 36 schedules of a one-submitter wakeup at one preemption), and far fewer
/// than a seed bug's (tens of thousands at one preemption). Measured on the seed bugs, a
/// stream whose first schedules pass almost never fails later in its tree: their races need
/// another latency or fault more than another interleaving. A cap of 16 halves `dfs`'s
/// median seeds to a seed bug, but cuts such small trees.
pub const TREE_MAX: u64 = 64;

/// A pending schedule's place in the frontier: (deviations, preemptions, bit-reversed point
/// of the last deviation, insertion number); smallest first.
type Key = (u32, u32, u64, u64);

pub struct Dfs {
    bound: u32,
    /// The streams of tree `t` are those of seed `start + t`.
    start: u64,
    tree: u64,
    /// Schedules run in this tree so far.
    runs: u64,
    /// Cap on `runs` per tree.
    tree_max: u64,
    /// Schedules waiting in this tree.
    frontier: BTreeMap<Key, Vec<Switch>>,
    /// Schedules added to the frontier in this tree (the insertion number).
    added: u64,
    /// The schedule of the run in flight and its key.
    current: Option<(Key, Vec<Switch>)>,
    /// A schedule of this tree was left out for the cap.
    cut: bool,
}

impl Dfs {
    pub fn new(bound: u32, start: u64) -> Self {
        Dfs::with_tree_max(bound, start, TREE_MAX)
    }

    /// A search that runs at most `tree_max` schedules per stream.
    pub fn with_tree_max(bound: u32, start: u64, tree_max: u64) -> Self {
        assert!(tree_max > 0, "dfs: a tree needs at least one schedule");
        let mut dfs = Dfs {
            bound,
            start,
            tree: 0,
            runs: 0,
            tree_max,
            frontier: BTreeMap::new(),
            added: 0,
            current: None,
            cut: false,
        };
        dfs.frontier.insert((0, 0, 0, 0), Vec::new());
        dfs.added = 1;
        dfs
    }

    /// Queues the children of the schedule just run (`current`, its recorded `points`).
    fn expand(&mut self, key: Key, switches: &[Switch], points: &[crate::strategy::SchedPoint]) {
        for s in switches {
            let p = points.get(s.point as usize);
            assert!(
                p.is_some_and(|p| p.picked.as_u32() == s.thread),
                "dfs: the run did not follow its schedule at point {} (expected thread {}, got \
                 {p:?}): the scenario is not deterministic under a fixed schedule and stream",
                s.point,
                s.thread
            );
        }
        let (deviations, _, _, _) = key;
        let first = switches.last().map_or(0, |s| s.point as usize + 1);
        // Past the last deviation every pick is the default, so no preemption happens there.
        let preemptions = points.iter().filter(|p| p.is_preemption()).count() as u32;
        let room = self.tree_max - self.runs;
        for (i, p) in points.iter().enumerate().skip(first) {
            let default = p.default_pick();
            let cost = p.runnable.contains(&p.current) as u32;
            if preemptions + cost > self.bound {
                continue;
            }
            for &t in p.runnable.iter().filter(|&&t| t != default) {
                let child: Key = (
                    deviations + 1,
                    preemptions + cost,
                    (i as u64).reverse_bits(),
                    self.added,
                );
                // Only `room` more schedules run in this tree: the rest would never be reached.
                if self.frontier.len() as u64 >= room {
                    self.cut = true;
                    match self.frontier.last_key_value() {
                        Some((last, _)) if *last > child => {
                            self.frontier.pop_last();
                        }
                        _ => continue,
                    }
                }
                let mut s = switches.to_vec();
                s.push(Switch {
                    point: i as u64,
                    thread: t.as_u32(),
                });
                self.frontier.insert(child, s);
                self.added += 1;
            }
        }
    }
}

impl Campaign for Dfs {
    fn config(&mut self, mut base: Config) -> Config {
        let (key, switches) = self
            .frontier
            .pop_first()
            .expect("dfs: a tree always has a schedule waiting");
        base.seed = self.start + self.tree;
        base.strategy = Kind::Dfs { bound: self.bound };
        base.schedule = Some(switches.clone());
        base.record_schedule = true;
        self.current = Some((key, switches));
        base
    }

    fn observe(&mut self, outcome: Option<&Outcome>, _coverage: Option<&Map>) -> Vec<String> {
        self.runs += 1;
        let (key, switches) = self.current.take().expect("dfs: observe follows config");
        if let Some(points) = outcome.and_then(|o| o.sched_points.as_deref()) {
            self.expand(key, &switches, points);
        }
        if !self.frontier.is_empty() && self.runs < self.tree_max {
            return Vec::new();
        }
        let notes = if self.frontier.is_empty() && !self.cut {
            vec![format!(
                "dfs:{}: all {} schedules explored (stream {})",
                self.bound,
                self.runs,
                self.start + self.tree
            )]
        } else {
            Vec::new()
        };
        self.tree += 1;
        self.runs = 0;
        self.frontier.clear();
        self.frontier.insert((0, 0, 0, 0), Vec::new());
        self.added = 1;
        self.cut = false;
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::SchedPoint;
    use crate::thread::ThreadId;

    /// A fake run of `len` points where thread 0 and 1 are always runnable, following
    /// `switches` and otherwise the default.
    fn fake_run(switches: &[Switch], len: usize) -> Vec<SchedPoint> {
        let mut current = ThreadId(0);
        (0..len)
            .map(|i| {
                let picked = switches
                    .iter()
                    .find(|s| s.point == i as u64)
                    .map_or(current, |s| ThreadId(s.thread));
                let p = SchedPoint {
                    step: i as u64,
                    current,
                    runnable: vec![ThreadId(0), ThreadId(1)],
                    picked,
                };
                current = picked;
                p
            })
            .collect()
    }

    /// Drives a tree of `len` points by hand; returns the schedules run and the note.
    fn tree(bound: u32, len: usize, tree_max: u64) -> (Vec<Vec<Switch>>, Vec<String>) {
        let mut dfs = Dfs::with_tree_max(bound, 0, tree_max);
        let mut schedules = Vec::new();
        loop {
            let config = dfs.config(Config::new(0));
            let switches = config.schedule.clone().unwrap();
            let mut run = crate::runner::run(&Config::new(0), || {});
            run.sched_points = Some(fake_run(&switches, len));
            schedules.push(switches);
            let notes = dfs.observe(Some(&run), None);
            if dfs.runs == 0 {
                return (schedules, notes);
            }
            assert!(schedules.len() < 1000, "dfs does not end");
        }
    }

    /// Three points where the running thread could go on among {0, 1}: with bound 1 the
    /// leaves are the default and one preemption at each point (4); with bound 0, the default
    /// alone.
    #[test]
    fn the_bound_limits_preemptions_not_free_choices() {
        for (bound, expected) in [(0, 1), (1, 4), (2, 7), (3, 8)] {
            let (schedules, notes) = tree(bound, 3, 1000);
            assert_eq!(schedules.len(), expected, "bound {bound}");
            assert_eq!(
                notes,
                [format!(
                    "dfs:{bound}: all {expected} schedules explored (stream 0)"
                )]
            );
        }
    }

    #[test]
    fn a_tree_runs_level_by_level_and_spreads_its_deviations_over_the_run() {
        let (schedules, _) = tree(1, 8, 1000);
        let points: Vec<Option<u64>> = schedules
            .iter()
            .map(|s| s.first().map(|s| s.point))
            .collect();
        // The default, then one switch each: the start, the middle, the quarters, ...
        assert_eq!(
            points,
            [
                None,
                Some(0),
                Some(4),
                Some(2),
                Some(6),
                Some(1),
                Some(5),
                Some(3),
                Some(7)
            ]
        );
    }

    #[test]
    fn a_tree_larger_than_the_cap_is_cut_without_a_note() {
        let (schedules, notes) = tree(2, 8, 5);
        assert_eq!(schedules.len(), 5);
        assert!(notes.is_empty(), "{notes:?}");
        let (schedules, notes) = tree(1, 3, 4);
        assert_eq!(schedules.len(), 4, "a tree of exactly the cap is exhausted");
        assert_eq!(notes.len(), 1, "{notes:?}");
    }
}
