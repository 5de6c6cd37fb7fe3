//! The simulator, end to end: determinism, faults, virtual time, liveness failures, users'
//! own scenarios (and a user's own crate and binary), `Check` with crash isolation, the
//! `simkern` CLI, the seed bugs with their committed seed files, and the poller's errno probes
//! as the oracles read them.

mod bad_input;
mod check;
mod cli;
mod determinism;
mod errno_probe;
mod faults;
mod kernel_config;
mod liveness;
mod nightly;
mod seeds;
mod shrink;
mod signals;
mod strategies;
mod teardown;
mod udp;
#[path = "../real/udp_body.rs"]
mod udp_body;
mod user_crate;
mod user_scenario;
mod virtual_time;
