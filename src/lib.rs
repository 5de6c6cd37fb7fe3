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
//! - `sim`: the simulated kernel and the run of one seed, and (re-exported at their old paths
//!   under it) the search's batches, `Check`, seed files, shrinking and explaining.
//! - `scenarios`: the built-in scenarios (the seed bugs, echo, mio's examples, self-tests) and
//!   their registry, `scenarios::builtin_refs()`: code under test, apart from the engine.
//! - `model`: the executable specification and the lifecycle oracles.
//! - `search`: the search over many seeds (`simkern-search`): batches, `Check`, seed files,
//!   shrink, explain, crash-isolated worker processes, the nightly search, merging reports.
//! - `mio`: mio 1.x's API over both kernels; `thread::spawn` for a test's client beside it.
//! - `cli`: the command line over a registry of scenarios (parse, call, print).
//! - `prelude`: `SimSys`, `Sys`, `Runtime`, `Handle`, `TcpListener`, `TcpStream`, `check`,
//!   `Check`, `Scenario`, in one line.

pub mod cli;

pub use simkern_model as model;
pub use simkern_poller as poller;
pub use simkern_scenarios as scenarios;
pub use simkern_search as search;

/// The simulated kernel and the run of one seed (`simkern-sim`), everything of it as it is.
/// The built-in scenarios moved to their own crate (`simkern::scenarios`), and the search
/// over many seeds to its own (`simkern::search`); their old paths here (`sim::scenarios::*`,
/// `sim::scenario::{builtin, builtin_refs, find}`, `sim::batch`, `sim::check`,
/// `sim::seed_file`, `sim::shrink`, `sim::explain`, `sim::Signature`, ...) still resolve so
/// that code written against them keeps building. New code names the crate that holds them.
pub mod sim {
    pub use simkern_sim::*;

    /// The search's modules, at their paths from before they left `simkern-sim`.
    pub use simkern_search::{
        batch, check, chrome_trace, explain, seed_file, shrink, signature, wall, Signature,
    };

    /// Campaigns: the strategies' side (`simkern_sim::campaign`: the trait, chunks) and the
    /// search's `Driver`, together at their path from before the search left `simkern-sim`.
    pub use simkern_search::campaign;

    /// The built-in scenarios, at their path from before they left `simkern-sim`.
    pub use simkern_scenarios as scenarios;

    /// `Scenario` and registries (`simkern_sim::scenario`), plus the built-in registry at its
    /// path from before the built-ins left `simkern-sim`.
    pub mod scenario {
        pub use simkern_scenarios::{builtin, builtin_refs, find};
        pub use simkern_sim::scenario::*;
    }
}

/// mio 1.x's API on both kernels: `use simkern::mio as mio;` and mio code runs on real epoll
/// outside a simulation and on the simulated kernel inside one.
pub use simkern_sim::mio;
/// A thread of the calling thread's kernel (simulated inside a run), for tests of mio code.
pub use simkern_sim::mio::thread;

pub use simkern_search::check::{check, Check};

/// What a test of event-loop code under the simulator needs, in one line.
pub mod prelude {
    pub use simkern_poller::{Handle, Runtime, Sys, TcpListener, TcpStream};
    pub use simkern_search::check::{check, Check};
    pub use simkern_sim::fault::Profile;
    pub use simkern_sim::scenario::{Param, Scenario, Setup};
    pub use simkern_sim::{strategy, Pid, SimSys};
}

#[cfg(test)]
mod tests {
    /// Code written before the built-in scenarios had a crate of their own names them under
    /// `sim`: those paths are the same items as `simkern::scenarios`.
    #[test]
    fn the_builtin_scenarios_old_paths_under_sim_still_resolve() {
        let old: &crate::sim::scenario::Scenario = &crate::sim::scenarios::echo::SCENARIO;
        assert_eq!(old.name, crate::scenarios::echo::SCENARIO.name);
        assert_eq!(
            crate::sim::scenario::builtin_refs().len(),
            crate::scenarios::builtin_refs().len()
        );
        assert_eq!(
            crate::sim::scenario::builtin().len(),
            crate::scenarios::builtin().len()
        );
        assert_eq!(crate::sim::scenario::find("echo").unwrap().name, "echo");
        assert!(crate::sim::scenario::find_in(crate::scenarios::builtin_refs(), "echo").is_ok());
    }

    /// Code written before the search had a crate of its own names its modules under `sim`
    /// (README.md, examples/user-crate and tests/ do): those paths are `simkern::search`'s.
    #[test]
    fn the_search_old_paths_under_sim_still_resolve() {
        use std::any::TypeId;
        assert_eq!(
            TypeId::of::<crate::sim::batch::Batch>(),
            TypeId::of::<crate::search::batch::Batch>()
        );
        assert_eq!(
            TypeId::of::<crate::sim::check::Check>(),
            TypeId::of::<crate::search::check::Check>()
        );
        assert_eq!(
            TypeId::of::<crate::Check>(),
            TypeId::of::<crate::search::check::Check>()
        );
        assert_eq!(
            TypeId::of::<crate::prelude::Check>(),
            TypeId::of::<crate::search::check::Check>()
        );
        assert_eq!(
            TypeId::of::<crate::sim::seed_file::SeedFile>(),
            TypeId::of::<crate::search::seed_file::SeedFile>()
        );
        assert_eq!(
            TypeId::of::<crate::sim::Signature>(),
            TypeId::of::<crate::search::Signature>()
        );
        assert_eq!(
            TypeId::of::<crate::sim::signature::Signature>(),
            TypeId::of::<crate::search::Signature>()
        );
        assert_eq!(
            TypeId::of::<crate::sim::shrink::Options>(),
            TypeId::of::<crate::search::shrink::Options>()
        );
        assert_eq!(
            TypeId::of::<crate::sim::explain::Subject>(),
            TypeId::of::<crate::sim::oracles::Subject>()
        );
        assert_eq!(
            TypeId::of::<crate::sim::wall::Stopwatch>(),
            TypeId::of::<crate::search::wall::Stopwatch>()
        );
        // Both halves of campaigns under the old path: the search's driver, the strategies'
        // chunking.
        assert_eq!(
            TypeId::of::<crate::sim::campaign::Driver>(),
            TypeId::of::<crate::search::campaign::Driver>()
        );
        assert_eq!(
            crate::sim::campaign::GUIDED_CHUNK,
            simkern_sim::campaign::GUIDED_CHUNK
        );
        // Functions resolve too (a path that did not would not compile).
        let export: fn(&crate::sim::Outcome) -> serde_json::Value =
            crate::sim::chrome_trace::chrome_trace;
        let _ = export;
        assert_eq!(
            TypeId::of::<crate::search::nightly::Report>(),
            TypeId::of::<simkern_search::nightly::Report>()
        );
    }
}
