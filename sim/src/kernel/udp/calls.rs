//! The socket calls on a UDP socket: `bind`, `connect`, `sendto`, `recvfrom`, `getpeername`,
//! `shutdown`, `setsockopt`, and its release on the last `close`. `Kernel`'s public socket
//! calls (`tcp::calls`) check `EBADF` and `ENOTSOCK` and dispatch here by socket type.
//!
//! Errors in Linux's order for each call (`udp_sendmsg`, `udp_recvmsg`, `inet_dgram_connect`,
//! `__inet_bind`, `inet_shutdown`); see `udp` for the semantics.

use super::socket::Socket;
use super::UdpKey;
use super::UDP_MAX_PAYLOAD;
use crate::kernel::choices::Choices;
use crate::kernel::io::Src;
use crate::kernel::Kernel;
use simkern_poller::sys::epoll::EPOLLOUT;
use simkern_poller::sys::{Errno, MsgFlags, Shutdown, SockOpt, SysResult};
use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

/// Destination 0.0.0.0 means this host: 127.0.0.1 on loopback.
fn this_host(addr: SocketAddrV4) -> SocketAddrV4 {
    if addr.ip().is_unspecified() {
        SocketAddrV4::new(Ipv4Addr::LOCALHOST, addr.port())
    } else {
        addr
    }
}

impl Kernel {
    /// A new, unbound UDP socket (the caller installs its file).
    pub(crate) fn udp_new(&mut self) -> UdpKey {
        self.udps.insert(Socket::default())
    }

    /// `bind` of a UDP socket. Port 0 picks an ephemeral port.
    pub(crate) fn udp_bind(&mut self, u: UdpKey, addr: SocketAddr) -> SysResult<()> {
        let SocketAddr::V4(addr) = addr else {
            return Err(Errno::EAFNOSUPPORT);
        };
        if !(addr.ip().is_unspecified() || addr.ip().is_loopback()) {
            return Err(Errno::EADDRNOTAVAIL);
        }
        if self.udps[u].local.is_some() {
            return Err(Errno::EINVAL);
        }
        let port = if addr.port() == 0 {
            let (min, max) = (
                self.config.ephemeral_port_min,
                self.config.ephemeral_port_max,
            );
            self.udp.ephemeral(min, max)
        } else if self.udp_bind_conflict(u, addr) {
            None
        } else {
            Some(addr.port())
        };
        let port = port.ok_or(Errno::EADDRINUSE)?;
        self.udp_set_local(u, SocketAddrV4::new(*addr.ip(), port));
        Ok(())
    }

    /// `udp_lib_lport_inuse`: another UDP socket on the port at an overlapping address,
    /// unless both set `SO_REUSEADDR`.
    fn udp_bind_conflict(&self, u: UdpKey, addr: SocketAddrV4) -> bool {
        let reuse = self.udps[u].reuseaddr;
        self.udp.bound(addr.port()).iter().any(|&o| {
            let other = &self.udps[o];
            let oaddr = other.local.expect("a bound UDP socket without an address");
            let overlap = oaddr.ip() == addr.ip()
                || oaddr.ip().is_unspecified()
                || addr.ip().is_unspecified();
            o != u && overlap && !(reuse && other.reuseaddr)
        })
    }

    fn udp_set_local(&mut self, u: UdpKey, local: SocketAddrV4) {
        let seq = self.udp.bind_port(local.port(), u);
        let sock = &mut self.udps[u];
        sock.local = Some(local);
        sock.bind_seq = seq;
    }

