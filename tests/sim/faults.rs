//! Faults really happen, and the fixed poller survives them.

use simkern::poller::Errno;
use simkern::scenarios;
use simkern::sim::trace::What;
use simkern::sim::{run, Config, Faults};
use std::collections::BTreeSet;

#[test]
fn under_the_default_profile_echo_sees_every_listed_errno_across_100_seeds_and_still_passes() {
    let echo = scenarios::find("echo").unwrap();
    // 10 clients x 10 rounds: each seed makes ~25 fd-creating calls, ~10 connects and hundreds
    // of reads, writes and epoll_waits, each failing at 1/200. The rarest kind (ECONNREFUSED,
    // ~10 connects per seed) is then missed by all 100 seeds with odds (1 - 10/200)^100 < 1%;
    // the seeds are fixed, so the outcome is too.
    let setup = echo
        .setup(None, &[("clients".into(), 10), ("rounds".into(), 10)])
        .unwrap();
    let mut seen = BTreeSet::new();
    for seed in 0..100 {
        let mut config = Config::new(seed);
        config.faults = Faults::Profile(simkern::sim::fault::Profile::Default);
        config.keep_events = true;
        let outcome = run(&config, echo.root(&setup));
        assert!(
            outcome.passed(),
            "seed {seed}: {:?}\n{}",
            outcome.stop,
            outcome.kernel_state
        );
        for e in outcome.all_events.unwrap() {
            match e.what {
                What::Syscall { result, .. }
                    if result < 0 && result != simkern::sim::sys::PARKED =>
                {
                    seen.insert(Errno(-result as i32));
                }
                What::Fault { errno, .. } => {
                    seen.insert(errno);
                }
                _ => {}
            }
        }
    }
    for errno in [
        Errno::EINTR,
        Errno::EAGAIN,
        Errno::ENOMEM,
        Errno::EMFILE,
        Errno::ECONNRESET,
        Errno::ECONNREFUSED,
        Errno::EPIPE,
    ] {
        assert!(
            seen.contains(&errno),
            "{errno} never happened in 100 seeds; seen: {seen:?}"
        );
    }
}
