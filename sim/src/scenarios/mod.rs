//! Built-in scenarios.
//!
//! - `echo`: one server loop and C client loops on the poller, M round trips each, checked end
//!   to end. Its server and client code is the same source the real examples run.

pub mod echo;
