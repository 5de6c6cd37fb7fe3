//! Simkern: deterministic simulation testing for epoll event-loop code.
//!
//! One dependency for users: re-exports the poller (`poller`), the simulated kernel (`sim`)
//! and the model and oracles (`model`).

pub use simkern_model as model;
pub use simkern_poller as poller;
pub use simkern_sim as sim;
