//! `UdpSocket`: a nonblocking UDP socket, bound as mio binds one.

use crate::mio::os::{on, raw_fd, try_io, Os, OwnedFd};
use crate::mio::poll::fd_source;
use simkern_poller::sys::{Domain, Fd, MsgFlags, SockOpt, SockOptGet, SockType};
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::IntoRawFd;

/// A UDP socket (mio's `net::UdpSocket`). Each send is one datagram; a receive takes one
/// whole datagram, cut to the buffer (the rest is lost, as on Linux).
#[derive(Debug)]
pub struct UdpSocket {
    inner: OwnedFd,
}

impl UdpSocket {
    /// `socket(SOCK_DGRAM)` and `bind`, in the calling thread's kernel.
    pub fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
        let os = Os::current();
        let fd = on!(os, |s| s.socket(Domain::of(&addr), SockType::Dgram))?;
        let socket = UdpSocket {
            inner: OwnedFd { os, fd },
        };
        on!(os, |s| s.bind(fd, addr))?;
        Ok(socket)
    }

    /// Wraps a std socket, a real one: usable only outside a simulation (a simulated `Poll`
    /// refuses it with `InvalidInput`). The caller must have made it nonblocking.
    pub fn from_std(socket: std::net::UdpSocket) -> UdpSocket {
        UdpSocket {
            inner: OwnedFd {
                os: Os::Linux,
                fd: Fd(socket.into_raw_fd()),
            },
        }
    }

    fn parts(&self) -> (Os, Fd) {
        (self.inner.os, self.inner.fd)
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        let (os, fd) = self.parts();
        on!(os, |s| s.getsockname(fd))
    }

    /// The connected peer; `NotConnected` before `connect`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        let (os, fd) = self.parts();
        on!(os, |s| s.getpeername(fd))
    }

    /// One datagram to `target`.
    pub fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        let (os, fd) = self.parts();
        on!(os, |s| s.sendto(fd, buf, MsgFlags::NOSIGNAL, Some(target)))
    }

    /// One datagram and its sender; `WouldBlock` when none is queued.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.recv_with(buf, MsgFlags::EMPTY)
    }

    /// The next datagram and its sender, left queued.
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.recv_with(buf, MsgFlags::PEEK)
    }

    fn recv_with(&self, buf: &mut [u8], flags: MsgFlags) -> io::Result<(usize, SocketAddr)> {
        let (os, fd) = self.parts();
        let (n, from) = on!(os, |s| s.recvfrom(fd, buf, flags))?;
        let from = from.expect("a datagram socket names each datagram's sender");
        Ok((n, from))
    }

    /// One datagram to the connected peer (`EDESTADDRREQ` before `connect`).
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        let (os, fd) = self.parts();
        on!(os, |s| s.sendto(fd, buf, MsgFlags::NOSIGNAL, None))
    }

    /// One datagram from the connected peer.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_with(buf, MsgFlags::EMPTY).map(|(n, _)| n)
    }

    /// The next datagram, left queued.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_with(buf, MsgFlags::PEEK).map(|(n, _)| n)
    }

    /// Sets the default peer: `send`/`recv` then talk to it only. On loopback, sending to a
    /// port nobody has bound gets `ECONNREFUSED` back on a later call (an ICMP answer).
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        let (os, fd) = self.parts();
        on!(os, |s| s.connect(fd, addr))
    }

    /// `IP_TTL`: the TTL of the packets this socket sends (1 to 255; `EINVAL` otherwise).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_ttl(ttl)
    }

    /// `getsockopt(IP_TTL)`: as set, else the system's default (`net.ipv4.ip_default_ttl`).
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl()
    }

    /// `SO_BROADCAST`: may this socket send to a broadcast address.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        let (os, fd) = self.parts();
        on!(os, |s| s.setsockopt(fd, SockOpt::Broadcast(on)))
    }

    /// `getsockopt(SO_BROADCAST)`.
    pub fn broadcast(&self) -> io::Result<bool> {
        let (os, fd) = self.parts();
        on!(os, |s| s.getsockopt(fd, SockOptGet::Broadcast)).map(|v| v != 0)
    }

    /// `IP_MULTICAST_LOOP`: does multicast this socket sends come back to local members. On
    /// the simulator stored and read back only (no multicast group is modelled).
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        let (os, fd) = self.parts();
        on!(os, |s| s.setsockopt(fd, SockOpt::MulticastLoop(on)))
    }

    /// `getsockopt(IP_MULTICAST_LOOP)`: true until set false (Linux's default).
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        let (os, fd) = self.parts();
        on!(os, |s| s.getsockopt(fd, SockOptGet::MulticastLoop)).map(|v| v != 0)
    }

    /// `IP_MULTICAST_TTL`: the TTL of the multicast this socket sends, passed as std passes
    /// it (a C `int`): 0 to 255 sets it, `u32::MAX` (-1) restores the default 1, anything
    /// else is `EINVAL`. On the simulator stored and read back only (no multicast group).
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        let (os, fd) = self.parts();
        on!(os, |s| s.setsockopt(fd, SockOpt::MulticastTtl(ttl)))
    }

    /// `getsockopt(IP_MULTICAST_TTL)`: as set, else 1 (Linux's default).
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        let (os, fd) = self.parts();
        on!(os, |s| s.getsockopt(fd, SockOptGet::MulticastTtl)).map(|v| v as u32)
    }

    /// Group membership (`IP_ADD_MEMBERSHIP`, `IP_DROP_MEMBERSHIP` and their v6 kin), the v6
    /// multicast options and `IPV6_V6ONLY`: not provided on either kernel (the `Sys` boundary
    /// has no such options and the simulated kernel no multicast). Each returns
    /// `Unsupported`, naming itself, so that code written for mio (tokio's `UdpSocket`)
    /// compiles unchanged.
    pub fn join_multicast_v4(
        &self,
        _multiaddr: &Ipv4Addr,
        _interface: &Ipv4Addr,
    ) -> io::Result<()> {
        unsupported("join_multicast_v4")
    }
    pub fn leave_multicast_v4(
        &self,
        _multiaddr: &Ipv4Addr,
        _interface: &Ipv4Addr,
    ) -> io::Result<()> {
        unsupported("leave_multicast_v4")
    }
    pub fn join_multicast_v6(&self, _multiaddr: &Ipv6Addr, _interface: u32) -> io::Result<()> {
        unsupported("join_multicast_v6")
    }
    pub fn leave_multicast_v6(&self, _multiaddr: &Ipv6Addr, _interface: u32) -> io::Result<()> {
        unsupported("leave_multicast_v6")
    }
    pub fn set_multicast_loop_v6(&self, _on: bool) -> io::Result<()> {
        unsupported("set_multicast_loop_v6")
    }
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        unsupported("multicast_loop_v6")
    }
    pub fn only_v6(&self) -> io::Result<bool> {
        unsupported("only_v6")
    }

    /// `SO_ERROR`, cleared by reading it (a refused datagram's `ECONNREFUSED`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }
}

try_io!(UdpSocket);
fd_source!(UdpSocket);
raw_fd!(UdpSocket);

fn unsupported<T>(call: &str) -> io::Result<T> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        format!("simkern::mio: UdpSocket::{call} is not provided (no multicast groups on either kernel)"),
    ))
}
