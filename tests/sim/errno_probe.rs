//! The poller's errno probes, as the simulator reads them: each `ErrnoHandled` names the
//! syscall the trace names, and the errno oracle judges the decisions under those names.
//!
//! The oracle has two call-specific rules (`accept4` with `EMFILE`/`ENFILE` must back off, and
//! `connect` with `EINPROGRESS` must wait); they key on the call's name, so a probe that named
//! `accept4` or `connect` anything else would silently turn its rule off (the oracle accepts
//! every decision for calls it does not know). These tests hold the poller's names and the
//! oracle's rules together.

use simkern::poller::errno_policy::{classify, Call};
use simkern::poller::sys::ErrnoAction;
use simkern::poller::{Errno, Probe};
use simkern::sim::oracles::Oracles;
use simkern::sim::thread::ThreadId;
use simkern::sim::trace::{self, What};

/// Every call the poller classifies errnos for, with the syscall the simulator traces for it.
const CALLS: [(Call, trace::Call); 7] = [
    (Call::EpollWait, trace::Call::EpollWait),
    (Call::Accept, trace::Call::Accept4),
    (Call::Connect, trace::Call::Connect),
    (Call::RegisterAccepted, trace::Call::EpollCtl),
    (Call::Read, trace::Call::Read),
    (Call::Write, trace::Call::Write),
    (Call::Other("epoll_ctl"), trace::Call::EpollCtl),
];

/// What the oracle says of one `ErrnoHandled` probe, on a fresh set of oracles.
fn judge(call: Call, errno: Errno, action: ErrnoAction) -> Option<(&'static str, String)> {
    let probe = Probe::ErrnoHandled {
        call: call.name(),
        errno,
        action,
    };
    Oracles::new()
        .observe_parts(0, ThreadId::ROOT, 1, &What::Probe(probe))
        .map(|v| (v.oracle, v.message))
}

#[test]
fn each_errno_probe_names_the_syscall_the_trace_names() {
    for (call, traced) in CALLS {
        assert_eq!(
            trace::Call::from_name(call.name()),
            Some(traced),
            "{call:?} is reported as {:?}, which is not the name of the syscall it classifies",
            call.name()
        );
    }
}

#[test]
fn the_errno_oracle_catches_accept4_emfile_surfaced_or_retried_under_the_pollers_name() {
    for errno in [Errno::EMFILE, Errno::ENFILE] {
        for wrong in [ErrnoAction::Surface, ErrnoAction::Fatal, ErrnoAction::Retry] {
            let violation = judge(Call::Accept, errno, wrong);
            assert!(
                violation
                    .as_ref()
                    .is_some_and(|(oracle, _)| *oracle == "errno"),
                "accept4 {errno:?} decided {wrong:?} passed the errno oracle ({violation:?}): \
                 the probe's call name {:?} is not the one the oracle judges",
                Call::Accept.name()
            );
        }
    }
}

#[test]
fn the_errno_oracle_catches_a_connect_in_progress_given_up_under_the_pollers_name() {
    for wrong in [ErrnoAction::Surface, ErrnoAction::Fatal] {
        let violation = judge(Call::Connect, Errno::EINPROGRESS, wrong);
        assert!(
            violation
                .as_ref()
                .is_some_and(|(oracle, _)| *oracle == "errno"),
            "connect EINPROGRESS decided {wrong:?} passed the errno oracle ({violation:?}) \
             under the probe's call name {:?}",
            Call::Connect.name()
        );
    }
}

#[test]
fn every_decision_of_the_pollers_errno_policy_passes_the_errno_oracle() {
    for (call, _) in CALLS {
        for &errno in Errno::ALL {
            let action = classify(call, errno);
            let violation = judge(call, errno, action);
            assert!(
                violation.is_none(),
                "the poller's policy ({call:?}, {errno:?}) -> {action:?} fails the oracle: \
                 {violation:?}"
            );
        }
    }
}
