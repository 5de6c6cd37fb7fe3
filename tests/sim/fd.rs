//! The fd calls on the simulated kernel: the bodies `tests/real` runs on Linux, here on
//! `SimSys` over a few seeds (ready orders, latencies), faults off.

use crate::body_runs::over_seeds;
use crate::fd_body;
use simkern::sim::SimSys;

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

#[test]
fn writev_on_the_simulator_gathers_as_on_linux() {
    over_seeds(|| fd_body::writev_gathers(&SimSys));
}

#[test]
fn epoll_ctl_without_an_event_on_the_simulator_is_as_on_linux() {
    over_seeds(|| fd_body::epoll_ctl_without_an_event(&SimSys));
}
