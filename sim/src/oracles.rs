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

use crate::thread::ThreadId;
use crate::trace::{Call, Event, What};
use simkern_model::oracle::{self, Action, At, Fact};
use simkern_poller::sys::{ErrnoAction, Fd, Probe};
use std::fmt;

pub use simkern_model::oracle::fd_leak::EXPECT_NO_FDS_AT_END;

/// A violation: the oracle's name, what it saw, and what its verdict names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub oracle: &'static str,
    pub message: String,
    /// The fds, handles, timers, owners, pool objects and loops of the fact the oracle
    /// judged (per-loop ones on the fact's thread), sorted, each once.
    pub subjects: Vec<Subject>,
}

/// Something a violation can name. Handles, timers and owners are numbered per event loop,
/// so per thread (as the oracles key them); fds, pool objects and loops are global.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    Fd(i64),
    Handle(ThreadId, u64),
    Timer(ThreadId, u64),
    /// A timer's owner, or a pool object's (the probes share the word).
    Owner(ThreadId, u64),
    Object(u64),
    Loop(u64),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Fd(n) => write!(f, "fd {n}"),
            Subject::Handle(_, n) => write!(f, "handle {n}"),
            Subject::Timer(_, n) => write!(f, "timer {n}"),
            Subject::Owner(_, n) => write!(f, "owner {n}"),
            Subject::Object(n) => write!(f, "object {n}"),
            Subject::Loop(n) => write!(f, "loop {n}"),
        }
    }
}

/// The oracles of one run.
#[derive(Default)]
pub struct Oracles {
    set: oracle::Oracles,
    /// Loops with a wakeup requested since they last observed one, and loops asleep: those
    /// in both are what a lost-wakeup verdict, judged by time alone (no fact), names. A run
    /// has a loop or a few per thread, so plain lists (each id once) beat a tree here, on
    /// every loop iteration's facts.
    waiting: Vec<u64>,
    asleep: Vec<u64>,
}

/// What `fact`, judged on `thread`, names.
fn subjects_of(fact: &Fact<'_>, thread: ThreadId) -> Vec<Subject> {
    use Fact::*;
    let t = thread;
    let mut s = match *fact {
        OperatorCreated { handle, fd }
        | OperatorDeregistered { handle, fd }
        | OperatorFreed { handle, fd }
        | EventDelivered { handle, fd, .. } => {
            vec![Subject::Handle(t, handle), Subject::Fd(fd as i64)]
        }
        EpollReady {
            data, source_fd, ..
        } => {
            vec![Subject::Handle(t, data), Subject::Fd(source_fd as i64)]
        }
        EventDroppedStale { handle } => vec![Subject::Handle(t, handle)],
        PoolAcquire { object, owner, .. }
        | PoolRelease { object, owner, .. }
        | PoolDoubleReleaseRefused { object, owner, .. } => {
            vec![Subject::Object(object), Subject::Owner(t, owner)]
        }
        OwnerCreated { owner } | OwnerDestroyed { owner } => vec![Subject::Owner(t, owner)],
        TimerArmed { timer, owner }
        | TimerCancelled { timer, owner }
        | TimerFired { timer, owner } => {
            vec![Subject::Timer(t, timer), Subject::Owner(t, owner)]
        }
        EpollCreated { loop_id } => vec![Subject::Loop(loop_id)],
        WakeRequested { loop_id }
        | WakeObserved { loop_id }
        | LoopSleep { loop_id, .. }
        | LoopWoke { loop_id } => vec![Subject::Loop(loop_id)],
        ScenarioEnd { open_fds, .. } | ProcessExit { open_fds, .. } => {
            open_fds.iter().map(|&fd| Subject::Fd(fd as i64)).collect()
        }
        // A depth, an errno decision, a promise: the failing step's syscall says more (see
        // `explain`).
        EpollWaitReturned { .. }
        | TeardownDepth { .. }
        | ErrnoHandled { .. }
        | ExpectNoFdsAtEnd => Vec::new(),
    };
    s.sort_unstable();
    s.dedup();
    s
}

fn action(a: ErrnoAction) -> Action {
    match a {
        ErrnoAction::Retry => Action::Retry,
        ErrnoAction::NotReady => Action::NotReady,
        ErrnoAction::Backoff => Action::Backoff,
        ErrnoAction::Surface => Action::Surface,
        ErrnoAction::Fatal => Action::Fatal,
    }
}

