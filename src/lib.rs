//! Simkern: deterministic simulation testing for epoll event-loop code.
//!
//! One dependency for users. Start here: `use simkern::prelude::*;` then, inside `#[test]`,
//! [`check`] over a closure (the code under test runs as the root simulated thread, over 100
//! seeds, in a child process so that a crash is a failing seed), or [`Check`] over a named
//! [`Scenario`](sim::scenario::Scenario) for seed files, strategies, faults and the kernel
//! config. For every subcommand of the `simkern` binary over your own scenarios, give your
//! crate a binary whose `main` is `simkern::cli::main(&[&MY_SCENARIO])`.
//!
//! - `poller`: the event loop under test, generic over `Sys`; the real epoll backend.
//! - `sim`: the simulated kernel and the run of one seed; batches, shrinking, explaining.
//! - `model`: the executable specification and the lifecycle oracles.
//! - `search`: crash-isolated worker processes, the nightly search, merging shard reports.
//! - `mio`: mio 1.x's API over both kernels; `thread::spawn` for a test's client beside it.
//! - `cli`: the command line over a registry of scenarios (parse, call, print).
//! - `prelude`: `SimSys`, `Sys`, `Runtime`, `Handle`, `TcpListener`, `TcpStream`, `check`,
//!   `Check`, `Scenario`, in one line.

pub mod cli;
pub mod search;

pub use simkern_model as model;
pub use simkern_poller as poller;
pub use simkern_sim as sim;

/// mio 1.x's API on both kernels: `use simkern::mio as mio;` and mio code runs on real epoll
/// outside a simulation and on the simulated kernel inside one.
pub use simkern_sim::mio;
/// A thread of the calling thread's kernel (simulated inside a run), for tests of mio code.
pub use simkern_sim::mio::thread;

pub use simkern_sim::check::{check, Check};

/// What a test of event-loop code under the simulator needs, in one line.
pub mod prelude {
    pub use simkern_poller::{Handle, Runtime, Sys, TcpListener, TcpStream};
    pub use simkern_sim::check::{check, Check};
    pub use simkern_sim::fault::Profile;
    pub use simkern_sim::scenario::{Param, Scenario, Setup};
    pub use simkern_sim::{strategy, Pid, SimSys};
}
