//! `Source`: what can be registered with a `Registry` (mio's `event::Source`).

use super::super::{Interest, Registry, Token};
use std::io;

/// A registrable I/O object. A user's type implements it by delegating to the sources it
/// holds (a `TcpStream`, a `SourceFd`), as with mio.
pub trait Source {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()>;
    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()>;
    fn deregister(&mut self, registry: &Registry) -> io::Result<()>;
}

impl<T: Source + ?Sized> Source for Box<T> {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        (**self).register(registry, token, interests)
    }
    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        (**self).reregister(registry, token, interests)
    }
    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        (**self).deregister(registry)
    }
}
