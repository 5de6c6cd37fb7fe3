//! Probes as the oracles' facts: the poller's `Probe` translated to `oracle::Fact`, and a
//! fact of a process other than 1 with its loop id qualified by the process.

use super::EXPECT_NO_FDS_AT_END;
use simkern_model::oracle::{Action, Fact};
use simkern_poller::sys::{ErrnoAction, Probe};

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
pub(super) fn probe_fact(p: &Probe) -> Option<Fact<'static>> {
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

/// `fact` of a thread of process `process` (> 1), its loop id qualified by the process.
pub(super) fn qualified(fact: Fact<'static>, process: u32) -> Fact<'static> {
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
pub(super) fn is_loop_fact(f: &Fact<'_>) -> bool {
    matches!(
        f,
        Fact::EpollCreated { .. }
            | Fact::WakeRequested { .. }
            | Fact::WakeObserved { .. }
            | Fact::LoopSleep { .. }
            | Fact::LoopWoke { .. }
    )
}
