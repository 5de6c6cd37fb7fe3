//! Simkern: deterministic simulation testing for epoll event-loop code.
//!
//! One dependency for users: re-exports the poller (`poller`), the simulated kernel (`sim`)
//! and the model and oracles (`model`).
//!
//! Start here: `use simkern::prelude::*;` then, inside `#[test]`, [`check`] over a closure
//! (the code under test runs as the root simulated thread, over 100 seeds, each in a child
//! process so that a crash is a failing seed), or [`Check`] over a named
//! [`Scenario`](sim::scenario::Scenario) for seed files, strategies, faults and the kernel
//! config. Drop to `sim::run` for one seed with full control, and to `poller` for the event
//! loop on real epoll.

pub use simkern_model as model;
pub use simkern_poller as poller;
pub use simkern_sim as sim;

pub use simkern_sim::check::{check, Check};

/// What a test of event-loop code under the simulator needs, in one line.
pub mod prelude {
    pub use simkern_poller::{Handle, Runtime, Sys, TcpListener, TcpStream};
    pub use simkern_sim::check::{check, Check};
    pub use simkern_sim::fault::Profile;
    pub use simkern_sim::scenario::{Param, Scenario, Setup};
    pub use simkern_sim::{strategy, SimSys};
}
