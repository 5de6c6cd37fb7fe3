//! `mio`, as Simkern provides it: every path of mio 1.x that `simkern::mio` has, re-exported.
//! What it lacks (multicast, `only_v6`) returns `Unsupported`; see `simkern::mio`'s docs.
pub use simkern_sim::mio::*;
