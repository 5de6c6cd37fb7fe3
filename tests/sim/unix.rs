//! Unix-domain sockets on the simulated kernel: the bodies `tests/real` runs on Linux, here
//! on `SimSys` over a few seeds (ready orders, time steps), faults off. Delivery on Unix
//! sockets is immediate, so every seed must give the same answers.

use crate::body_runs::over_seeds;
use crate::unix_body::{self, Names, Sizes};
use simkern::sim::{run, Config, SimSys, Stop};

fn names(tag: &str) -> Names {
    Names {
        dir: b"/sim/unix".to_vec(),
        tag: tag.as_bytes().to_vec(),
    }
}

#[test]
fn unix_stream_sockets_on_the_simulator_behave_as_on_linux() {
    over_seeds(|| unix_body::unix_stream_behaviours(&SimSys, &names("stream"), &Sizes::SIMULATED));
}

#[test]
fn unix_stream_send_buffer_on_the_simulator_is_the_senders_sndbuf() {
    over_seeds(|| unix_body::unix_stream_buffer(&SimSys, &Sizes::SIMULATED));
}

#[test]
fn unix_datagram_sockets_on_the_simulator_behave_as_on_linux() {
    over_seeds(|| unix_body::unix_dgram_behaviours(&SimSys, &names("dgram"), &Sizes::SIMULATED));
}

#[test]
fn unix_sockets_on_the_simulator_wake_edge_triggered_registrations_as_on_linux() {
    over_seeds(|| unix_body::unix_edge_triggered(&SimSys, &names("et")));
}

#[test]
fn a_unix_run_replays_with_the_same_trace_hash() {
    // The same seed twice gives the same trace; Unix sockets add no choice of their own, so
    // seeds differ only by the scheduler's and the clock's draws.
    let body = || {
        unix_body::unix_stream_behaviours(&SimSys, &names("hash"), &Sizes::SIMULATED);
        unix_body::unix_dgram_behaviours(&SimSys, &names("hash"), &Sizes::SIMULATED);
    };
    for seed in [0, 7] {
        let first = run(&Config::new(seed), body);
        let again = run(&Config::new(seed), body);
        assert_eq!(first.stop, Stop::Completed, "seed {seed}: {:?}", first.stop);
        assert_eq!(
            (first.trace_hash, first.steps),
            (again.trace_hash, again.steps),
            "seed {seed}: a rerun diverged"
        );
    }
}
