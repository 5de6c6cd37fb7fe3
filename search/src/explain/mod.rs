//! The race story of a failing run: the oracle's message, then only the steps that matter.
//!
//! A failing trace has hundreds of events; the oracle's verdict names a few things (`fd 2`,
//! `handle 1`, `timer 7`, `owner 101`, `loop 0`: `Stop::Oracle::subjects`, taken from the fact
//! it judged, never parsed from its message; only a panic's message is read for them). The
//! story keeps the events that touch them: the syscalls on those fds (as argument or result), the probes naming those handles, timers,
//! owners, pool objects or loops, the `epoll_wait` reports (`Ready`) of those fds or handles,
//! the `epoll_wait` each kept report came from, and the syscall during which a kept owner, pool
//! object or timer came or went. The failing event (the fact the oracle judged) adds what it
//! names. Names are followed one link: a handle leads to the fds its operator held, a timer to
//! its owner and back, an owner or pool object to the fds of the syscalls that created or
//! destroyed it. When nothing is named (a teardown depth, an errno policy), the fds of the
//! failing step's syscall are the subject. Scheduling points are left out.
//!
//! Shown as: one row per event, identical consecutive rows folded into one (`(xN)`); a
//! ready report joins the result of its `epoll_wait`; a delivery to the operator of the
//! reported fd repeats the report and is left out (a delivery elsewhere, the stale one,
//! stays); a story longer than `ROWS_MAX` keeps its beginning and end.
//!
//! What it does not do: follow data across the network (a write and the peer's read), or tell
//! apart two sockets that reused one fd number.
//!
//! - `subjects`: what a panic's message names, following names one link, what an event touches.
//! - `format`: an event as a row's text (calls, flags, results, times).

mod format;
mod subjects;

use format::ms;
pub use format::{bits, describe, name};
pub use subjects::{fds_of, named};
use subjects::{follow, touched};

use crate::signature::Signature;
use simkern_poller::sys::Probe;
pub use simkern_sim::oracles::Subject;
use simkern_sim::runner::Outcome;
use simkern_sim::trace::{Call, Event, What};
use simkern_sim::Stop;
use std::collections::BTreeSet;
use std::fmt;

/// Rows a story shows at most: one screen. Longer stories keep their first `ROWS_HEAD` rows
/// and the last ones, and say how many they left out.
pub const ROWS_MAX: usize = 36;
const ROWS_HEAD: usize = 12;
/// Subjects named in a story's heading; the rest are counted.
const SUBJECTS_SHOWN: usize = 8;

/// One row of the story.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub step: u64,
    pub thread: String,
    pub time_ns: u64,
    /// The syscall with its arguments, a probe, an injected fault or a ready report.
    pub what: String,
    /// The syscall's result (empty for the others).
    pub result: String,
    /// How many identical consecutive rows this one stands for.
    pub times: u64,
}

/// A failing run told briefly.
#[derive(Clone, Debug)]
pub struct Story {
    /// The failure signature (`oracle stale_delivery (fd, handle)`).
    pub signature: Signature,
    /// The oracle's (or panic's) message, and where it happened.
    pub message: String,
    pub subjects: Vec<Subject>,
    pub rows: Vec<Row>,
    /// Rows left out in the middle of a long story.
    pub omitted: usize,
    /// Events in the whole trace.
    pub events: u64,
}

/// The story of `outcome` as text (see `story`).
pub fn explain(outcome: &Outcome) -> String {
    story(outcome).to_string()
}

