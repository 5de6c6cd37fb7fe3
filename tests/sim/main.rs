//! The simulator, end to end: determinism, faults, virtual time, liveness failures, users'
//! own scenarios, and the `simkern` CLI.

mod cli;
mod determinism;
mod faults;
mod liveness;
mod user_scenario;
mod virtual_time;
