//! `Model`: the set of kernel states consistent with everything observed so far.
//!
//! Owns: the belief set (`World`s, deduplicated and capped at `Config::max_worlds`) and the
//! three things a harness does with it: ask what an op may return (`allowed`), report what
//! the implementation returned (`observe`: keep only the states that explain it, each advanced
//! along the branch that did), or let the model pick an answer itself (`step`).
//!
//! Before each op, the model lets the network make any progress that bears on the op
//! (`net::closure`): that is how "delivered yet or not" becomes a set of answers. States that
//! differ only in whether an epoll entry is on its ready list are merged into one where it
//! may be (`Edge::May`): a little more permissive, and the set stays small.
//! Does not model: anything a `World` does not (see each module).

use crate::allowed::{assignments, Allowed, Candidate, Expect};
use crate::config::Config;
use crate::epoll::Key;
use crate::file::{FileId, SockId};
use crate::op::{Fd, Op, Outcome};
use crate::world::World;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Which way the bytes of a `Branch::Count` go.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Io {
    Read,
    /// `recv(MSG_PEEK)`: the bytes stay queued.
    Peek,
    Write,
}

/// One way a state can carry out an op: what it answers, and where each answer leads.
#[derive(Clone, Debug)]
pub(crate) enum Branch {
    /// This outcome, leading to this state.
    Exact(Outcome, World),
    /// `Bytes(n)` for `n` in `min..=max`; the read or write of `n` bytes on `sock` is then
    /// made in `world`.
    Count {
        min: usize,
        max: usize,
        world: World,
        sock: SockId,
        io: Io,
    },
    /// A ready set of `epoll_wait` on `epoll`; `keys[i]` is the entry of `candidates[i]`.
    Wait {
        world: World,
        epoll: FileId,
        maxevents: usize,
        keys: Vec<Key>,
        candidates: Vec<Candidate>,
    },
}

impl Branch {
    fn expect(&self) -> Expect {
        match self {
            Branch::Exact(outcome, _) => Expect::Is(outcome.clone()),
            Branch::Count { min, max, .. } if min == max => Expect::Is(Outcome::Bytes(*min)),
            Branch::Count { min, max, .. } => Expect::Bytes {
                min: *min,
                max: *max,
            },
            Branch::Wait {
                maxevents,
                candidates,
                ..
            } => Expect::Ready {
                maxevents: *maxevents,
                candidates: candidates.clone(),
            },
        }
    }

    /// The states this branch leads to if the implementation answered `observed`.
    fn follow(&self, observed: &Outcome) -> Vec<World> {
        match (self, observed) {
            (Branch::Exact(outcome, world), observed) if outcome == observed => {
                vec![world.clone()]
            }
            (
                Branch::Count {
                    min,
                    max,
                    world,
                    sock,
                    io,
                },
                Outcome::Bytes(n),
            ) if (min..=max).contains(&n) => {
                let mut w = world.clone();
                match io {
                    Io::Read => w.commit_read(*sock, *n),
                    Io::Peek => {}
                    Io::Write => w.commit_write(*sock, *n),
                }
                vec![w]
            }
            (
                Branch::Wait {
                    world,
                    epoll,
                    maxevents,
                    keys,
                    candidates,
                },
                Outcome::Events(events),
            ) => assignments(events, candidates, *maxevents)
                .into_iter()
                .map(|assignment| {
                    let reported: BTreeSet<Key> = assignment.iter().map(|&i| keys[i]).collect();
                    let mut w = world.clone();
                    w.after_wait(*epoll, &reported, events.len() == *maxevents);
                    w
                })
                .collect(),
            (Branch::Exact(..) | Branch::Count { .. } | Branch::Wait { .. }, _) => Vec::new(),
        }
    }
}

/// Why the model did not accept an observation, or cannot judge an op.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disagreement {
    /// The implementation answered something Linux would not have.
    NotAllowed {
        op: Op,
        observed: Outcome,
        allowed: Allowed,
        /// The fd table, epoll lists and sockets of one consistent state, before the op.
        state: String,
    },
    /// The op is outside the model (see `Model::check`); the model cannot judge it.
    Unsupported { op: Op, why: &'static str },
    /// More kernel states are consistent with the observations than `Config::max_worlds`:
    /// too much has been in flight at once. `Settle` more often.
    TooUncertain { op: Op, worlds: usize },
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Disagreement::NotAllowed {
                op,
                observed,
                allowed,
                state,
            } => write!(
                f,
                "{op:?} returned {observed:?}, but Linux allows {allowed}\nstate before:\n{state}"
            ),
            Disagreement::Unsupported { op, why } => {
                write!(f, "{op:?} is outside the model: {why}")
            }
            Disagreement::TooUncertain { op, worlds } => write!(
                f,
                "{op:?}: over {worlds} kernel states fit what was observed \
                 (Config::max_worlds); Settle more often"
            ),
        }
    }
}

