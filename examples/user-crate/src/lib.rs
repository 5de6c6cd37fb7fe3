//! tally: a counter service on Simkern's poller, and the scenario that tests it.
//!
//! Start with `counter` (the service, generic over `Sys`, so the same code serves real
//! traffic on `LinuxSys`); `scenario` runs it on the simulated kernel; `src/bin/sim.rs` is
//! `simkern::cli::main(&[&tally::scenario::SCENARIO])`, every `simkern` subcommand over it.
//!
//! - `counter`: the server (counter, journal, per-connection handlers) and its client.
//! - `scenario`: `SCENARIO`, clients incrementing concurrently; the lost-update check.

pub mod counter;
pub mod scenario;
