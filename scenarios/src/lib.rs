//! Simkern's built-in scenarios: code under test, apart from the engine that runs it.
//!
//! They depend on `simkern-sim` (the kernel and the run of one seed) and `simkern-poller`
//! exactly as a user's scenarios do; the engine knows none of them by name. Start at
//! `builtin()` (the registry the `simkern` binary is given) or `find(name)`.
//!
//! - `echo`: one server loop and C client loops on the poller, M round trips each, checked end
//!   to end. Its server and client code is the same source the real examples run.
//! - `selftest-crash`: proves crash isolation (panics, aborts, stack overflows on some seeds).
//! - `selftest-teardown`: proves teardown never aborts (clients panic together holding streams).
//! - The seed bugs, each with a `fixed` variant (the poller's way) and a `buggy` one (the
//!   mistake of its seed document, in Rust):
//!   - `netpoll_cancel_dial`: operator freed without `EPOLL_CTL_DEL`; a late event reaches its
//!     reused slot (`stale_delivery`).
//!   - `capnp_chain_teardown`: a send queue kept as a chain of owned continuations, torn down
//!     recursively on disconnect (`teardown`).
//!   - `nbio_double_close`: a pooled body closed by the handler and by the framework
//!     (`pool`).
//!   - `go_netpoll_wakeup`: a wake-pending flag cleared after the last look at the queue (a
//!     lost wakeup), and `EINTR` from `epoll_wait` treated as fatal (`lost_wakeup`, `errno`).
//!   - `lws_timer_after_destroy`: a connection destroyed with its timer still armed (`timer`).
//! - `mio_examples`: mio's own `tcp_server` and `udp_server` examples, unchanged on
//!   `simkern::mio`, with simulated clients.
//! - `mio_link`: a test client's connection on `simkern::mio`.
//! - `mio_session_takeover`: a mio server (on `simkern::mio`) frees a connection's token while
//!   its batch still holds an event for it; the reused token's new owner is closed on it.
//! - `support`: the pieces they share (a server thread, `EINTR` retries, the fd-leak opt-in).
//! - `tests` (test builds only): the engine's own checks that need real scenarios and the
//!   committed seed files (shrink, coverage, schedule replay, Chrome trace export).

pub mod capnp_chain_teardown;
pub mod echo;
pub mod go_netpoll_wakeup;
pub mod lws_timer_after_destroy;
pub mod mio_examples;
pub mod mio_link;
pub mod mio_session_takeover;
pub mod nbio_double_close;
pub mod netpoll_cancel_dial;
pub mod selftest_crash;
pub mod selftest_teardown;
pub mod support;

#[cfg(test)]
mod tests;

use simkern_sim::scenario::{find_in, Scenario};

/// The built-in scenarios. Names starting `selftest-` test the framework itself (some crash
/// the process on purpose) and are skipped by tests that run every scenario in-process.
pub fn builtin() -> &'static [Scenario] {
    &[
        echo::SCENARIO,
        netpoll_cancel_dial::SCENARIO,
        capnp_chain_teardown::SCENARIO,
        nbio_double_close::SCENARIO,
        go_netpoll_wakeup::SCENARIO,
        lws_timer_after_destroy::SCENARIO,
        mio_session_takeover::SCENARIO,
        mio_examples::TCP_SERVER,
        mio_examples::UDP_SERVER,
        selftest_crash::SCENARIO,
        selftest_teardown::SCENARIO,
    ]
}

/// The built-in scenarios as a registry (what `simkern::cli::main` takes): the same list
/// as `builtin`, by reference.
pub fn builtin_refs() -> &'static [&'static Scenario] {
    // One list (`builtin`); this is a view of it, made once.
    static REFS: std::sync::OnceLock<Vec<&'static Scenario>> = std::sync::OnceLock::new();
    REFS.get_or_init(|| builtin().iter().collect())
}

/// A built-in scenario by name; the error names it and lists the known ones.
pub fn find(name: &str) -> Result<&'static Scenario, String> {
    find_in(builtin_refs(), name)
}
