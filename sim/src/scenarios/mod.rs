//! Built-in scenarios.
//!
//! - `echo`: one server loop and C client loops on the poller, M round trips each, checked end
//!   to end. Its server and client code is the same source the real examples run.
//! - `selftest-crash`: proves crash isolation (panics, aborts, stack overflows on some seeds).

pub mod echo;
pub mod selftest_crash;
