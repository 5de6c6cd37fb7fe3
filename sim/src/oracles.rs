//! Feeds the trace to the lifecycle oracles of `simkern-model`, online.
//!
//! Every trace event passes through `observe`; the first violation stops the run as
//! `Stop::Oracle`. `finish` runs the end-of-scenario checks (fd leaks) when the root thread
//! returns. (Stub: the oracles themselves are being written; see `simkern_model::oracle`.)

use crate::trace::Event;
use simkern_poller::sys::Fd;

/// A violation: the oracle's name and what it saw.
pub type Violation = (&'static str, String);

/// The oracles of one run.
#[derive(Default)]
pub struct Oracles {}

impl Oracles {
    pub fn new() -> Self {
        Oracles::default()
    }

    /// One trace event; a violation if an oracle objects.
    #[inline]
    pub fn observe(&mut self, _event: &Event) -> Option<Violation> {
        None
    }

    /// The root thread returned with `open_fds` still open.
    pub fn finish(&mut self, _open_fds: &[Fd]) -> Option<Violation> {
        None
    }
}
