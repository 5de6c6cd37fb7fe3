//! `pipe`: a nonblocking pipe's two ends (mio's `unix::pipe`).

use crate::mio::os::{on, raw_fd, Os, OwnedFd};
use crate::mio::poll::fd_source;
use std::io::{self, IoSlice, Read, Write};

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

impl Write for &Sender {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (os, fd) = (self.inner.os, self.inner.fd);
        on!(os, |s| s.write(fd, buf))
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let (os, fd) = (self.inner.os, self.inner.fd);
        on!(os, |s| s.writev(fd, bufs))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for Sender {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for &Receiver {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (os, fd) = (self.inner.os, self.inner.fd);
        on!(os, |s| s.read(fd, buf))
    }
}

impl Read for Receiver {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

fd_source!(Sender, |this| &this.inner);
fd_source!(Receiver, |this| &this.inner);
raw_fd!(Sender);
raw_fd!(Receiver);
