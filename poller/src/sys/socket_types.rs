//! The typed arguments of the socket calls: address family, socket type, Unix addresses,
//! `send`/`recv` flags, `shutdown`'s `how`, and the socket options set and read.

use super::{Errno, SysResult};
use std::net::SocketAddr;

/// Address family for `socket`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Domain {
    Inet,
    Inet6,
    /// `AF_UNIX`: a Unix-domain socket, addressed by `UnixAddr`.
    Unix,
}

impl Domain {
    pub fn of(addr: &SocketAddr) -> Domain {
        match addr {
            SocketAddr::V4(_) => Domain::Inet,
            SocketAddr::V6(_) => Domain::Inet6,
        }
    }
}

/// A Unix-domain socket's address (`sockaddr_un`).
///
/// Both backends refuse, with `EINVAL`, to bind, connect or send to `Unnamed`, to an empty
/// `Path`, to a `Path` holding a NUL byte or longer than 108 bytes (`sun_path`'s size; Linux
/// takes a full 108-byte path without its NUL), or to an `Abstract` name longer than 107 bytes
/// (the leading NUL takes one). Linux autobinds on a `bind` of an empty name; the boundary
/// does not offer it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnixAddr {
    /// No name: an unbound socket, a `socketpair` end, an accepted socket's peer that never
    /// bound, a datagram from an unbound sender.
    Unnamed,
    /// A filesystem path, as bytes without the trailing NUL.
    Path(Vec<u8>),
    /// An abstract name (Linux's leading-NUL namespace): the bytes after the NUL.
    Abstract(Vec<u8>),
}

/// `sun_path`'s size in `sockaddr_un`.
pub const UNIX_PATH_MAX: usize = 108;

impl UnixAddr {
    /// `EINVAL` unless the address can name a socket (see the type's docs).
    pub fn check(&self) -> SysResult<()> {
        let ok = match self {
            UnixAddr::Unnamed => false,
            UnixAddr::Path(p) => !p.is_empty() && p.len() <= UNIX_PATH_MAX && !p.contains(&0),
            UnixAddr::Abstract(a) => a.len() < UNIX_PATH_MAX,
        };
        if ok {
            Ok(())
        } else {
            Err(Errno::EINVAL)
        }
    }

    /// The length of the `sockaddr_un` the real backend passes for it: the family, then the
    /// bytes (with the leading NUL of an abstract name), no trailing NUL.
    pub fn sockaddr_len(&self) -> usize {
        2 + match self {
            UnixAddr::Unnamed => 0,
            UnixAddr::Path(p) => p.len(),
            UnixAddr::Abstract(a) => 1 + a.len(),
        }
    }
}

/// Socket type for `socket`: a byte stream (TCP) or datagrams (UDP).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum SockType {
    /// `SOCK_STREAM`.
    Stream,
    /// `SOCK_DGRAM`.
    Dgram,
}

/// `flags` of `sendto`/`recvfrom`, Linux's values (`<sys/socket.h>`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MsgFlags(pub i32);

