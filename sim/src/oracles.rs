//! Feeds the trace to the lifecycle oracles of `simkern-model`, online.
//!
//! Every trace event passes through `observe`: probes become `oracle::Fact`s as they are;
//! the kernel's ground truth comes from the events the simulator records itself — each event
//! an `epoll_wait` returned with the fd that produced it (`What::Ready`), the `epoll_wait`
//! result, and `epoll_create` results (a new loop id). The first violation stops the run as
//! `Stop::Oracle`. `finish` runs the end-of-scenario check (fd leaks) of one process when the
//! root thread returns (the world asks it of every live process), `process_exit` the same
//! check when a process ends on its own; both judge only scenarios that opted in with
//! `Probe::User { name: EXPECT_NO_FDS_AT_END, .. }`.
//!
//! Processes: fd numbers are per process, and the poller names a loop by its epoll fd, so a
//! loop fact of a thread of process P > 1 has its loop id qualified by P (`P << 32 | id`);
//! process 1's ids are the fd numbers as they are, so runs with one process judge as before.
//!
//! Cost: this runs on every event of every run. Events that carry no fact (most syscalls)
//! cost one match and one comparison (the lost-wakeup deadline). A verdict names what the
//! fact it judged names (`Violation::subjects`), computed only when there is a verdict; the
//! loop facts also keep two short lists for the one verdict that has no fact.
//!
//! - `fact`: a probe as a fact, and a fact's loop id qualified by its process.
//! - `subject`: `Subject` and what a judged fact names.

use crate::thread::ThreadId;
use crate::trace::{Call, Event, What};
use simkern_model::oracle::{self, At, Fact};
use simkern_poller::sys::Fd;

pub use simkern_model::oracle::fd_leak::EXPECT_NO_FDS_AT_END;

mod fact;
mod loop_set;
mod subject;
use fact::{is_loop_fact, probe_fact, qualified};
use loop_set::LoopSet;
use subject::subjects_of;
pub use subject::Subject;

/// A violation: the oracle's name, what it saw, and what its verdict names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub oracle: &'static str,
    pub message: String,
    /// The fds, handles, timers, owners, pool objects and loops of the fact the oracle
    /// judged (per-loop ones on the fact's thread), sorted, each once.
    pub subjects: Vec<Subject>,
}

/// The oracles of one run.
#[derive(Default)]
pub struct Oracles {
    set: oracle::Oracles,
    /// Loops with a wakeup requested since they last observed one, and loops asleep: those
    /// in both are what a lost-wakeup verdict, judged by time alone (no fact), names.
    waiting: LoopSet,
    asleep: LoopSet,
}

impl Oracles {
    pub fn new() -> Self {
        Oracles::default()
    }

    /// One trace event of a thread of process 1; a violation if an oracle objects.
    pub fn observe(&mut self, event: &Event) -> Option<Violation> {
        self.observe_parts(event.time_ns, event.thread, 1, &event.what)
    }

    /// `observe` of the event `what` by `thread` of `process` at `time_ns` (the recorder has
    /// no `Event`).
    #[inline]
    pub fn observe_parts(
        &mut self,
        time_ns: u64,
        thread: ThreadId,
        process: u32,
        what: &What,
    ) -> Option<Violation> {
        let at = At::new(time_ns, thread.as_u32());
        let fact = match what {
            What::Probe(p) => probe_fact(p),
            What::Ready {
                data,
                events,
                source,
            } => Some(Fact::EpollReady {
                data: *data,
                events: *events,
                source_fd: source.0,
            }),
            What::Syscall {
                call: Call::EpollWait,
                result,
                ..
            } => Some(Fact::EpollWaitReturned { result: *result }),
            What::Syscall {
                call: Call::EpollCreate,
                result,
                ..
            } if *result >= 0 => Some(Fact::EpollCreated {
                loop_id: *result as u64,
            }),
            What::Syscall { .. } | What::Fault { .. } => None,
        };
        let fact = match process {
            1 => fact,
            p => fact.map(|f| qualified(f, p)),
        };
        if let Some(f) = &fact {
            self.follow_loops(f);
        }
        // Subjects are worked out only for a verdict: naming them walks every loop, and this
        // runs on every recorded event (46% of a 100-client echo's instructions when eager).
        match fact {
            Some(fact) => {
                let v = self.set.observe(at, &fact)?;
                // The fact's own subjects, unless the time-bounded oracle spoke on its turn.
                let judged = v.oracle != oracle::lost_wakeup::NAME || is_loop_fact(&fact);
                let subjects = match judged {
                    true => subjects_of(&fact, thread, process),
                    false => self.lost_loops(),
                };
                Some(Violation {
                    oracle: v.oracle,
                    message: locate(at, v.message),
                    subjects,
                })
            }
            None => {
                let v = self.set.at_time(at)?;
                Some(Violation {
                    oracle: v.oracle,
                    message: locate(at, v.message),
                    subjects: self.lost_loops(),
                })
            }
        }
    }

    /// The scenario ended (the root thread returned) with `open_fds` still open in `process`.
    pub fn finish(&mut self, process: u32, open_fds: &[Fd]) -> Option<Violation> {
        let open_fds: Vec<i32> = open_fds.iter().map(|fd| fd.0).collect();
        self.judge_end(Fact::ScenarioEnd {
            process,
            open_fds: &open_fds,
        })
    }

    /// `process` ended on its own (its last thread returned) with `open_fds` still open.
    pub fn process_exit(&mut self, process: u32, open_fds: &[Fd]) -> Option<Violation> {
        let open_fds: Vec<i32> = open_fds.iter().map(|fd| fd.0).collect();
        self.judge_end(Fact::ProcessExit {
            process,
            open_fds: &open_fds,
        })
    }

    fn judge_end(&mut self, fact: Fact<'_>) -> Option<Violation> {
        self.set.observe(At::new(0, 0), &fact).map(|v| Violation {
            oracle: v.oracle,
            message: v.message,
            subjects: subjects_of(&fact, ThreadId::ROOT, 1),
        })
    }

    /// Keeps `waiting` and `asleep` (see there) from the loop facts.
    fn follow_loops(&mut self, fact: &Fact<'_>) {
        match *fact {
            Fact::WakeRequested { loop_id } => self.waiting.insert(loop_id),
            Fact::WakeObserved { loop_id } => self.waiting.remove(loop_id),
            Fact::LoopSleep { loop_id, .. } => self.asleep.insert(loop_id),
            Fact::LoopWoke { loop_id } => self.asleep.remove(loop_id),
            Fact::EpollCreated { loop_id } => {
                self.waiting.remove(loop_id);
                self.asleep.remove(loop_id);
            }
            _ => {}
        }
    }

    /// The loops a lost-wakeup verdict judged by time names: asleep with work requested,
    /// in id order.
    fn lost_loops(&self) -> Vec<Subject> {
        self.asleep
            .iter()
            .filter(|&l| self.waiting.contains(l))
            .map(Subject::Loop)
            .collect()
    }
}

/// Prefixes where and when: the thread and the virtual time of the fact.
fn locate(at: At, message: String) -> String {
    format!(
        "thread t{} at {:.6} ms: {message}",
        at.thread,
        at.time_ns as f64 / 1e6
    )
}

#[cfg(test)]
mod tests;