    /// `inet_autobind`: an unbound socket takes 0.0.0.0 and an ephemeral port (`EAGAIN` when
    /// none is free).
    fn udp_autobind(&mut self, u: UdpKey) -> SysResult<SocketAddrV4> {
        if let Some(local) = self.udps[u].local {
            return Ok(local);
        }
        let (min, max) = (
            self.config.ephemeral_port_min,
            self.config.ephemeral_port_max,
        );
        let port = self.udp.ephemeral(min, max).ok_or(Errno::EAGAIN)?;
        let local = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port);
        self.udp_set_local(u, local);
        Ok(local)
    }

    /// `connect` of a UDP socket: the default peer (`ip4_datagram_connect`). Never blocks.
    pub(crate) fn udp_connect(&mut self, u: UdpKey, addr: SocketAddr) -> SysResult<()> {
        let SocketAddr::V4(dst) = addr else {
            return Err(Errno::EAFNOSUPPORT);
        };
        let local = self.udp_autobind(u)?;
        let dst = this_host(dst);
        if local.ip().is_unspecified() {
            // The route's source becomes the bound address too (and the socket is rehashed).
            let port = local.port();
            self.udp.unbind_port(port, u);
            self.udp_set_local(u, SocketAddrV4::new(Ipv4Addr::LOCALHOST, port));
        }
        self.udps[u].peer = Some(dst);
        Ok(())
    }

    /// `getpeername`: the connected peer; `ENOTCONN` when unconnected or connected to port 0
    /// (`inet_getname` checks `inet_dport`).
    pub(crate) fn udp_getpeername(&self, u: UdpKey) -> SysResult<SocketAddr> {
        match self.udps[u].peer {
            Some(p) if p.port() != 0 => Ok(SocketAddr::V4(p)),
            _ => Err(Errno::ENOTCONN),
        }
    }

    /// `getsockname`: the bound address, 0.0.0.0:0 if unbound.
    pub(crate) fn udp_getsockname(&self, u: UdpKey) -> SocketAddr {
        let local = self.udps[u].local;
        SocketAddr::V4(local.unwrap_or(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)))
    }

    /// `setsockopt` on a UDP socket: `SO_REUSEADDR` counts; `TCP_NODELAY` is `ENOPROTOOPT`
    /// (`ip_setsockopt` refuses a level it does not know), `SO_LINGER` is stored by Linux and ignored;
    /// `IP_TTL`, `SO_BROADCAST`, `IP_MULTICAST_TTL` and `IP_MULTICAST_LOOP` are stored
    /// (loopback has no hops; no broadcast address and no multicast group is modelled).
    pub(crate) fn udp_setsockopt(&mut self, u: UdpKey, opt: SockOpt) -> SysResult<()> {
        match opt {
            SockOpt::ReuseAddr(on) => self.udps[u].reuseaddr = on,
            SockOpt::NoDelay(_) => return Err(Errno::ENOPROTOOPT),
            SockOpt::Linger(_) => {}
            SockOpt::Ttl(ttl) => self.udps[u].ttl = crate::kernel::sockets::ttl_arg(ttl)?,
            SockOpt::Broadcast(on) => self.udps[u].broadcast = on,
            SockOpt::MulticastTtl(ttl) => {
                self.udps[u].multicast.ttl = crate::kernel::sockets::multicast_ttl_arg(ttl)?
            }
            SockOpt::MulticastLoop(on) => self.udps[u].multicast.looped = on,
        }
        Ok(())
    }

    /// `SO_ERROR`: the pending error, cleared.
    pub(crate) fn udp_so_error(&mut self, u: UdpKey) -> Option<Errno> {
        self.udps[u].error.take()
    }

    /// `sendto` (also `write`/`writev` with `to` `None`): one datagram of `src`'s bytes.
    pub(crate) fn udp_sendto(
        &mut self,
        u: UdpKey,
        src: &Src<'_, '_>,
        to: Option<SocketAddr>,
        now: u64,
        ch: &mut dyn Choices,
    ) -> SysResult<usize> {
        // `inet_send_prepare` autobinds before `udp_sendmsg` looks at anything.
        let local = self.udp_autobind(u)?;
        let len = src.total();
        if len > 0xFFFF {
            return Err(Errno::EMSGSIZE);
        }
        let dst = match to {
            Some(SocketAddr::V6(_)) => return Err(Errno::EAFNOSUPPORT),
            Some(SocketAddr::V4(a)) if a.port() == 0 => return Err(Errno::EINVAL),
            Some(SocketAddr::V4(a)) => this_host(a),
            None => self.udps[u].peer.ok_or(Errno::EDESTADDRREQ)?,
        };
        if len > UDP_MAX_PAYLOAD {
            return Err(Errno::EMSGSIZE);
        }
        let sock = &mut self.udps[u];
        if let Some(e) = sock.error.take() {
            return Err(e);
        }
        if sock.snd_shutdown {
            return Err(Errno::EPIPE);
        }
        // The source address: the bound one, or the route's (127.0.0.1) for 0.0.0.0.
        let from = SocketAddrV4::new(
            if local.ip().is_unspecified() {
                Ipv4Addr::LOCALHOST
            } else {
                *local.ip()
            },
            local.port(),
        );
        let mut bytes = VecDeque::with_capacity(len);
        src.copy_to(0, len, &mut bytes);
        self.udp_transmit(u, from, dst, bytes.into(), now, ch);
        // Loopback's xmit orphans the skb inside the call (`skb_orphan` → `sock_wfree` →
        // `sock_def_write_space`): the sender's space comes back at once and its waiters,
        // edge-triggered entries included, are woken for `EPOLLOUT`.
        self.wake_udp(u, EPOLLOUT);
        Ok(len)
    }

    /// `recvfrom` on a UDP socket: one datagram, truncated to `buf` (`MSG_TRUNC`: the real
    /// length is returned), left queued with `MSG_PEEK`.
    pub(crate) fn udp_recvfrom(
        &mut self,
        u: UdpKey,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> SysResult<(usize, SocketAddr)> {
        let sock = &mut self.udps[u];
        if let Some(e) = sock.error.take() {
            return Err(e);
        }
        let front = sock.queue.front().ok_or(Errno::EAGAIN)?;
        let n = front.data.len().min(buf.len());
        buf[..n].copy_from_slice(&front.data[..n]);
        let (len, from) = (front.data.len(), front.from);
        if !flags.contains(MsgFlags::PEEK) {
            sock.dequeue();
        }
        let ret = if flags.contains(MsgFlags::TRUNC) {
            len
        } else {
            n
        };
        Ok((ret, SocketAddr::V4(from)))
    }

    /// `shutdown` of a UDP socket: the bits are set either way; unconnected is `ENOTCONN`.
    pub(crate) fn udp_shutdown(&mut self, u: UdpKey, how: Shutdown) -> SysResult<()> {
        let sock = &mut self.udps[u];
        let (rd, wr) = match how {
            Shutdown::Read => (true, false),
            Shutdown::Write => (false, true),
            Shutdown::Both => (true, true),
        };
        sock.rcv_shutdown |= rd;
        sock.snd_shutdown |= wr;
        let connected = sock.peer.is_some();
        self.wake_udp(u, 0); // `sk_state_change`
        if connected {
            Ok(())
        } else {
            Err(Errno::ENOTCONN)
        }
    }

    /// The last `close`: the socket, its queue and its port go at once. Its datagrams
    /// already on the wire still arrive.
    pub(crate) fn udp_close(&mut self, u: UdpKey) {
        let sock = self.udps.remove(u).expect("closing a freed UDP socket");
        if let Some(local) = sock.local {
            self.udp.unbind_port(local.port(), u);
        }
    }
}
