//! Feeds the trace to the lifecycle oracles of `simkern-model`, online.
//!
//! Every trace event passes through `observe`: probes become `oracle::Fact`s as they are;
//! the kernel's ground truth comes from the events the simulator records itself — each event
//! an `epoll_wait` returned with the fd that produced it (`What::Ready`), the `epoll_wait`
//! result, and `epoll_create` results (a new loop id). The first violation stops the run as
//! `Stop::Oracle`. `finish` runs the end-of-scenario check (fd leaks) when the root thread
//! returns; it judges only scenarios that opted in with
//! `Probe::User { name: EXPECT_NO_FDS_AT_END, .. }`.
//!
//! Cost: this runs on every event of every run. Events that carry no fact (most syscalls)
//! cost one match and one comparison (the lost-wakeup deadline).

use crate::thread::ThreadId;
use crate::trace::{Call, Event, What};
use simkern_model::oracle::{self, Action, At, Fact};
use simkern_poller::sys::{ErrnoAction, Fd, Probe};

pub use simkern_model::oracle::fd_leak::EXPECT_NO_FDS_AT_END;

/// A violation: the oracle's name and what it saw.
pub type Violation = (&'static str, String);

/// The oracles of one run.
#[derive(Default)]
pub struct Oracles {
    set: oracle::Oracles,
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

    /// One trace event; a violation if an oracle objects.
    pub fn observe(&mut self, event: &Event) -> Option<Violation> {
        self.observe_parts(event.time_ns, event.thread, &event.what)
    }

    /// `observe` of the event `what` by `thread` at `time_ns` (the recorder has no `Event`).
    #[inline]
    pub fn observe_parts(
        &mut self,
        time_ns: u64,
        thread: ThreadId,
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
                epfd: *result as i32,
            }),
            What::Syscall { .. } | What::Fault { .. } => None,
        };
        let violation = match fact {
            Some(fact) => self.set.observe(at, &fact),
            None => self.set.at_time(at),
        };
        violation.map(|v| (v.oracle, locate(at, v.message)))
    }

    /// The root thread returned with `open_fds` still open.
    pub fn finish(&mut self, open_fds: &[Fd]) -> Option<Violation> {
        let open_fds: Vec<i32> = open_fds.iter().map(|fd| fd.0).collect();
        let fact = Fact::ScenarioEnd {
            open_fds: &open_fds,
        };
        self.set
            .observe(At::new(0, 0), &fact)
            .map(|v| (v.oracle, v.message))
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
        let (oracle, message) = o.observe(&event(6, 1, delivered)).expect("stale delivery");
        assert_eq!(oracle, "stale_delivery");
        assert!(message.starts_with("thread t1 at 0.006000 ms"), "{message}");
    }

    #[test]
    fn fd_leaks_are_judged_only_after_the_scenario_opts_in() {
        let mut quiet = Oracles::new();
        assert_eq!(quiet.finish(&[Fd(3)]), None);
        let mut promised = Oracles::new();
        let promise = What::Probe(Probe::User {
            name: EXPECT_NO_FDS_AT_END,
            a: 0,
            b: 0,
        });
        assert_eq!(promised.observe(&event(1, 0, promise)), None);
        assert_eq!(promised.finish(&[Fd(3)]).map(|v| v.0), Some("fd_leak"));
    }
}
