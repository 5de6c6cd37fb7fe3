//! Shrinking: a failing seed file in, the smallest run we can find that fails the same way out.
//!
//! A run is its schedule (the switches `strategy::Replay` follows) plus its kernel and fault
//! decisions; with `Fill::Benign`, everything else takes the default (the running thread goes
//! on, minimum latency, FIFO ready order, whole writes, no fault). So a run shrinks by
//! dropping switches and resetting decisions to benign, as long as it still fails with the
//! same signature within the original's steps.
//!
//! The search is delta debugging (`ddmin`, Zeller and Hildebrandt, "Simplifying and Isolating
//! Failure-Inducing Input", TSE 2002; complements only, see `ddmin`) over those atoms, then
//! halving of the kernel values that remain (a latency of 700 µs may only need to be 1 µs),
//! then normalisation: the minimum is rerun with its schedule and decisions recorded and the
//! lists re-derived, which drops switches that became no-ops and trailing benign decisions.
//! Atoms are not independent (dropping one switch changes which thread runs at the later
//! points, and a decision's place in the list depends on the choices before it), so the result
//! is 1-minimal for the lists ddmin last tried, not for every schedule that fails.
//!
//! Deterministic (no randomness; the same file shrinks to the same file) and bounded by
//! `Options::max_runs`. What it does not do: reorder or move switches, or shrink scenario
//! parameters.

use crate::seed_file::{encode_digests, format_hash, Expected, SeedFile};
use crate::signature::Signature;
use simkern_sim::decision::{Choice, Decision, Fill};
use simkern_sim::runner::{self, Config, Outcome};
use simkern_sim::scenario::{Scenario, Setup};
use simkern_sim::strategy::{self, Switch};
use std::fmt;

mod ddmin;
pub use ddmin::ddmin;

/// Default cap on runs: about a second for a thousand-step seed. Five of the six seed bugs
/// shrink in under 150 runs; the teardown, whose failure needs hundreds of slow round trips
/// together, uses them all.
pub const MAX_RUNS_DEFAULT: u64 = 3000;

/// How hard to try.
#[derive(Clone, Debug)]
pub struct Options {
    /// Stop searching after this many runs (the best so far is kept).
    pub max_runs: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_runs: MAX_RUNS_DEFAULT,
        }
    }
}

/// How big a failing run is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Size {
    pub steps: u64,
    /// The choices left to chance or written down: every drawn choice for a file replayed from
    /// its seed's streams; the switches plus the non-benign listed decisions for a file that
    /// replays a schedule (benign entries only hold the others' places).
    pub decisions: u64,
    /// Scheduling points where a thread that could have gone on lost the processor.
    pub preemptions: u64,
    /// Scheduling points that differ from `Replay`'s default pick.
    pub switches: u64,
    /// Fault decisions that are not the benign one.
    pub faults: u64,
    /// Kernel decisions (latency, ready order, write lengths) that are not the benign one.
    pub kernel: u64,
}

impl Size {
    /// The breakdown of `decisions`, zeros left out: `(5 preemptions, 1 fault, 30 kernel)`.
    pub fn parts(&self) -> String {
        let plural = |n: u64, one: &str, many: &str| {
            (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
        };
        let parts: Vec<String> = [
            plural(self.switches, "switch", "switches"),
            plural(self.preemptions, "preemption", "preemptions"),
            plural(self.faults, "fault", "faults"),
            plural(self.kernel, "kernel", "kernel"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} steps, {} decisions{}",
            self.steps,
            self.decisions,
            self.parts()
        )
    }
}

/// A shrunk seed file, and how much it shrank.
#[derive(Clone, Debug)]
pub struct Shrunk {
    pub file: SeedFile,
    pub before: Size,
    pub after: Size,
    /// Runs spent, the first check and the final one included.
    pub runs: u64,
}

/// What a candidate run replays; benign after it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Candidate {
    switches: Vec<Switch>,
    /// Kernel and fault decisions, in order (benign ones hold their place).
    decisions: Vec<Decision>,
}

/// One unit ddmin may remove: a switch (dropped) or a non-benign decision (reset to benign).
/// Ordered switches first, then decisions, each by index: the order `minimise` lists them in,
/// which ddmin keeps, so a kept list is sorted.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Atom {
    Switch(usize),
    Decision(usize),
}

