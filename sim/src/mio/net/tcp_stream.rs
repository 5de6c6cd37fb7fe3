//! `TcpStream`: a nonblocking TCP connection, connected as mio connects one.
//!
//! `connect` returns as soon as the connection has started (`EINPROGRESS` is success), so the
//! caller learns the outcome on the first writable event, from `take_error` or `peer_addr`,
//! as mio documents.

use crate::mio::os::{fd_read, fd_write, on, raw_fd, try_io, Os, OwnedFd};
use crate::mio::poll::fd_source;
use simkern_poller::sys::{Domain, Errno, Fd, MsgFlags, SockOpt, SockOptGet, SockType};
use std::io;
use std::net::SocketAddr;
use std::os::fd::IntoRawFd;

/// A TCP stream (mio's `net::TcpStream`).
#[derive(Debug)]
pub struct TcpStream {
    inner: OwnedFd,
}

impl TcpStream {
    pub(crate) fn from_owned(inner: OwnedFd) -> TcpStream {
        TcpStream { inner }
    }

    /// Starts a connection to `addr` in the calling thread's kernel.
    pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        let os = Os::current();
        let fd = on!(os, |s| s.socket(Domain::of(&addr), SockType::Stream))?;
        let stream = TcpStream::from_owned(OwnedFd { os, fd });
        match on!(os, |s| s.connect(fd, addr)) {
            Err(e) if e.raw_os_error() == Some(Errno::EINPROGRESS.0) => Ok(stream),
            Err(e) => Err(e),
            Ok(()) => Ok(stream),
        }
    }

    /// Wraps a std stream, a real socket: usable only outside a simulation (a simulated
    /// `Poll` refuses it with `InvalidInput`). The caller must have made it nonblocking.
    pub fn from_std(stream: std::net::TcpStream) -> TcpStream {
        TcpStream::from_owned(OwnedFd {
            os: Os::Linux,
            fd: Fd(stream.into_raw_fd()),
        })
    }

    fn parts(&self) -> (Os, Fd) {
        (self.inner.os, self.inner.fd)
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        let (os, fd) = self.parts();
        on!(os, |s| s.getsockname(fd))
    }

    /// The peer; `NotConnected` while a connect is still in progress (mio's documented way to
    /// tell, after the first writable event, whether it has completed).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        let (os, fd) = self.parts();
        on!(os, |s| s.getpeername(fd))
    }

    /// Reads without taking the bytes from the socket (`MSG_PEEK`).
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        let (os, fd) = self.parts();
        on!(os, |s| s.recvfrom(fd, buf, MsgFlags::PEEK)).map(|(n, _)| n)
    }

    pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// `TCP_NODELAY`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        let (os, fd) = self.parts();
        on!(os, |s| s.setsockopt(fd, SockOpt::NoDelay(nodelay)))
    }

    /// `getsockopt(TCP_NODELAY)`: whether Nagle is off (an accepted stream inherits its
    /// listener's setting, as on Linux).
    pub fn nodelay(&self) -> io::Result<bool> {
        let (os, fd) = self.parts();
        on!(os, |s| s.getsockopt(fd, SockOptGet::NoDelay)).map(|v| v != 0)
    }

    /// `IP_TTL`: the TTL of the packets this socket sends (1 to 255; `EINVAL` otherwise).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_ttl(ttl)
    }

    /// `getsockopt(IP_TTL)`: as set, else the system's default (`net.ipv4.ip_default_ttl`).
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl()
    }

    /// `SO_ERROR`, cleared by reading it: after a connect's first writable event, the reason
    /// it failed (`ECONNREFUSED`), or `None`.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }
}

fd_read!(TcpStream);
fd_write!(TcpStream);
try_io!(TcpStream);
fd_source!(TcpStream);
raw_fd!(TcpStream);
