//! `Allowed`: the set of outcomes the model permits for one op, and membership of an
//! observed outcome in it.
//!
//! Owns: the shapes an allowed answer takes (`Expect`): one exact outcome; a byte count in a
//! range (how much a write into a nearly full socket takes); a ready set (what `epoll_wait`
//! may return). An `Allowed` is a union of these, one per way Linux could have gone (what had
//! arrived on the network, which freedom it took).
//!
//! Ready sets are compared as sets: the kernel's order is a freedom. A ready set is allowed
//! when its events match distinct candidates (same `data`, one of the candidate's masks), it
//! has at most `maxevents` events, and, unless it has exactly `maxevents`, it includes every
//! required candidate. So a short `maxevents` may be filled by any candidates: Linux fills it
//! from its ready list in FIFO order and rotates level-triggered entries to the back, which
//! the model does not track (see FREEDOMS.md).

use crate::event::Event;
use crate::op::Outcome;
use std::fmt;

/// How many ways of matching observed events to candidates the model looks at before it
/// stops (only reached when many entries share one `data` value).
const ASSIGNMENTS_MAX: usize = 64;

/// One entry `epoll_wait` may report.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    /// The entry's `data`, as given to ADD or MOD.
    pub data: u64,
    /// The event masks the entry may be reported with (more than one when a bit is uncertain).
    pub masks: Vec<u32>,
    /// Must be reported unless `maxevents` is filled by others.
    pub required: bool,
}

/// One shape of allowed answer.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Expect {
    /// Exactly this outcome.
    Is(Outcome),
    /// `Bytes(n)` for any `n` in `min..=max`.
    Bytes { min: usize, max: usize },
    /// `Events` forming an allowed ready set (see the module docs).
    Ready {
        maxevents: usize,
        candidates: Vec<Candidate>,
    },
}

impl Expect {
    pub fn contains(&self, observed: &Outcome) -> bool {
        match (self, observed) {
            (Expect::Is(outcome), observed) => outcome == observed,
            (Expect::Bytes { min, max }, Outcome::Bytes(n)) => (min..=max).contains(&n),
            (
                Expect::Ready {
                    maxevents,
                    candidates,
                },
                Outcome::Events(events),
            ) => !assignments(events, candidates, *maxevents).is_empty(),
            (Expect::Bytes { .. } | Expect::Ready { .. }, _) => false,
        }
    }

    /// One outcome this shape allows: the exact one, the most bytes, or the fullest ready set
    /// (required candidates first, each with its fullest mask).
    pub fn example(&self) -> Outcome {
        match self {
            Expect::Is(outcome) => outcome.clone(),
            Expect::Bytes { max, .. } => Outcome::Bytes(*max),
            Expect::Ready {
                maxevents,
                candidates,
            } => {
                let required = candidates.iter().filter(|c| c.required);
                let optional = candidates.iter().filter(|c| !c.required);
                let events = required
                    .chain(optional)
                    .take(*maxevents)
                    .map(|c| Event::new(c.data, *c.masks.iter().max().expect("masks")))
                    .collect();
                Outcome::Events(events)
            }
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Is(outcome) => write!(f, "{outcome:?}"),
            Expect::Bytes { min, max } => write!(f, "{min}..={max} bytes"),
            Expect::Ready {
                maxevents,
                candidates,
            } => {
                write!(f, "ready set (maxevents {maxevents}):")?;
                for c in candidates {
                    let masks: Vec<String> =
                        c.masks.iter().map(|&m| crate::event::describe(m)).collect();
                    let need = if c.required { "required" } else { "optional" };
                    write!(f, " [{} {} {}]", c.data, masks.join(" or "), need)?;
                }
                Ok(())
            }
        }
    }
}

/// The outcomes the model allows for one op: a union of `Expect`s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allowed {
    expects: Vec<Expect>,
}

impl Allowed {
    /// Whether `observed` is one of the allowed outcomes.
    pub fn contains(&self, observed: &Outcome) -> bool {
        self.expects.iter().any(|e| e.contains(observed))
    }

    pub fn expects(&self) -> &[Expect] {
        &self.expects
    }

    /// The outcome, when exactly one is allowed.
    pub fn only(&self) -> Option<&Outcome> {
        match self.expects.as_slice() {
            [Expect::Is(outcome)] => Some(outcome),
            _ => None,
        }
    }

    /// One allowed outcome (that of the first shape), if any is allowed.
    pub fn example(&self) -> Option<Outcome> {
        self.expects.first().map(Expect::example)
    }

    pub(crate) fn push(&mut self, expect: Expect) {
        if !self.expects.contains(&expect) {
            self.expects.push(expect);
        }
    }
}

impl From<Vec<Expect>> for Allowed {
    fn from(expects: Vec<Expect>) -> Allowed {
        let mut allowed = Allowed::default();
        for expect in expects {
            allowed.push(expect);
        }
        allowed
    }
}

impl fmt::Display for Allowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expects.as_slice() {
            [] => write!(f, "nothing"),
            [one] => write!(f, "{one}"),
            many => {
                write!(f, "one of:")?;
                for expect in many {
                    write!(f, "\n    - {expect}")?;
                }
                Ok(())
            }
        }
    }
}

/// Every way to match `events` one-to-one with `candidates` (same `data`, an allowed mask)
/// that is an allowed ready set for `maxevents`; each is the candidate index per event.
pub(crate) fn assignments(
    events: &[Event],
    candidates: &[Candidate],
    maxevents: usize,
) -> Vec<Vec<usize>> {
    struct Search<'a> {
        events: &'a [Event],
        candidates: &'a [Candidate],
        full: bool,
        used: Vec<bool>,
        chosen: Vec<usize>,
        found: Vec<Vec<usize>>,
    }

    impl Search<'_> {
        fn run(&mut self, i: usize) {
            if self.found.len() >= ASSIGNMENTS_MAX {
                return;
            }
            let Some(event) = self.events.get(i) else {
                let all_required =
                    (self.candidates.iter().zip(&self.used)).all(|(c, &used)| used || !c.required);
                if self.full || all_required {
                    self.found.push(self.chosen.clone());
                }
                return;
            };
            for j in 0..self.candidates.len() {
                let c = &self.candidates[j];
                if self.used[j] || c.data != event.data || !c.masks.contains(&event.events) {
                    continue;
                }
                self.used[j] = true;
                self.chosen.push(j);
                self.run(i + 1);
                self.chosen.pop();
                self.used[j] = false;
            }
        }
    }

    if events.len() > maxevents {
        return Vec::new();
    }
    let mut search = Search {
        events,
        candidates,
        full: events.len() == maxevents,
        used: vec![false; candidates.len()],
        chosen: Vec::new(),
        found: Vec::new(),
    };
    search.run(0);
    search.found
}