/// Shrinks `file`, which must fail as its `expected.outcome` says. The error names the
/// problem: the file passes, fails otherwise, or names no scenario of `registry`.
pub fn shrink(file: &SeedFile, registry: &[&Scenario], opts: &Options) -> Result<Shrunk, String> {
    if file.expected.outcome.is_pass() {
        return Err("the seed file expects a pass; only a failing run can be shrunk".into());
    }
    if file.expected.outcome.is_crash() {
        // Shrinking reruns the scenario in this process, which the crash would kill.
        return Err(format!(
            "the seed file expects `{}`; a crash kills the process, and shrinking runs in-process",
            file.expected.outcome
        ));
    }
    let mut config = file.config();
    config.keep_events = false;
    config.keep_digests = false;
    config.record_schedule = true;
    config.record_decisions = true;
    let (scenario, setup) = file.resolve(registry)?;
    let first = runner::run(&config, scenario.root(&setup));
    let got = Signature::of(&first.stop);
    if !file.expects(&got) {
        return Err(format!(
            "the seed file does not fail as it says: expected {}, got {got}",
            file.expected.outcome
        ));
    }
    let listed = file.decisions.as_deref().unwrap_or(&[]);
    let before = measure(file.schedule.as_deref().map(|s| (s, listed)), &first);
    let mut s = Shrinker {
        file,
        scenario,
        setup,
        signature: got,
        budget: first.steps.min(file.step_budget),
        runs: 1,
        max_runs: opts.max_runs.max(2),
    };
    let start = derive(&first);
    if !s.fails(&start) {
        return Err(format!(
            "the run of {} does not fail the same way when replayed from its recorded schedule \
             and decisions (a scenario whose behaviour depends on something outside the seed?)",
            file.scenario
        ));
    }
    let smallest = s.minimise(start);
    let smallest = s.normalise(smallest);

    // The final run: expected outcome, hash and digests of the new file.
    let mut config = s.config(&smallest);
    config.step_budget = file.step_budget;
    config.keep_digests = true;
    config.record_schedule = true;
    config.record_decisions = true;
    let last = runner::run(&config, s.root());
    s.runs += 1;
    assert_eq!(
        Signature::of(&last.stop),
        s.signature,
        "the shrunk run stopped failing under the file's own step budget"
    );
    let mut shrunk = file.clone();
    // Written in this build's format, whatever format the original was read from.
    shrunk.format = crate::seed_file::FORMAT;
    shrunk.schedule = Some(smallest.switches.clone());
    shrunk.decisions = Some(smallest.decisions.clone());
    shrunk.fill = Fill::Benign;
    shrunk.expected = Expected {
        outcome: s.signature.clone(),
        trace_hash: format_hash(last.trace_hash),
        steps: last.steps,
    };
    shrunk.digests = last.digests.as_deref().map(encode_digests);
    let after = measure(Some((&smallest.switches, &smallest.decisions)), &last);
    Ok(Shrunk {
        file: shrunk,
        before,
        after,
        runs: s.runs,
    })
}

/// The size of a run recorded with its schedule and decisions. `listed`: the file's switches
/// and decisions when it replays a schedule (otherwise every drawn choice counts).
fn measure(listed: Option<(&[Switch], &[Decision])>, run: &Outcome) -> Size {
    let points = run.sched_points.as_deref().unwrap_or(&[]);
    let drawn: &[Decision] = run.decisions.as_deref().unwrap_or(&[]);
    let unusual = |what: Choice| {
        drawn
            .iter()
            .filter(|d| d.what == what && !d.is_benign())
            .count()
    };
    Size {
        steps: run.steps,
        decisions: match listed {
            Some((switches, listed)) => {
                (switches.len() + listed.iter().filter(|d| !d.is_benign()).count()) as u64
            }
            None => drawn.len() as u64,
        },
        preemptions: points.iter().filter(|p| p.is_preemption()).count() as u64,
        switches: strategy::switches(points).len() as u64,
        faults: unusual(Choice::Fault) as u64,
        // Step times are the kernel's too (how long work takes).
        kernel: (unusual(Choice::Kernel) + unusual(Choice::Step)) as u64,
    }
}

/// A recorded run as a candidate: its switches, and its kernel (step times included) and fault decisions up to the
/// last non-benign one.
fn derive(run: &Outcome) -> Candidate {
    let points = run.sched_points.as_deref().expect("recorded schedule");
    let mut decisions: Vec<Decision> = run
        .decisions
        .as_deref()
        .expect("recorded decisions")
        .iter()
        .filter(|d| matches!(d.what, Choice::Kernel | Choice::Step | Choice::Fault))
        .copied()
        .collect();
    trim(&mut decisions);
    Candidate {
        switches: strategy::switches(points),
        decisions,
    }
}

