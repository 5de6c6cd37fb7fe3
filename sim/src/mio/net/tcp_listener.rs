//! `TcpListener`: a nonblocking listening socket, made as mio makes one.

use super::TcpStream;
use crate::mio::os::{on, raw_fd, Os, OwnedFd};
use crate::mio::poll::fd_source;
use simkern_poller::sys::{Domain, SockOpt, SockType};
use std::io;
use std::net::SocketAddr;
use std::os::fd::IntoRawFd;

/// A TCP listener (mio's `net::TcpListener`).
#[derive(Debug)]
pub struct TcpListener {
    inner: OwnedFd,
}

/// mio's listen backlog on Linux (and `SOMAXCONN`'s old value).
const BACKLOG: i32 = 1024;

impl TcpListener {
    /// `socket`, `SO_REUSEADDR`, `bind`, `listen(1024)`: mio's sequence, in the calling
    /// thread's kernel.
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        let os = Os::current();
        let fd = on!(os, |s| s.socket(Domain::of(&addr), SockType::Stream))?;
        let inner = OwnedFd { os, fd };
        on!(os, |s| s.setsockopt(fd, SockOpt::ReuseAddr(true)))?;
        on!(os, |s| s.bind(fd, addr))?;
        on!(os, |s| s.listen(fd, BACKLOG))?;
        Ok(TcpListener { inner })
    }

    /// Wraps a std listener, a real socket: usable only outside a simulation (a simulated
    /// `Poll` refuses it with `InvalidInput`). The caller must have made it nonblocking.
    pub fn from_std(listener: std::net::TcpListener) -> TcpListener {
        TcpListener {
            inner: OwnedFd {
                os: Os::Linux,
                fd: simkern_poller::sys::Fd(listener.into_raw_fd()),
            },
        }
    }

    /// `accept4(SOCK_NONBLOCK | SOCK_CLOEXEC)`: `WouldBlock` when no connection is queued.
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (os, fd) = (self.inner.os, self.inner.fd);
        let (conn, peer) = on!(os, |s| s.accept4(fd))?;
        Ok((TcpStream::from_owned(OwnedFd { os, fd: conn }), peer))
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        let (os, fd) = (self.inner.os, self.inner.fd);
        on!(os, |s| s.getsockname(fd))
    }

    /// `IP_TTL`: the TTL of the packets the streams it accepts send (they inherit it) (1 to 255; `EINVAL` otherwise).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_ttl(ttl)
    }

    /// `getsockopt(IP_TTL)`: as set, else the system's default (`net.ipv4.ip_default_ttl`).
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl()
    }

    /// `SO_ERROR`, cleared by reading it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }
}

fd_source!(TcpListener);
raw_fd!(TcpListener);
