//! `UnixDatagram`: a nonblocking Unix datagram socket (mio's `net::UnixDatagram`).

use super::addr::{to_std, to_sys};
use crate::mio::os::{on, raw_fd, try_io, Os, OwnedFd};
use crate::mio::poll::fd_source;
use simkern_poller::sys::{Domain, Fd, MsgFlags, SockType};
use std::io;
use std::os::fd::IntoRawFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;

/// A Unix datagram socket (mio's `net::UnixDatagram`).
#[derive(Debug)]
pub struct UnixDatagram {
    inner: OwnedFd,
}

impl UnixDatagram {
    fn made(os: Os, fd: Fd) -> UnixDatagram {
        UnixDatagram {
            inner: OwnedFd { os, fd },
        }
    }

    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        UnixDatagram::bind_addr(&SocketAddr::from_pathname(path)?)
    }

    pub fn bind_addr(address: &SocketAddr) -> io::Result<UnixDatagram> {
        let socket = UnixDatagram::unbound()?;
        let (os, fd) = socket.parts();
        let addr = to_sys(address);
        on!(os, |s| s.bind_unix(fd, &addr))?;
        Ok(socket)
    }

    /// A socket with no name, in the calling thread's kernel.
    pub fn unbound() -> io::Result<UnixDatagram> {
        let os = Os::current();
        let fd = on!(os, |s| s.socket(Domain::Unix, SockType::Dgram))?;
        Ok(UnixDatagram::made(os, fd))
    }

    /// Two connected datagram sockets (`socketpair`).
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let os = Os::current();
        let (a, b) = on!(os, |s| s.socketpair(SockType::Dgram))?;
        Ok((UnixDatagram::made(os, a), UnixDatagram::made(os, b)))
    }

    /// Wraps a std socket, a real one: real kernel only.
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> UnixDatagram {
        UnixDatagram::made(Os::Linux, Fd(socket.into_raw_fd()))
    }

    fn parts(&self) -> (Os, Fd) {
        (self.inner.os, self.inner.fd)
    }

    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        let addr = to_sys(&SocketAddr::from_pathname(path)?);
        let (os, fd) = self.parts();
        on!(os, |s| s.connect_unix(fd, &addr))
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        let (os, fd) = self.parts();
        to_std(&on!(os, |s| s.unix_name(fd, false))?)
    }

    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        let (os, fd) = self.parts();
        to_std(&on!(os, |s| s.unix_name(fd, true))?)
    }

    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let (os, fd) = self.parts();
        let (n, from) = on!(os, |s| s.recvfrom_unix(fd, buf, MsgFlags::EMPTY))?;
        Ok((n, to_std(&from)?))
    }

    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_from(buf).map(|(n, _)| n)
    }

    pub fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let addr = to_sys(&SocketAddr::from_pathname(path)?);
        let (os, fd) = self.parts();
        on!(os, |s| s.sendto_unix(
            fd,
            buf,
            MsgFlags::NOSIGNAL,
            Some(&addr)
        ))
    }

    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        let (os, fd) = self.parts();
        on!(os, |s| s.sendto_unix(fd, buf, MsgFlags::NOSIGNAL, None))
    }

    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }

    pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }
}

try_io!(UnixDatagram);
fd_source!(UnixDatagram);
raw_fd!(UnixDatagram);
