//! The fd calls on the simulated kernel: the bodies `tests/real` runs on Linux, here on
//! `SimSys` over a few seeds (ready orders, latencies), faults off.

use crate::fd_body;
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
    }
}

#[test]
fn fcntl_flags_on_the_simulator_are_as_on_linux() {
    over_seeds(|| fd_body::fcntl_flags(&SimSys));
}

#[test]
fn dup2_and_dup3_on_the_simulator_are_as_on_linux() {
    over_seeds(|| fd_body::dup2_dup3(&SimSys));
}

#[test]
fn fionread_on_the_simulator_is_as_on_linux() {
    over_seeds(|| fd_body::fionread(&SimSys));
}
