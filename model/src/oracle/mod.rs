//! Lifecycle oracles: judges of a stream of facts about one run of event-loop code.
//!
//! The code under test reports what it does (an operator registered, an event handed to it,
//! an object taken from a pool, a timer fired for its owner, a wakeup requested, an errno
//! classified) and the kernel reports what really happened (which fd an `epoll_wait` event came
//! from). Each oracle follows the part of that stream it understands and names the first fact
//! no correct program could have produced. The facts are plain integers (`Fact`), so this
//! module shares no type with the poller or the simulator it judges.
//!
//! Every oracle is a transition table over the state of one object (an operator, a pool slot,
//! a timer owner, a loop): `match (from, to)` with every pair spelled out, no catch-all.
//!
//! - [`fact`]: `Fact`, `At` (virtual time and thread), `Action` (an errno decision).
//! - [`stale_delivery`]: an event handed to a freed operator, or to one whose fd is not the fd
//!   the kernel reported the event for (netpoll's use-after-free).
//! - [`pool`]: an object released twice, released by a non-owner, or lent to two owners (nbio).
//! - [`timer`]: a timer that fires (or is armed) for a destroyed owner (libwebsockets).
//! - [`lost_wakeup`]: a requested wakeup the loop slept through (Go's netpoll break fd).
//! - [`teardown`]: a teardown nested deeper than a bound (Cap'n Proto's promise chain).
//! - [`fd_leak`]: fds still open at the end of a scenario that promised none would be.
//! - [`errno`]: a retryable errno treated as fatal (`EINTR`, `EAGAIN`, `EMFILE` on accept).
//!
//! Keys: operators, owners and timers are numbered per event loop, and a loop lives on one
//! thread (thread-per-core), so those oracles key their state by `(thread, id)`. Two loops on
//! one thread at the same time would share a key space; Simkern's poller never does that.
//! Pools are keyed by their id alone (a pool may be shared between threads); loops by their id
//! (the poller's is its epoll fd number, which a new `epoll_create` result resets).

pub mod errno;
pub mod fact;
pub mod fd_leak;
pub mod lost_wakeup;
pub mod pool;
pub mod stale_delivery;
pub mod teardown;
pub mod timer;

pub use fact::{Action, At, Fact};

/// A verdict: which oracle objected, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub oracle: &'static str,
    pub message: String,
}

/// Every oracle, fed the same stream. `observe` routes each fact to the oracles that read it.
#[derive(Default)]
pub struct Oracles {
    pub stale_delivery: stale_delivery::StaleDelivery,
    pub pool: pool::Pool,
    pub timer: timer::Timer,
    pub lost_wakeup: lost_wakeup::LostWakeup,
    pub teardown: teardown::Teardown,
    pub fd_leak: fd_leak::FdLeak,
    pub errno: errno::ErrnoPolicy,
}

impl Oracles {
    pub fn new() -> Self {
        Oracles::default()
    }

    /// One fact at `at`; the first violation it reveals, if any.
    #[inline]
    pub fn observe(&mut self, at: At, fact: &Fact) -> Option<Violation> {
        use Fact::*;
        let (oracle, verdict) = match fact {
            OperatorCreated { .. }
            | OperatorDeregistered { .. }
            | OperatorFreed { .. }
            | EpollReady { .. }
            | EpollWaitReturned { .. }
            | EventDelivered { .. }
            | EventDroppedStale { .. } => {
                (stale_delivery::NAME, self.stale_delivery.observe(at, fact))
            }
            PoolAcquire { .. } | PoolRelease { .. } | PoolDoubleReleaseRefused { .. } => {
                (pool::NAME, self.pool.observe(at, fact))
            }
            OwnerCreated { .. }
            | OwnerDestroyed { .. }
            | TimerArmed { .. }
            | TimerCancelled { .. }
            | TimerFired { .. } => (timer::NAME, self.timer.observe(at, fact)),
            EpollCreated { .. }
            | WakeRequested { .. }
            | WakeObserved { .. }
            | LoopSleep { .. }
            | LoopWoke { .. } => (lost_wakeup::NAME, self.lost_wakeup.observe(at, fact)),
            TeardownDepth { .. } => (teardown::NAME, self.teardown.observe(at, fact)),
            ExpectNoFdsAtEnd | ScenarioEnd { .. } | ProcessExit { .. } => {
                (fd_leak::NAME, self.fd_leak.observe(at, fact))
            }
            ErrnoHandled { .. } => (errno::NAME, self.errno.observe(at, fact)),
        };
        if let Err(message) = verdict {
            return Some(Violation { oracle, message });
        }
        self.at_time(at)
    }

    /// Virtual time has reached `at` (called for events that carry no fact, too): the
    /// time-bounded oracles check their deadlines. One comparison when nothing is due.
    #[inline(always)]
    pub fn at_time(&mut self, at: At) -> Option<Violation> {
        self.lost_wakeup.at_time(at).err().map(|message| Violation {
            oracle: lost_wakeup::NAME,
            message,
        })
    }
}

/// `12.345678 ms` for messages.
pub(crate) fn ms(ns: u64) -> String {
    format!("{:.6} ms", ns as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_routes_each_fact_to_its_oracle_and_names_it() {
        let mut set = Oracles::new();
        let at = At::new(0, 1);
        assert_eq!(set.observe(at, &Fact::OwnerCreated { owner: 1 }), None);
        assert_eq!(set.observe(at, &Fact::OwnerDestroyed { owner: 1 }), None);
        let v = set
            .observe(at, &Fact::TimerFired { timer: 5, owner: 1 })
            .expect("a timer fired for a destroyed owner");
        assert_eq!(v.oracle, "timer");
        let v = set
            .observe(at, &Fact::TeardownDepth { depth: u32::MAX })
            .expect("too deep");
        assert_eq!(v.oracle, "teardown");
    }
}