/// The story of a run kept with every event (`Config::keep_events`); without them, only the
/// message. A passing run's story is one line.
pub fn story(outcome: &Outcome) -> Story {
    let events = match outcome.passed() {
        true => &[],
        false => outcome.all_events.as_deref().unwrap_or(&[]),
    };
    let names = &outcome.thread_names;
    let pids = &outcome.thread_pids;
    // The oracle judged the last event, on its thread; a panic names its own thread.
    let last = events.last();
    let (message, mut subjects) = match &outcome.stop {
        // The verdict says what it names; its message is for people.
        Stop::Oracle {
            message, subjects, ..
        } => (message.clone(), subjects.iter().copied().collect()),
        // A panic is code under test speaking: its message is all there is to read.
        Stop::Panic {
            thread,
            message,
            location,
        } => (
            format!("{} panicked at {location}", name(names, *thread)),
            named(message, *thread, subjects::pid_of(pids, *thread)),
        ),
        Stop::Deadlock { parked } => (
            format!(
                "every live thread parked with nothing to wake it: {}",
                parked
                    .iter()
                    .map(|(t, s)| format!("{} {s:?}", name(names, *t)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            BTreeSet::new(),
        ),
        Stop::Livelock { steps } => (
            format!("the step budget ran out after {steps} steps"),
            BTreeSet::new(),
        ),
        Stop::TooManyThreads => ("more threads than THREADS_MAX".into(), BTreeSet::new()),
        Stop::Completed => ("the run completed".into(), BTreeSet::new()),
    };
    // The failing event is the fact the oracle judged; its step is the failing step.
    if let Some(l) = last {
        subjects.extend(touched(l, pids));
    }
    let failing_from = last.map_or(0, |l| {
        events.len()
            - events
                .iter()
                .rev()
                .take_while(|e| e.step == l.step && e.thread == l.thread)
                .count()
    });
    if subjects.is_empty() {
        // The violation names nothing: the failing step's syscall is the subject.
        for e in &events[failing_from..] {
            if let What::Syscall { call, args, result } = &e.what {
                let pid = subjects::pid_of(pids, e.thread);
                let fds = fds_of(*call, args, *result).into_iter();
                subjects.extend(fds.map(|fd| Subject::Fd(pid, fd)));
            }
        }
    }
    follow(events, pids, &mut subjects);

    let keep = select(events, pids, &subjects, failing_from);
    let mut rows = rows(names, events, &keep);
    let mut omitted = 0;
    if rows.len() > ROWS_MAX {
        omitted = rows.len() - ROWS_MAX + 1;
        rows.drain(ROWS_HEAD..ROWS_HEAD + omitted);
    }
    Story {
        signature: Signature::of(&outcome.stop),
        message: match last {
            Some(l) => format!(
                "{message}\n  (in {} at step {}, {})",
                name(names, l.thread),
                l.step,
                ms(l.time_ns)
            ),
            None => message,
        },
        subjects: subjects.into_iter().collect(),
        rows,
        omitted,
        events: outcome.events,
    }
}

/// Which events the story keeps: those touching a subject, their context, the failing step
/// (from `failing_from`), and no scheduling points.
fn select(
    events: &[Event],
    pids: &[u32],
    subjects: &BTreeSet<Subject>,
    failing_from: usize,
) -> Vec<bool> {
    let mut keep = vec![false; events.len()];
    for (i, e) in events.iter().enumerate() {
        if touched(e, pids).iter().any(|s| subjects.contains(s)) {
            keep[i] = true;
            if let Some(j) = context(events, i) {
                keep[j] = true;
            }
        }
    }
    keep[failing_from..].iter_mut().for_each(|k| *k = true);
    // Scheduling points are not syscalls; the rows show what the threads did.
    for (k, e) in keep.iter_mut().zip(events) {
        if matches!(
            e.what,
            What::Syscall {
                call: Call::SchedPoint,
                ..
            }
        ) {
            *k = false;
        }
    }
    keep
}

/// The kept events as rows: reports joined to their `epoll_wait`, deliveries that repeat a
/// report left out, identical consecutive rows folded.
fn rows(names: &[String], events: &[Event], keep: &[bool]) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    // Reports join the result of the `epoll_wait` recorded after them.
    let mut reports: Vec<String> = Vec::new();
    for (i, e) in events.iter().enumerate().filter(|(i, _)| keep[*i]) {
        if let What::Ready {
            data,
            events: bits_,
            source,
        } = &e.what
        {
            reports.push(format!("fd {} {} (data {data})", source.0, bits(*bits_)));
            continue;
        }
        if expected_delivery(events, i) {
            continue;
        }
        let mut row = row(names, e);
        if matches!(e.what, What::Syscall { .. }) && !reports.is_empty() {
            row.result = format!("{}: {}", row.result, reports.join("; "));
            reports.clear();
        }
        match rows.last_mut() {
            Some(prev)
                if prev.thread == row.thread
                    && prev.what == row.what
                    && prev.result == row.result =>
            {
                prev.times += 1
            }
            _ => rows.push(row),
        }
    }
    rows
}

impl fmt::Display for Story {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {}", self.signature, self.message)?;
        if self.rows.is_empty() {
            return Ok(());
        }
        let mut subjects: Vec<String> = self
            .subjects
            .iter()
            .take(SUBJECTS_SHOWN)
            .map(|s| s.to_string())
            .collect();
        if self.subjects.len() > SUBJECTS_SHOWN {
            subjects.push(format!("{} more", self.subjects.len() - SUBJECTS_SHOWN));
        }
        let what = if subjects.is_empty() {
            "the failing step".to_string()
        } else {
            format!("the steps that touch {}", subjects.join(", "))
        };
        writeln!(
            f,
            "{what} ({} rows of {} events):",
            self.rows.len(),
            self.events
        )?;
        let width = self.rows.iter().map(|r| r.thread.len()).max().unwrap_or(6);
        writeln!(
            f,
            "  {:>6}  {:<width$}  {:>12}  {:<48} result",
            "step", "thread", "time ms", "what"
        )?;
        for (i, r) in self.rows.iter().enumerate() {
            if i == ROWS_HEAD && self.omitted > 0 {
                writeln!(
                    f,
                    "  {:>6}  ... {} rows left out (`simkern replay FILE --events OUT` has \
                     every event)",
                    "", self.omitted
                )?;
            }
            let times = if r.times > 1 {
                format!("  (x{})", r.times)
            } else {
                String::new()
            };
            writeln!(
                f,
                "  {:>6}  {:<width$}  {:>12}  {:<48} {}{times}",
                r.step,
                r.thread,
                format!("{:.6}", r.time_ns as f64 / 1e6),
                r.what,
                r.result
            )?;
        }
        Ok(())
    }
}

/// The syscall that gives event `i` its meaning, if it is not a syscall itself: for a ready
/// report, the `epoll_wait` that returned it (recorded after its reports); for a probe of an
/// object's life (owners, pool objects, timers), the syscall of the same step before it (the
/// `accept4`, the failed `read`). Operator probes name their fd, so they need none.
pub(super) fn context(events: &[Event], i: usize) -> Option<usize> {
    let e = &events[i];
    let same = |j: &usize| events[*j].step == e.step && events[*j].thread == e.thread;
    let syscall = |j: &usize| match &events[*j].what {
        What::Syscall { call, .. } => *call != Call::SchedPoint,
        _ => false,
    };
    match &e.what {
        What::Ready { .. } => (i + 1..events.len()).take_while(same).find(syscall),
        What::Probe(
            Probe::OwnerCreated { .. }
            | Probe::OwnerDestroyed { .. }
            | Probe::PoolAcquire { .. }
            | Probe::PoolRelease { .. }
            | Probe::PoolDoubleReleaseRefused { .. }
            | Probe::TimerArmed { .. }
            | Probe::TimerCancelled { .. }
            | Probe::TimerFired { .. },
        ) => (0..i).rev().take_while(same).find(syscall),
        _ => None,
    }
}

/// True for an `EventDelivered` probe that says only what the report before it said: the
/// event went to the operator of the fd epoll reported it for. A delivery to another fd (the
/// stale delivery) stays.
fn expected_delivery(events: &[Event], i: usize) -> bool {
    let e = &events[i];
    let What::Probe(Probe::EventDelivered { handle, fd, .. }) = e.what else {
        return false;
    };
    events[..i]
        .iter()
        .rev()
        .take_while(|r| r.step == e.step && r.thread == e.thread)
        .any(|r| {
            matches!(r.what, What::Ready { data, source, .. } if data == handle && source == fd)
        })
}

fn row(names: &[String], e: &Event) -> Row {
    let (what, result) = describe(&e.what);
    Row {
        step: e.step,
        thread: name(names, e.thread),
        time_ns: e.time_ns,
        what,
        result,
        times: 1,
    }
}

#[cfg(test)]
mod tests;
