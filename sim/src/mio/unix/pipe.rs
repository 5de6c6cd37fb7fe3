//! `pipe`: a nonblocking pipe's two ends (mio's `unix::pipe`).

use crate::mio::os::{fd_read, fd_write, on, raw_fd, try_io, Os, OwnedFd};
use crate::mio::poll::fd_source;
use std::io;

/// The write end.
#[derive(Debug)]
pub struct Sender {
    inner: OwnedFd,
}

/// The read end.
#[derive(Debug)]
pub struct Receiver {
    inner: OwnedFd,
}

/// `pipe2(O_NONBLOCK | O_CLOEXEC)` in the calling thread's kernel.
pub fn new() -> io::Result<(Sender, Receiver)> {
    let os = Os::current();
    let (read, write) = on!(os, |s| s.pipe2())?;
    Ok((
        Sender {
            inner: OwnedFd { os, fd: write },
        },
        Receiver {
            inner: OwnedFd { os, fd: read },
        },
    ))
}

try_io!(Sender);
try_io!(Receiver);
fd_write!(Sender);
fd_read!(Receiver);

fd_source!(Sender);
fd_source!(Receiver);
raw_fd!(Sender);
raw_fd!(Receiver);
