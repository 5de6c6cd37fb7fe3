//! The simulated kernel and the run of one seed: `SimSys`, simulated threads, strategies,
//! faults, traces, oracles. Nothing here runs a seed twice or knows of batches: the search
//! over many seeds (batches, `Check`, seed files, shrink, explain, workers, nightly) is the
//! `simkern-search` crate, built on this one.
//!
//! - `kernel`: kernel objects with Linux semantics (fd table, files, epoll, sockets, pipes,
//!   eventfd, network fabric), a deterministic state machine driven by `kernel::Choices`.
//! - `mio`: mio 1.x's API over both kernels (real epoll outside a run, simulated inside).
//! - `sys`: `SimSys`, the `Sys` trait on the kernel; each call is a scheduling step.
//! - `world`: one run's state and the scheduler (steps, parking, virtual time, deadlock).
//! - `runner`: `run(config, closure) -> Outcome`.
//! - `thread`: simulated thread ids and states (stackful coroutines).
//! - `process`: simulated processes: each thread's process, `SimSys::spawn_process`,
//!   `exit_process` and `kill`, and what a process's end does (fds closed, leaks judged).
//! - `unwind`: a thread unwinding a panic takes no steps, so teardown never meets one mid-unwind.
//! - `decision`: the seeded decision stream every choice goes through; record and replay.
//! - `strategy`: random walk, PCT, replay of a recorded schedule, dfs, guided.
//! - `fault`: fault plans and the `none`/`default`/`swarm` profiles.
//! - `oracles`: the trace fed to the lifecycle oracles of `simkern-model`.
//! - `trace`: events, the running trace hash, digests for divergence reports.
//! - `scenario`: the `Scenario` type and registries (`find_in`); the built-in scenarios live in
//!   the `simkern-scenarios` crate, and every caller passes the registry it has.
//! - `campaign`: strategies that carry state across seeds (`dfs`, `guided`) and their chunks
//!   (the search's `campaign::Driver` runs them).
//! - `coverage`: features of a run's trace in a hit-count bitmap (for `guided`).
//! - `arbitrary`: proptest strategies for seeds and fault plans.

pub mod arbitrary;
mod bit_set;
mod blocking;
pub mod campaign;
pub mod coverage;
pub mod decision;
pub mod fault;
pub mod kernel;
pub mod mio;
pub mod oracles;
pub mod process;
pub mod runner;
pub mod scenario;
pub mod strategy;
pub mod sys;
pub mod thread;
mod thread_set;
pub mod trace;
pub mod unwind;
mod waiters;
mod world;

pub use kernel::Pid;
pub use runner::{run, Config, Faults, Outcome};
pub use sys::SimSys;
pub use world::Stop;

/// Marks the calling simulated thread as harness: the test's own client or checker, not code
/// under test. Fault plans and profiles (`--faults default|swarm`) leave its calls alone, and
/// threads it spawns from now on inherit the mark, so a client that `unwrap`s its calls
/// does not fail on an injected `ENOMEM` that says nothing about the server. The kernel's own
/// freedoms (ready order, short writes, latency) still apply: they are Linux. Call it first
/// thing in the thread. Panics outside a run.
pub fn harness() {
    world::with_world(|w| {
        let me = w.current.index();
        w.harness[me] = true;
    });
}

/// The running seed, for the built-in self-test scenarios (`selftest-crash` crashes on every
/// fourth seed, so that a batch has crashing and passing seeds in a known pattern). Hidden
/// because a scenario that branches on its seed hides behaviour from the decision stream:
/// shrinking and replay of recorded decisions cannot see it. Panics outside a run.
#[doc(hidden)]
pub fn selftest_seed() -> u64 {
    world::with_world(|w| w.seed)
}

/// The fds open in the calling thread's process (for end-of-scenario leak checks).
/// Panics outside a run.
pub fn open_fds() -> Vec<simkern_poller::Fd> {
    world::with_world(|w| {
        let pid = w.procs.of(w.current);
        w.kernel.open_fds_of(pid)
    })
}

/// The running simulation's fd and epoll tables, for failure messages. Panics outside a run.
pub fn kernel_state() -> String {
    world::with_world(|w| w.kernel.describe())
}
