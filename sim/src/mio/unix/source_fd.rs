//! `SourceFd`: registers a raw fd that some other object owns.

use crate::mio::event::Source;
use crate::mio::{Interest, Registry, Token};
use simkern_poller::sys::{EpollOp, Fd};
use std::io;
use std::os::fd::RawFd;

/// A borrowed raw fd as a `Source` (mio's `unix::SourceFd`). The number is taken to be an fd
/// of the registry's kernel: inside a simulation, an fd the simulated kernel gave out.
#[derive(Debug)]
pub struct SourceFd<'a>(pub &'a RawFd);

impl Source for SourceFd<'_> {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        registry.ctl(None, EpollOp::Add, Fd(*self.0), Some((token, interests)))
    }
    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        registry.ctl(None, EpollOp::Mod, Fd(*self.0), Some((token, interests)))
    }
    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        registry.ctl(None, EpollOp::Del, Fd(*self.0), None)
    }
}
