//! The socket calls TCP, UDP and Unix sockets share, dispatched by socket type: `sendto`, `recvfrom`,
//! `getpeername`, `getsockopt`; and `SockRef`, which socket an fd names.
//!
//! Errors common to both: `EBADF` for an fd that is not open, `ENOTSOCK` for one that is
//! not a socket. `sendto` and `recvfrom` take `MsgFlags`: `MSG_DONTWAIT` changes nothing
//! (every fd is nonblocking), `MSG_NOSIGNAL` is always on (`EPIPE`, never `SIGPIPE`),
//! `MSG_PEEK` and `MSG_TRUNC` as each protocol's module says. A TCP socket ignores
//! `sendto`'s address, as Linux does once connected (and answers as `write` otherwise, where
//! Linux would also ignore it: `EPIPE` unconnected, `EAGAIN` while connecting).

use super::choices::Choices;
use super::file::Kind;
use super::io::Src;
use super::tcp::{SocketKey, State};
use super::udp::UdpKey;
use super::unix::UnixKey;
use super::Kernel;
use simkern_poller::sys::{Errno, Fd, MsgFlags, SockOptGet, SockType, SysResult, UnixAddr};
use std::io::IoSlice;
use std::net::SocketAddr;

/// `SOCK_STREAM`, as `SO_TYPE` reports it.
const SOCK_STREAM: i32 = 1;
/// `SOCK_DGRAM`, as `SO_TYPE` reports it.
const SOCK_DGRAM: i32 = 2;

/// `IP_TTL`'s argument as Linux reads the `int` std passes: -1 (`u32::MAX`) restores the
/// default (`None`), 1 to 255 is a TTL, anything else `EINVAL` (`do_ip_setsockopt`).
pub(crate) fn ttl_arg(ttl: u32) -> SysResult<Option<u8>> {
    match ttl as i32 {
        -1 => Ok(None),
        t @ 1..=255 => Ok(Some(t as u8)),
        _ => Err(Errno::EINVAL),
    }
}

/// `IP_MULTICAST_TTL` and `IP_MULTICAST_LOOP` of a TCP or UDP socket: stored and read back
/// (no multicast group is modelled, so neither changes what is delivered).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Multicast {
    /// `mc_ttl`: 1 on a new socket (`inet_create`).
    pub(crate) ttl: u8,
    /// `INET_FLAGS_MC_LOOP`: on for a new socket.
    pub(crate) looped: bool,
}

impl Default for Multicast {
    fn default() -> Multicast {
        Multicast {
            ttl: 1,
            looped: true,
        }
    }
}

/// `IP_MULTICAST_TTL`'s argument as Linux reads the `int` std passes: -1 (`u32::MAX`)
/// restores the default 1, 0 to 255 is a TTL, anything else `EINVAL` (`do_ip_setsockopt`).
pub(crate) fn multicast_ttl_arg(ttl: u32) -> SysResult<u8> {
    match ttl as i32 {
        -1 => Ok(Multicast::default().ttl),
        t @ 0..=255 => Ok(t as u8),
        _ => Err(Errno::EINVAL),
    }
}

/// The socket an fd names.
#[derive(Copy, Clone, Debug)]
pub(crate) enum SockRef {
    Tcp(SocketKey),
    Udp(UdpKey),
    Unix(UnixKey),
}

impl Kernel {
    /// The socket behind `fd`: `EBADF` if not open, `ENOTSOCK` if not a socket.
    pub(crate) fn sock_ref(&self, fd: Fd) -> SysResult<SockRef> {
        match self.files[self.file_of(fd)?].kind {
            Kind::Socket(s) => Ok(SockRef::Tcp(s)),
            Kind::Udp(u) => Ok(SockRef::Udp(u)),
            Kind::Unix(k) => Ok(SockRef::Unix(k)),
            _ => Err(Errno::ENOTSOCK),
        }
    }

    /// `sendto(fd, buf, flags | MSG_NOSIGNAL, addr)` at `now`; `addr` `None` is `send`.
    pub fn sendto(
        &mut self,
        fd: Fd,
        buf: &[u8],
        _flags: MsgFlags,
        addr: Option<SocketAddr>,
        now: u64,
        ch: &mut dyn Choices,
    ) -> SysResult<usize> {
        self.set_clock(now);
        let bufs = [IoSlice::new(buf)];
        let src = Src::new(&bufs, usize::MAX);
        match self.sock_ref(fd)? {
            SockRef::Tcp(s) => self.tcp_write(s, &src, now, ch),
            SockRef::Udp(u) => self.udp_sendto(u, &src, addr, now, ch),
            // An inet address on a Unix socket: `unix_validate_addr` (datagram) or the
            // stream's refusal of any address.
            SockRef::Unix(k) if addr.is_some() => match self.unixes[k].ty {
                SockType::Dgram => Err(Errno::EINVAL),
                SockType::Stream => self.unix_send(k, &src, Some(&UnixAddr::Unnamed)),
            },
            SockRef::Unix(k) => self.unix_send(k, &src, None),
        }
    }

