//! `UnixListener`: a nonblocking listening Unix stream socket, made as mio makes one.

use super::addr::{to_std, to_sys};
use super::UnixStream;
use crate::mio::os::{on, raw_fd, Os, OwnedFd};
use crate::mio::poll::fd_source;
use simkern_poller::sys::{Domain, Fd, SockType};
use std::io;
use std::os::fd::IntoRawFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;

/// A Unix stream listener (mio's `net::UnixListener`).
#[derive(Debug)]
pub struct UnixListener {
    inner: OwnedFd,
}

/// mio's listen backlog on Linux.
const BACKLOG: i32 = 1024;

impl UnixListener {
    /// Binds `path` (the socket file stays after close, until unlinked, as on Linux) and
    /// listens.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        UnixListener::bind_addr(&SocketAddr::from_pathname(path)?)
    }

    /// Binds `address` (a path or an abstract name) and listens, in the calling thread's
    /// kernel.
    pub fn bind_addr(address: &SocketAddr) -> io::Result<UnixListener> {
        let os = Os::current();
        let fd = on!(os, |s| s.socket(Domain::Unix, SockType::Stream))?;
        let inner = OwnedFd { os, fd };
        let addr = to_sys(address);
        on!(os, |s| s.bind_unix(fd, &addr))?;
        on!(os, |s| s.listen(fd, BACKLOG))?;
        Ok(UnixListener { inner })
    }

    /// Wraps a std listener, a real socket: real kernel only.
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> UnixListener {
        UnixListener {
            inner: OwnedFd {
                os: Os::Linux,
                fd: Fd(listener.into_raw_fd()),
            },
        }
    }

    /// A queued connection and its peer's address (usually unnamed); `WouldBlock` if none.
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (os, fd) = (self.inner.os, self.inner.fd);
        let (conn, peer) = on!(os, |s| s.accept4_unix(fd))?;
        let stream = UnixStream::from_owned(OwnedFd { os, fd: conn });
        Ok((stream, to_std(&peer)?))
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        let (os, fd) = (self.inner.os, self.inner.fd);
        to_std(&on!(os, |s| s.unix_name(fd, false))?)
    }

    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }
}

fd_source!(UnixListener);
raw_fd!(UnixListener);