impl MsgFlags {
    /// No flags.
    pub const EMPTY: MsgFlags = MsgFlags(0);
    /// `MSG_PEEK`: return the data without taking it from the queue.
    pub const PEEK: MsgFlags = MsgFlags(0x02);
    /// `MSG_TRUNC`: on a datagram socket, return the datagram's real length even when the
    /// buffer was shorter.
    pub const TRUNC: MsgFlags = MsgFlags(0x20);
    /// `MSG_DONTWAIT`: nonblocking for this call (every fd here is nonblocking anyway).
    pub const DONTWAIT: MsgFlags = MsgFlags(0x40);
    /// `MSG_NOSIGNAL`: a closed peer is `EPIPE`, never `SIGPIPE`.
    pub const NOSIGNAL: MsgFlags = MsgFlags(0x4000);

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: MsgFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for MsgFlags {
    type Output = MsgFlags;
    fn bitor(self, rhs: MsgFlags) -> MsgFlags {
        MsgFlags(self.0 | rhs.0)
    }
}

/// The socket options `getsockopt` reads (as `int`s).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum SockOptGet {
    /// `SO_SNDBUF`: the send buffer's size (Linux reports twice what `setsockopt` set).
    SndBuf,
    /// `SO_RCVBUF`: the receive buffer's size (twice what `setsockopt` set).
    RcvBuf,
    /// `SO_TYPE`: 1 (`SOCK_STREAM`) or 2 (`SOCK_DGRAM`).
    Type,
    /// `SO_ERROR`: the pending error as an errno value, or 0; reading it clears it (as
    /// `so_error`).
    Error,
    /// `TCP_NODELAY` (level `IPPROTO_TCP`): 1 when Nagle is off, else 0. A UDP or Unix
    /// socket answers `EOPNOTSUPP` (UDP's `setsockopt` says `ENOPROTOOPT`; measured).
    NoDelay,
    /// `IP_TTL` (level `IPPROTO_IP`): the unicast TTL of a TCP or UDP socket, the system's
    /// default (`net.ipv4.ip_default_ttl`, 64) until set. A Unix socket answers `EOPNOTSUPP`.
    Ttl,
    /// `SO_BROADCAST`: 1 or 0, on any socket.
    Broadcast,
    /// `IP_MULTICAST_TTL` (level `IPPROTO_IP`): 1 until set, on a TCP or UDP socket; an
    /// accepted TCP socket reads the TTL of the handshake's last ACK (`tcp_v4_syn_recv_sock`
    /// sets `mc_ttl` from its IP header: the connector's `IP_TTL`). `EOPNOTSUPP` on Unix.
    MulticastTtl,
    /// `IP_MULTICAST_LOOP` (level `IPPROTO_IP`): 1 until cleared, on a TCP or UDP socket (an
    /// accepted one inherits its listener's). `EOPNOTSUPP` on a Unix socket.
    MulticastLoop,
}

/// `how` argument of `shutdown`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Shutdown {
    Read,
    Write,
    Both,
}

/// The socket options the poller sets.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum SockOpt {
    /// `SO_REUSEADDR`: rebind a listening port that still has connections in TIME_WAIT.
    ReuseAddr(bool),
    /// `TCP_NODELAY`: disable Nagle, so small request/response messages are not delayed.
    NoDelay(bool),
    /// `SO_LINGER`: `Some(0)` makes `close` send RST instead of FIN (abrupt peer death).
    Linger(Option<u32>),
    /// `IP_TTL`, passed as a C `int` as std and mio pass it: 1 to 255 sets the TTL, `u32::MAX`
    /// (-1) restores the default, anything else is `EINVAL`. `EOPNOTSUPP` on a Unix socket.
    Ttl(u32),
    /// `SO_BROADCAST`: may a UDP socket send to a broadcast address. Any socket takes it.
    Broadcast(bool),
    /// `IP_MULTICAST_TTL`, passed as a C `int` as std and mio pass it: 0 to 255 sets it,
    /// `u32::MAX` (-1) restores the default (1), anything else is `EINVAL`; `EINVAL` on any
    /// TCP socket (`do_ip_setsockopt` refuses `SOCK_STREAM`), `EOPNOTSUPP` on a Unix one.
    MulticastTtl(u32),
    /// `IP_MULTICAST_LOOP`: does this socket's multicast come back to local listeners. Any
    /// TCP or UDP socket takes it; `EOPNOTSUPP` on a Unix socket.
    MulticastLoop(bool),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_addresses_are_checked_as_linux_checks_sun_path() {
        let path = |n: usize| UnixAddr::Path(vec![b'a'; n]);
        let name = |n: usize| UnixAddr::Abstract(vec![b'a'; n]);
        for ok in [
            path(1),
            path(UNIX_PATH_MAX),
            name(0),
            name(UNIX_PATH_MAX - 1),
        ] {
            assert_eq!(ok.check(), Ok(()), "{ok:?} refused");
        }
        let nul = UnixAddr::Path(b"a\0b".to_vec());
        for bad in [
            UnixAddr::Unnamed,
            path(0),
            path(UNIX_PATH_MAX + 1),
            nul,
            name(UNIX_PATH_MAX),
        ] {
            assert_eq!(bad.check(), Err(Errno::EINVAL), "{bad:?} accepted");
        }
    }

    #[test]
    fn message_flags_combine_as_a_set() {
        let both = MsgFlags::PEEK | MsgFlags::DONTWAIT;
        assert!(both.contains(MsgFlags::PEEK) && both.contains(MsgFlags::DONTWAIT));
        assert!(!both.contains(MsgFlags::NOSIGNAL));
        assert_eq!(
            both | MsgFlags::PEEK,
            both,
            "a flag set twice is still set once"
        );
        assert!(MsgFlags::EMPTY.contains(MsgFlags::EMPTY));
    }
}