impl std::error::Error for Disagreement {}

/// The reference model: feed it every op and the implementation's outcome.
#[derive(Clone, Debug)]
pub struct Model {
    config: Config,
    /// Every kernel state consistent with the observations so far; never empty.
    worlds: Vec<World>,
}

impl Model {
    pub fn new(config: Config) -> Model {
        let world = World::new(config.clone());
        Model {
            config,
            worlds: vec![world],
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// How many kernel states are still consistent with what was observed.
    pub fn worlds(&self) -> usize {
        self.worlds.len()
    }

    /// Whether the model specifies `op` in the current state: in every consistent state.
    /// Fd numbers and the kinds of their files are the same in all of them, but a socket's
    /// state need not be (a second `connect` is outside the model only where the first one
    /// was abandoned), so each is asked.
    pub fn check(&self, op: &Op) -> Result<(), Disagreement> {
        match self.worlds.iter().find_map(|w| w.unsupported(op)) {
            None => Ok(()),
            Some(why) => Err(Disagreement::Unsupported {
                op: op.clone(),
                why,
            }),
        }
    }

    fn too_uncertain(op: &Op, worlds: usize) -> Disagreement {
        Disagreement::TooUncertain {
            op: op.clone(),
            worlds,
        }
    }

    fn branches(&self, op: &Op) -> Result<Vec<Branch>, Disagreement> {
        self.check(op)?;
        let cap = self.config.max_worlds;
        let mut branches = Vec::new();
        for world in &self.worlds {
            if *op == Op::Settle {
                let settled = world.settle(cap).map_err(|n| Model::too_uncertain(op, n))?;
                branches.extend(settled.into_iter().map(|w| Branch::Exact(Outcome::Ok, w)));
                continue;
            }
            let relevant = world.relevant(op);
            let states = world
                .closure(&relevant, world.udp_relevant(op), cap)
                .map_err(|n| Model::too_uncertain(op, n))?;
            for state in states {
                branches.extend(state.branches(op));
            }
        }
        Ok(branches)
    }

    /// What `op` may return now.
    pub fn allowed(&self, op: &Op) -> Result<Allowed, Disagreement> {
        let mut allowed = Allowed::default();
        for branch in self.branches(op)? {
            allowed.push(branch.expect());
        }
        Ok(allowed)
    }

    /// The implementation ran `op` and got `observed`: keep the states that explain it.
    /// On `Err` the model is unchanged.
    pub fn observe(&mut self, op: &Op, observed: &Outcome) -> Result<(), Disagreement> {
        let branches = self.branches(op)?;
        let mut next = BTreeSet::new();
        for branch in &branches {
            next.extend(branch.follow(observed));
        }
        if next.is_empty() {
            let mut allowed = Allowed::default();
            for branch in &branches {
                allowed.push(branch.expect());
            }
            return Err(Disagreement::NotAllowed {
                op: op.clone(),
                observed: observed.clone(),
                allowed,
                state: self.dump(),
            });
        }
        let worlds = merge_ready_lists(next);
        for world in &worlds {
            world.assert_consistent();
            assert!(
                world.abort.is_none() && world.forks.is_empty(),
                "model: a state was kept unsplit (World::split)"
            );
        }
        if worlds.len() > self.config.max_worlds {
            return Err(Model::too_uncertain(op, worlds.len()));
        }
        self.worlds = worlds;
        Ok(())
    }

    /// Runs `op` in the model alone: picks one allowed outcome (`Allowed::example`),
    /// observes it, and returns it. Deterministic; after `Settle` most ops have one answer.
    pub fn step(&mut self, op: &Op) -> Result<Outcome, Disagreement> {
        let outcome = self
            .allowed(op)?
            .example()
            .unwrap_or_else(|| panic!("model: {op:?} has no allowed outcome\n{}", self.dump()));
        self.observe(op, &outcome)?;
        Ok(outcome)
    }

    /// The open fds (identical in every consistent state): what a leak check compares.
    pub fn open_fds(&self) -> Vec<Fd> {
        self.worlds[0].fds.iter().map(|(fd, _)| fd).collect()
    }

    /// The fd table, epoll interest lists and sockets of the first consistent state.
    pub fn dump(&self) -> String {
        format!(
            "{} consistent state(s); the first:\n{}",
            self.worlds.len(),
            self.worlds[0].describe()
        )
    }
}

/// Groups states that differ only in ready-list flags, merging each group into one.
fn merge_ready_lists(worlds: BTreeSet<World>) -> Vec<World> {
    let mut by_shape: BTreeMap<World, World> = BTreeMap::new();
    for world in worlds {
        let mut shape = world.clone();
        shape.clear_pending();
        match by_shape.get_mut(&shape) {
            Some(merged) => merged.merge_pending(&world),
            None => {
                by_shape.insert(shape, world);
            }
        }
    }
    by_shape.into_values().collect()
}
