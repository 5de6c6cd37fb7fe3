//! The simulator, end to end: determinism, faults, virtual time, liveness failures, users'
//! own scenarios (and a user's own crate and binary, and tokio on Simkern's mio), `Check` with crash isolation, the
//! `simkern` CLI, the seed bugs with their committed seed files, and the poller's errno probes
//! as the oracles read them.

mod bad_input;
mod body_runs;
mod check;
mod cli;
mod determinism;
mod errno_probe;
mod error_ready;
#[path = "../real/error_ready_body.rs"]
mod error_ready_body;
mod event_buffer;
mod faults;
mod fd;
#[path = "../real/fd_body.rs"]
mod fd_body;
mod interrupts;
mod kernel_config;
mod liveness;
mod nightly;
mod process;
mod seed_file_mutations;
mod seeds;
mod shrink;
mod signals;
mod strategies;
mod teardown;
mod tokio_crate;
mod udp;
#[path = "../real/udp_body.rs"]
mod udp_body;
mod unix;
#[path = "../real/unix_body.rs"]
mod unix_body;
mod user_crate;
mod user_scenario;
mod virtual_time;
mod wait;
#[path = "../real/wait_body.rs"]
mod wait_body;

/// A run's signature in its one-line form (`oracle pool (object, owner)`, `deadlock`).
pub(crate) fn signature(stop: &simkern::sim::Stop) -> String {
    simkern::sim::Signature::of(stop).to_string()
}

/// A report's signature (a JSON object) in its one-line form.
pub(crate) fn sig(v: &serde_json::Value) -> String {
    serde_json::from_value::<simkern::sim::Signature>(v.clone())
        .unwrap_or_else(|e| panic!("{v} is not a signature: {e}"))
        .to_string()
}