/// The fact a probe states, if the oracles read it.
fn probe_fact(p: &Probe) -> Option<Fact<'static>> {
    use Probe::*;
    Some(match *p {
        OperatorCreated { handle, fd } => Fact::OperatorCreated { handle, fd: fd.0 },
        OperatorDeregistered { handle, fd } => Fact::OperatorDeregistered { handle, fd: fd.0 },
        OperatorFreed { handle, fd } => Fact::OperatorFreed { handle, fd: fd.0 },
        EventDelivered { handle, fd, events } => Fact::EventDelivered {
            handle,
            fd: fd.0,
            events,
        },
        EventDroppedStale { handle, .. } => Fact::EventDroppedStale { handle },
        PoolAcquire {
            pool,
            object,
            owner,
        } => Fact::PoolAcquire {
            pool,
            object,
            owner,
        },
        PoolRelease {
            pool,
            object,
            owner,
        } => Fact::PoolRelease {
            pool,
            object,
            owner,
        },
        PoolDoubleReleaseRefused {
            pool,
            object,
            owner,
        } => Fact::PoolDoubleReleaseRefused {
            pool,
            object,
            owner,
        },
        OwnerCreated { owner } => Fact::OwnerCreated { owner },
        OwnerDestroyed { owner } => Fact::OwnerDestroyed { owner },
        TimerArmed { timer, owner, .. } => Fact::TimerArmed { timer, owner },
        TimerCancelled { timer, owner } => Fact::TimerCancelled { timer, owner },
        TimerFired { timer, owner } => Fact::TimerFired { timer, owner },
        WakeRequested { loop_id } => Fact::WakeRequested { loop_id },
        WakeObserved { loop_id } => Fact::WakeObserved { loop_id },
        LoopSleep {
            loop_id,
            timeout_ms,
        } => Fact::LoopSleep {
            loop_id,
            timeout_ms,
        },
        LoopWoke { loop_id } => Fact::LoopWoke { loop_id },
        TeardownDepth { depth } => Fact::TeardownDepth { depth },
        ErrnoHandled {
            call,
            errno,
            action: a,
        } => Fact::ErrnoHandled {
            call,
            errno: errno.0,
            action: action(a),
        },
        User { name, .. } if name == EXPECT_NO_FDS_AT_END => Fact::ExpectNoFdsAtEnd,
        // The write itself is not judged (the request and the observation are), nor are the
        // user's own facts.
        WakerWrite { .. } | User { .. } => return None,
    })
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
                    true => subjects_of(&fact, thread),
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
            subjects: subjects_of(&fact, ThreadId::ROOT),
        })
    }

    /// Keeps `waiting` and `asleep` (see there) from the loop facts.
    fn follow_loops(&mut self, fact: &Fact<'_>) {
        fn add(set: &mut Vec<u64>, id: u64) {
            if !set.contains(&id) {
                set.push(id);
            }
        }
        fn remove(set: &mut Vec<u64>, id: u64) {
            set.retain(|&x| x != id);
        }
        match *fact {
            Fact::WakeRequested { loop_id } => add(&mut self.waiting, loop_id),
            Fact::WakeObserved { loop_id } => remove(&mut self.waiting, loop_id),
            Fact::LoopSleep { loop_id, .. } => add(&mut self.asleep, loop_id),
            Fact::LoopWoke { loop_id } => remove(&mut self.asleep, loop_id),
            Fact::EpollCreated { loop_id } => {
                remove(&mut self.waiting, loop_id);
                remove(&mut self.asleep, loop_id);
            }
            _ => {}
        }
    }

    /// The loops a lost-wakeup verdict judged by time names: asleep with work requested,
    /// in id order.
    fn lost_loops(&self) -> Vec<Subject> {
        let mut lost: Vec<Subject> = self
            .asleep
            .iter()
            .filter(|l| self.waiting.contains(l))
            .map(|&l| Subject::Loop(l))
            .collect();
        lost.sort_unstable();
        lost
    }
}