/// Drops trailing benign decisions (the fill answers the same).
fn trim(decisions: &mut Vec<Decision>) {
    while decisions.last().is_some_and(|d| d.is_benign()) {
        decisions.pop();
    }
}

struct Shrinker<'a> {
    file: &'a SeedFile,
    scenario: &'a Scenario,
    setup: Setup,
    signature: Signature,
    /// The original's steps: a candidate that runs longer is no smaller, and is cut off.
    budget: u64,
    runs: u64,
    max_runs: u64,
}

impl Shrinker<'_> {
    fn root(&self) -> Box<dyn FnOnce()> {
        self.scenario.root(&self.setup)
    }

    fn config(&self, c: &Candidate) -> Config {
        // The file's run (its kernel above all: an fd limit or time per step changes every
        // choice after it), with the candidate's schedule and decisions.
        let mut config = self.file.config();
        config.keep_digests = false;
        config.keep_events = false;
        config.step_budget = self.budget;
        config.schedule = Some(c.switches.clone());
        config.replay = Some(c.decisions.clone());
        config.fill = Fill::Benign;
        config.keep_tail = false;
        config
    }

    /// True when `c` fails with the original's signature (false once the runs are spent).
    fn fails(&mut self, c: &Candidate) -> bool {
        if self.runs >= self.max_runs {
            return false;
        }
        self.runs += 1;
        Signature::of(&runner::run(&self.config(c), self.root()).stop) == self.signature
    }

    /// ddmin over switches and non-benign decisions, then halving of kernel values.
    fn minimise(&mut self, start: Candidate) -> Candidate {
        let atoms: Vec<Atom> = (0..start.switches.len())
            .map(Atom::Switch)
            .chain(
                start
                    .decisions
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| !d.is_benign())
                    .map(|(i, _)| Atom::Decision(i)),
            )
            .collect();
        let keep = ddmin(atoms, |kept| self.fails(&with_atoms(&start, kept)));
        let mut best = with_atoms(&start, &keep);
        for i in 0..best.decisions.len() {
            while matches!(best.decisions[i].what, Choice::Kernel | Choice::Step)
                && best.decisions[i].value > 0
            {
                let mut next = best.clone();
                next.decisions[i].value /= 2;
                if !self.fails(&next) {
                    break;
                }
                best = next;
            }
        }
        trim(&mut best.decisions);
        best
    }

    /// Reruns `c` recording its schedule and decisions and re-derives the lists, which drops
    /// switches that no longer change the pick. Keeps `c` if the re-derived lists do not fail
    /// (they replay the same run, so that would be a bug worth a look, not worth a panic).
    fn normalise(&mut self, c: Candidate) -> Candidate {
        let mut config = self.config(&c);
        config.record_schedule = true;
        config.record_decisions = true;
        self.runs += 1;
        let again = derive(&runner::run(&config, self.root()));
        if again == c || self.fails(&again) {
            again
        } else {
            c
        }
    }
}

/// `start` with only the `kept` atoms (sorted): other switches dropped, other decisions benign.
fn with_atoms(start: &Candidate, kept: &[Atom]) -> Candidate {
    debug_assert!(
        kept.windows(2).all(|w| w[0] < w[1]),
        "ddmin reordered the atoms"
    );
    let mut c = Candidate {
        switches: Vec::new(),
        decisions: start.decisions.clone(),
    };
    for (i, d) in c.decisions.iter_mut().enumerate() {
        if !d.is_benign() && kept.binary_search(&Atom::Decision(i)).is_err() {
            d.value = Decision::benign(d.what, d.n);
        }
    }
    c.switches = kept
        .iter()
        .filter_map(|a| match a {
            Atom::Switch(i) => Some(start.switches[*i]),
            Atom::Decision(_) => None,
        })
        .collect();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_only_what_they_hold() {
        let s = Size {
            steps: 40,
            decisions: 3,
            preemptions: 1,
            switches: 1,
            faults: 0,
            kernel: 2,
        };
        assert_eq!(
            s.to_string(),
            "40 steps, 3 decisions (1 switch, 1 preemption, 2 kernel)"
        );
        assert_eq!(Size::default().to_string(), "0 steps, 0 decisions");
    }
}
