//! `dfs:B`: depth-first enumeration of every schedule with at most `B` preemptions
//! (iterative context bounding: Musuvathi and Qadeer, "Iterative Context Bounding for
//! Systematic Testing of Multithreaded Programs", PLDI 2007; the CHESS tool).
//!
//! A schedule is the list of picks at the run's scheduling points (picks among two or more
//! runnable threads). Seed `k` of the campaign is the `k`-th leaf of the tree: its schedule
//! goes to `Replay` as switches, and every point after the last switch takes the default (the
//! running thread, or the lowest runnable one when it cannot run). The run records its points;
//! they extend the current path, and the next schedule is found by backtracking to the deepest
//! point with an untried pick within the bound. A pick away from a thread that could go on is
//! a preemption and costs one; a pick where the running thread parked or finished is free.
//!
//! Kernel and fault decisions come from one seed's streams for the whole tree (seed
//! `start + t` for the `t`-th tree), so the tree is a function of the picks alone and each
//! leaf is visited once. When a tree is exhausted, the campaign notes it and starts the next
//! tree on the next stream.
//!
//! Departures from CHESS: no state caching and no iterative deepening over the bound (the
//! search is plain depth-first within `B`), so deep trees are explored from their ends first.
//! A run whose worker crashed gives no points; its subtree is left unexplored.

use crate::campaign::Campaign;
use crate::coverage::Map;
use crate::runner::{Config, Outcome};
use crate::strategy::{Kind, SchedPoint, Switch};
use crate::thread::ThreadId;

/// One scheduling point on the current path.
struct Node {
    point: SchedPoint,
    /// Picks already explored here (the current one included).
    tried: Vec<ThreadId>,
    /// Preemptions on the path before this point.
    preemptions_before: u32,
}

impl Node {
    fn cost(&self, pick: ThreadId) -> u32 {
        let p = &self.point;
        (pick != p.current && p.runnable.contains(&p.current)) as u32
    }
}

pub struct Dfs {
    bound: u32,
    /// The streams of tree `t` are those of seed `start + t`.
    start: u64,
    tree: u64,
    /// Schedules run in this tree so far.
    runs: u64,
    path: Vec<Node>,
}

impl Dfs {
    pub fn new(bound: u32, start: u64) -> Self {
        Dfs {
            bound,
            start,
            tree: 0,
            runs: 0,
            path: Vec::new(),
        }
    }

    /// The switches that make `Replay` follow the current path.
    fn switches(&self) -> Vec<Switch> {
        self.path
            .iter()
            .enumerate()
            .filter(|(_, n)| n.point.picked != n.point.default_pick())
            .map(|(i, n)| Switch {
                point: i as u64,
                thread: n.point.picked.as_u32(),
            })
            .collect()
    }

    /// Adds the run's points past the path (they all took the default).
    fn extend(&mut self, points: &[SchedPoint]) {
        for (i, node) in self.path.iter().enumerate() {
            let p = points.get(i);
            assert!(
                p.is_some_and(|p| p.runnable == node.point.runnable
                    && p.current == node.point.current
                    && p.picked == node.point.picked),
                "dfs: the run diverged from its schedule at point {i} (expected {:?}, got {p:?}): \
                 the scenario is not deterministic under a fixed schedule and stream",
                node.point
            );
        }
        for p in points.iter().skip(self.path.len()) {
            let before = self
                .path
                .last()
                .map_or(0, |n| n.preemptions_before + n.point.is_preemption() as u32);
            self.path.push(Node {
                point: p.clone(),
                tried: vec![p.picked],
                preemptions_before: before,
            });
        }
    }

    /// Moves the path to the next schedule; false when the tree is exhausted.
    fn backtrack(&mut self) -> bool {
        while let Some(node) = self.path.last_mut() {
            let next = node.point.runnable.iter().copied().find(|&t| {
                !node.tried.contains(&t) && node.preemptions_before + node.cost(t) <= self.bound
            });
            if let Some(t) = next {
                node.tried.push(t);
                node.point.picked = t;
                return true;
            }
            self.path.pop();
        }
        false
    }
}

impl Campaign for Dfs {
    fn config(&mut self, mut base: Config) -> Config {
        base.seed = self.start + self.tree;
        base.strategy = Kind::Dfs { bound: self.bound };
        base.schedule = Some(self.switches());
        base.record_schedule = true;
        base
    }

    fn observe(&mut self, outcome: Option<&Outcome>, _coverage: Option<&Map>) -> Vec<String> {
        self.runs += 1;
        if let Some(points) = outcome.and_then(|o| o.sched_points.as_deref()) {
            self.extend(points);
        }
        if self.backtrack() {
            return Vec::new();
        }
        let note = format!(
            "dfs:{}: all {} schedules explored (stream {})",
            self.bound,
            self.runs,
            self.start + self.tree
        );
        self.tree += 1;
        self.runs = 0;
        vec![note]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(current: u32, runnable: &[u32]) -> SchedPoint {
        let runnable: Vec<ThreadId> = runnable.iter().map(|&t| ThreadId(t)).collect();
        let current = ThreadId(current);
        let picked = if runnable.contains(&current) {
            current
        } else {
            runnable[0]
        };
        SchedPoint {
            step: 0,
            current,
            runnable,
            picked,
        }
    }

    /// Three points where thread 0 could go on among {0, 1}: with bound 1 the leaves are the
    /// default and one preemption at each point (4); with bound 0, the default alone.
    #[test]
    fn the_bound_limits_preemptions_not_free_choices() {
        for (bound, expected) in [(0, 1), (1, 4), (2, 7), (3, 8)] {
            let mut dfs = Dfs::new(bound, 0);
            let mut leaves = 0;
            loop {
                let _ = dfs.config(Config::new(0));
                leaves += 1;
                // A fake run: the path so far, then default points up to three.
                let mut points: Vec<SchedPoint> =
                    dfs.path.iter().map(|n| n.point.clone()).collect();
                while points.len() < 3 {
                    let last = points.last().map_or(ThreadId(0), |p| p.picked);
                    points.push(point(last.as_u32(), &[0, 1]));
                }
                let run = crate::runner::run(&Config::new(0), || {});
                let mut run = run;
                run.sched_points = Some(points);
                if !dfs.observe(Some(&run), None).is_empty() {
                    break;
                }
                assert!(leaves < 100, "dfs does not end");
            }
            assert_eq!(leaves, expected, "bound {bound}");
        }
    }

    #[test]
    fn a_pick_where_the_thread_cannot_go_on_is_free() {
        let node = Node {
            point: point(2, &[0, 1]),
            tried: vec![],
            preemptions_before: 0,
        };
        assert_eq!(node.cost(ThreadId(0)), 0);
        assert_eq!(node.cost(ThreadId(1)), 0);
        let node = Node {
            point: point(1, &[0, 1]),
            tried: vec![],
            preemptions_before: 0,
        };
        assert_eq!(node.cost(ThreadId(0)), 1);
        assert_eq!(node.cost(ThreadId(1)), 0);
    }
}