    /// `recvfrom` at `now`: the bytes (or, for UDP with `MSG_TRUNC`, the datagram's length)
    /// and the sender (`None` on TCP).
    pub fn recvfrom(
        &mut self,
        fd: Fd,
        buf: &mut [u8],
        flags: MsgFlags,
        now: u64,
        ch: &mut dyn Choices,
    ) -> SysResult<(usize, Option<SocketAddr>)> {
        self.set_clock(now);
        match self.sock_ref(fd)? {
            SockRef::Tcp(s) => self.tcp_recv(s, buf, flags, now, ch).map(|n| (n, None)),
            SockRef::Udp(u) => self
                .udp_recvfrom(u, buf, flags)
                .map(|(n, from)| (n, Some(from))),
            // The real backend cannot say a Unix sender as a `SocketAddr`: the data is
            // taken, then a named sender is `EAFNOSUPPORT`.
            SockRef::Unix(k) => match self.unix_recv(k, buf, flags)? {
                (n, UnixAddr::Unnamed) => Ok((n, None)),
                _ => Err(Errno::EAFNOSUPPORT),
            },
        }
    }

    /// `getpeername`: `ENOTCONN` without a peer (a TCP socket still connecting or closed has
    /// none, as `inet_getname` says).
    pub fn getpeername(&self, fd: Fd) -> SysResult<SocketAddr> {
        match self.sock_ref(fd)? {
            SockRef::Tcp(s) => {
                let sock = &self.sockets[s];
                match (&sock.state, sock.peer) {
                    (State::Established, Some(peer)) => Ok(SocketAddr::V4(peer)),
                    _ => Err(Errno::ENOTCONN),
                }
            }
            SockRef::Udp(u) => self.udp_getpeername(u),
            SockRef::Unix(k) => match self.unixes[k].peer {
                Some(_) => Err(Errno::EAFNOSUPPORT),
                None => Err(Errno::ENOTCONN),
            },
        }
    }

    /// `getsockopt` of `SO_ERROR` (as `so_error`), `SO_SNDBUF`, `SO_RCVBUF` (the configured sizes: TCP's `sndbuf` and
    /// `rcvbuf`, UDP's `WMEM_DEFAULT` and `udp_rcvbuf`; Linux reports twice what
    /// `setsockopt` asked for, and these are what it reports), `SO_TYPE` or `TCP_NODELAY` (what
    /// `set_nodelay` last set, inherited by an accepted socket from its listener).
    /// What `IP_TTL` reads for a socket's own TTL (`None`: the system default, read now).
    fn ttl_of(&self, ttl: Option<u8>) -> i32 {
        i32::from(ttl.unwrap_or(self.config.ip_default_ttl))
    }

    pub fn getsockopt(&mut self, fd: Fd, opt: SockOptGet) -> SysResult<i32> {
        let int = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        Ok(match (self.sock_ref(fd)?, opt) {
            (_, SockOptGet::Error) => self.so_error(fd)?.map_or(0, |e| e.0),
            (SockRef::Tcp(_), SockOptGet::Type) => SOCK_STREAM,
            (SockRef::Udp(_), SockOptGet::Type) => SOCK_DGRAM,
            (SockRef::Tcp(_), SockOptGet::SndBuf) => int(self.config.sndbuf),
            (SockRef::Tcp(_), SockOptGet::RcvBuf) => int(self.config.rcvbuf),
            (SockRef::Udp(_), SockOptGet::SndBuf) => int(super::WMEM_DEFAULT),
            (SockRef::Udp(_), SockOptGet::RcvBuf) => int(self.config.udp_rcvbuf),
            (SockRef::Unix(k), SockOptGet::Type) => match self.unixes[k].ty {
                SockType::Stream => SOCK_STREAM,
                SockType::Dgram => SOCK_DGRAM,
            },
            (SockRef::Unix(_), SockOptGet::SndBuf | SockOptGet::RcvBuf) => int(super::WMEM_DEFAULT),
            (SockRef::Tcp(s), SockOptGet::NoDelay) => i32::from(self.sockets[s].nodelay),
            // Not the `ENOPROTOOPT` of UDP's `setsockopt`: `do_ip_getsockopt` answers a level
            // that is not `SOL_IP` with `EOPNOTSUPP` (measured), as `AF_UNIX` answers any
            // protocol-level option.
            (SockRef::Udp(_), SockOptGet::NoDelay) => return Err(Errno::EOPNOTSUPP),
            (SockRef::Unix(_), SockOptGet::NoDelay) => return Err(Errno::EOPNOTSUPP),
            (SockRef::Tcp(s), SockOptGet::Ttl) => self.ttl_of(self.sockets[s].ttl),
            (SockRef::Udp(u), SockOptGet::Ttl) => self.ttl_of(self.udps[u].ttl),
            (SockRef::Unix(_), SockOptGet::Ttl) => return Err(Errno::EOPNOTSUPP),
            (SockRef::Tcp(s), SockOptGet::Broadcast) => i32::from(self.sockets[s].broadcast),
            (SockRef::Udp(u), SockOptGet::Broadcast) => i32::from(self.udps[u].broadcast),
            (SockRef::Unix(k), SockOptGet::Broadcast) => i32::from(self.unixes[k].broadcast),
            (SockRef::Tcp(s), SockOptGet::MulticastTtl) => i32::from(self.sockets[s].multicast.ttl),
            (SockRef::Udp(u), SockOptGet::MulticastTtl) => i32::from(self.udps[u].multicast.ttl),
            (SockRef::Tcp(s), SockOptGet::MulticastLoop) => {
                i32::from(self.sockets[s].multicast.looped)
            }
            (SockRef::Udp(u), SockOptGet::MulticastLoop) => {
                i32::from(self.udps[u].multicast.looped)
            }
            (SockRef::Unix(_), SockOptGet::MulticastTtl | SockOptGet::MulticastLoop) => {
                return Err(Errno::EOPNOTSUPP)
            }
        })
    }
}
