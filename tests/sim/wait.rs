//! The waiting calls and blocking I/O on the simulated kernel: the bodies `tests/real` runs on
//! Linux, here on `SimSys` over seeds (schedules, latencies), each seed run twice for the same
//! trace hash.

use crate::wait_body;
use simkern::sim::{run, Config, SimSys, Stop};

fn over_seeds(body: fn()) {
    for seed in 0..20 {
        let outcome = run(&Config::new(seed), body);
        assert_eq!(
            outcome.stop,
            Stop::Completed,
            "seed {seed}: {:?}\n{}",
            outcome.stop,
            outcome.kernel_state
        );
        let again = run(&Config::new(seed), body);
        assert_eq!(
            outcome.trace_hash, again.trace_hash,
            "seed {seed} ran twice differently"
        );
    }
}

#[test]
fn poll_on_the_simulator_is_as_on_linux() {
    over_seeds(|| wait_body::poll_reports(&SimSys));
}

#[test]
fn ppoll_on_the_simulator_waits_for_a_writer_as_on_linux() {
    over_seeds(|| wait_body::ppoll_waits_for_a_writer(&SimSys));
}

#[test]
fn epoll_pwait_forms_on_the_simulator_are_as_on_linux() {
    over_seeds(|| wait_body::epoll_pwait_forms(&SimSys));
}

#[test]
fn pipe2_and_eventfd_flags_on_the_simulator_are_as_on_linux() {
    over_seeds(|| wait_body::open_flags(&SimSys));
}

#[test]
fn blocking_pipe_and_eventfd_on_the_simulator_wait_as_on_linux() {
    over_seeds(|| wait_body::blocking_pipe_and_eventfd(&SimSys));
}

#[test]
fn blocking_tcp_on_the_simulator_waits_as_on_linux() {
    over_seeds(|| wait_body::blocking_tcp(&SimSys));
}
