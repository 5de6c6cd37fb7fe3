//! Simkern: deterministic simulation testing for epoll event-loop code.
//!
//! One dependency for users. Start with `sim::check::Check` inside `#[test]`; for every
//! subcommand of the `simkern` binary over your own scenarios, give your crate a binary whose
//! `main` is `simkern::cli::main(&[&MY_SCENARIO])`.
//!
//! - `poller`: the event loop under test, generic over `Sys`; the real epoll backend.
//! - `sim`: the simulated kernel and the run of one seed; batches, shrinking, explaining.
//! - `model`: the executable specification and the lifecycle oracles.
//! - `search`: crash-isolated worker processes, the nightly search, merging shard reports.
//! - `cli`: the command line over a registry of scenarios (parse, call, print).

pub mod cli;
pub mod search;

pub use simkern_model as model;
pub use simkern_poller as poller;
pub use simkern_sim as sim;
