//! `Waker`: wakes a `Poll` from another thread, on an eventfd as mio does on Linux.
//!
//! Each `wake` writes 1 to an eventfd registered edge-triggered for reading: every write is a
//! new edge, so nothing ever has to read it, until the counter would overflow (`EAGAIN`),
//! when it is drained and written again (mio's `reset`).

use super::os::{on, OwnedFd};
use super::{Interest, Registry, Token};
use simkern_poller::sys::{EpollOp, Errno};
use std::io;

/// Wakes the `Poll` of a `Registry` (mio's `Waker`). Lives in the registry's kernel.
#[derive(Debug)]
pub struct Waker {
    inner: OwnedFd,
}

impl Waker {
    /// An eventfd registered with `registry` for `token`, readable.
    pub fn new(registry: &Registry, token: Token) -> io::Result<Waker> {
        let os = registry.os();
        let fd = on!(os, |s| s.eventfd(0, false))?;
        let inner = OwnedFd { os, fd };
        registry.ctl_owned(&inner, EpollOp::Add, Some((token, Interest::READABLE)))?;
        Ok(Waker { inner })
    }

    /// Makes the registry's `Poll` return with an event for the waker's token.
    pub fn wake(&self) -> io::Result<()> {
        let (os, fd) = (self.inner.os, self.inner.fd);
        match on!(os, |s| s.write(fd, &1u64.to_ne_bytes())) {
            Ok(_) => Ok(()),
            Err(e) if e.raw_os_error() == Some(Errno::EAGAIN.0) => {
                // The counter is full: drain it and write again.
                let mut drain = [0u8; 8];
                match on!(os, |s| s.read(fd, &mut drain)) {
                    Ok(_) => {}
                    Err(e) if e.raw_os_error() == Some(Errno::EAGAIN.0) => {}
                    Err(e) => return Err(e),
                }
                self.wake()
            }
            Err(e) => Err(e),
        }
    }
}
