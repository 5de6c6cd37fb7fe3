//! The timer probes name each timer by its own id: the timer oracle and `explain` match a
//! `TimerFired` or `TimerCancelled` to its `TimerArmed` by that id. On the real kernel, with
//! the `Traced` log of probes.

use crate::traced::{dump, Entry, Traced};
use simkern::poller::{Probe, Runtime};
use std::collections::BTreeSet;
use std::time::Duration;

#[test]
fn each_armed_timer_has_its_own_id_and_its_end_names_it() {
    let _fds = crate::support::fds_shared();
    let sys = Traced::default();
    let rt = Runtime::new(sys.clone()).expect("a loop");
    let h = rt.handle().clone();
    let owner = h.owner();
    let fired = h.timer(&owner, Duration::from_millis(1), || {});
    let cancelled = h.timer(&owner, Duration::from_secs(3600), || {});
    drop(cancelled);
    let h2 = h.clone();
    rt.block_on(async move { h2.sleep(Duration::from_millis(3)).await })
        .expect("the loop ran");
    assert!(!fired.is_armed(), "the 1 ms timer did not fire");
    let log = sys.log();
    let mut armed = Vec::new();
    let mut ended = Vec::new();
    for e in &log {
        match *e {
            Entry::Probe(Probe::TimerArmed { timer, .. }) => armed.push(timer),
            Entry::Probe(Probe::TimerFired { timer, .. })
            | Entry::Probe(Probe::TimerCancelled { timer, .. }) => ended.push(timer),
            _ => {}
        }
    }
    // Two callback timers and the sleep: three ids, each armed once and ended once.
    let ids: BTreeSet<u64> = armed.iter().copied().collect();
    assert_eq!(
        (armed.len(), ids.len()),
        (3, 3),
        "armed ids:\n{}",
        dump(&log)
    );
    let ends: BTreeSet<u64> = ended.iter().copied().collect();
    assert_eq!(ended.len(), 3, "ends:\n{}", dump(&log));
    assert_eq!(
        ends,
        ids,
        "an end names a timer never armed:\n{}",
        dump(&log)
    );
}
