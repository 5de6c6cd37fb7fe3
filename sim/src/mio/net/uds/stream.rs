//! `UnixStream`: a nonblocking Unix stream socket (mio's `net::UnixStream`).

use super::addr::{to_std, to_sys};
use crate::mio::os::{fd_read, fd_write, on, raw_fd, try_io, Os, OwnedFd};
use crate::mio::poll::fd_source;
use simkern_poller::sys::{Domain, Errno, Fd, SockType};
use std::io;
use std::os::fd::IntoRawFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;

/// A Unix stream socket (mio's `net::UnixStream`).
#[derive(Debug)]
pub struct UnixStream {
    inner: OwnedFd,
}

impl UnixStream {
    pub(crate) fn from_owned(inner: OwnedFd) -> UnixStream {
        UnixStream { inner }
    }

    /// Connects to `path`: `ENOENT` if nothing is bound there, `ECONNREFUSED` if nothing
    /// listens (a socket file left by a closed listener).
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        UnixStream::connect_addr(&SocketAddr::from_pathname(path)?)
    }

    /// Connects to `address` (a path or an abstract name) in the calling thread's kernel.
    /// A Unix connect completes at once or fails (`EAGAIN` when the backlog is full).
    pub fn connect_addr(address: &SocketAddr) -> io::Result<UnixStream> {
        let os = Os::current();
        let fd = on!(os, |s| s.socket(Domain::Unix, SockType::Stream))?;
        let stream = UnixStream::from_owned(OwnedFd { os, fd });
        let addr = to_sys(address);
        match on!(os, |s| s.connect_unix(fd, &addr)) {
            Err(e) if e.raw_os_error() == Some(Errno::EINPROGRESS.0) => Ok(stream),
            Err(e) => Err(e),
            Ok(()) => Ok(stream),
        }
    }

    /// Two connected streams (`socketpair`).
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let os = Os::current();
        let (a, b) = on!(os, |s| s.socketpair(SockType::Stream))?;
        Ok((
            UnixStream::from_owned(OwnedFd { os, fd: a }),
            UnixStream::from_owned(OwnedFd { os, fd: b }),
        ))
    }

    /// Wraps a std stream, a real socket: real kernel only.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> UnixStream {
        UnixStream::from_owned(OwnedFd {
            os: Os::Linux,
            fd: Fd(stream.into_raw_fd()),
        })
    }

    fn parts(&self) -> (Os, Fd) {
        (self.inner.os, self.inner.fd)
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        let (os, fd) = self.parts();
        to_std(&on!(os, |s| s.unix_name(fd, false))?)
    }

    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        let (os, fd) = self.parts();
        to_std(&on!(os, |s| s.unix_name(fd, true))?)
    }

    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }

    pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }
}

fd_read!(UnixStream);
fd_write!(UnixStream);
try_io!(UnixStream);
fd_source!(UnixStream);
raw_fd!(UnixStream);