/// `fact` of a thread of process `process` (> 1), its loop id qualified by the process.
fn qualified(fact: Fact<'static>, process: u32) -> Fact<'static> {
    let q = |id: u64| (process as u64) << 32 | id;
    match fact {
        Fact::EpollCreated { loop_id } => Fact::EpollCreated {
            loop_id: q(loop_id),
        },
        Fact::WakeRequested { loop_id } => Fact::WakeRequested {
            loop_id: q(loop_id),
        },
        Fact::WakeObserved { loop_id } => Fact::WakeObserved {
            loop_id: q(loop_id),
        },
        Fact::LoopSleep {
            loop_id,
            timeout_ms,
        } => Fact::LoopSleep {
            loop_id: q(loop_id),
            timeout_ms,
        },
        Fact::LoopWoke { loop_id } => Fact::LoopWoke {
            loop_id: q(loop_id),
        },
        other => other,
    }
}

/// A fact the lost-wakeup oracle reads (its verdict on one names the fact's loop).
fn is_loop_fact(f: &Fact<'_>) -> bool {
    matches!(
        f,
        Fact::EpollCreated { .. }
            | Fact::WakeRequested { .. }
            | Fact::WakeObserved { .. }
            | Fact::LoopSleep { .. }
            | Fact::LoopWoke { .. }
    )
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
mod tests {
    use super::*;

    fn event(step: u64, thread: u32, what: What) -> Event {
        Event {
            step,
            thread: ThreadId(thread),
            time_ns: step * 1000,
            what,
        }
    }

    #[test]
    fn a_late_event_reaching_a_reused_slot_is_judged_from_the_trace() {
        let mut o = Oracles::new();
        let probes = [
            Probe::OperatorCreated {
                handle: 0,
                fd: Fd(5),
            },
            Probe::OperatorFreed {
                handle: 0,
                fd: Fd(5),
            },
            Probe::OperatorCreated {
                handle: 0,
                fd: Fd(6),
            },
        ];
        for (i, p) in probes.into_iter().enumerate() {
            assert_eq!(o.observe(&event(i as u64, 1, What::Probe(p))), None);
        }
        let ready = What::Ready {
            data: 0,
            events: 4,
            source: Fd(5),
        };
        assert_eq!(o.observe(&event(4, 1, ready)), None);
        let wait = What::Syscall {
            call: Call::EpollWait,
            args: [3, 64, -1],
            result: 1,
        };
        assert_eq!(o.observe(&event(5, 1, wait)), None);
        let delivered = What::Probe(Probe::EventDelivered {
            handle: 0,
            fd: Fd(6),
            events: 4,
        });
        let v = o.observe(&event(6, 1, delivered)).expect("stale delivery");
        assert_eq!(v.oracle, "stale_delivery");
        assert!(
            v.message.starts_with("thread t1 at 0.006000 ms"),
            "{}",
            v.message
        );
        // The verdict names the fact's handle and fd, not words parsed from its message.
        assert_eq!(
            v.subjects,
            vec![Subject::Fd(6), Subject::Handle(ThreadId(1), 0)]
        );
    }

    #[test]
    fn a_wakeup_lost_by_time_alone_names_the_sleeping_loop() {
        let mut o = Oracles::new();
        let at = |ns: u64, thread: u32, what: What| Event {
            step: 0,
            thread: ThreadId(thread),
            time_ns: ns,
            what,
        };
        let sleep = What::Probe(Probe::LoopSleep {
            loop_id: 3,
            timeout_ms: -1,
        });
        let other = What::Probe(Probe::LoopSleep {
            loop_id: 9,
            timeout_ms: -1,
        });
        let wake = What::Probe(Probe::WakeRequested { loop_id: 3 });
        assert_eq!(o.observe(&at(0, 1, sleep)), None);
        assert_eq!(o.observe(&at(0, 3, other)), None);
        assert_eq!(o.observe(&at(1_000, 2, wake)), None);
        // Long past the bound, on an event that is no fact at all.
        let later = What::Syscall {
            call: Call::Close,
            args: [4, 0, 0],
            result: 0,
        };
        let v = o
            .observe(&at(10_000_000_000, 2, later))
            .expect("a lost wakeup");
        assert_eq!(v.oracle, "lost_wakeup");
        assert_eq!(v.subjects, vec![Subject::Loop(3)]);
    }

    #[test]
    fn fd_leaks_are_judged_only_after_the_scenario_opts_in() {
        let mut quiet = Oracles::new();
        assert_eq!(quiet.finish(1, &[Fd(3)]), None);
        let mut promised = Oracles::new();
        let promise = What::Probe(Probe::User {
            name: EXPECT_NO_FDS_AT_END,
            a: 0,
            b: 0,
        });
        assert_eq!(promised.observe(&event(1, 0, promise)), None);
        let leak = promised.finish(1, &[Fd(3)]).expect("fd 3 leaked");
        assert_eq!(
            (leak.oracle, leak.subjects),
            ("fd_leak", vec![Subject::Fd(3)])
        );
    }
}
