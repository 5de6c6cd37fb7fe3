//! The socket syscalls: `socket`, `setsockopt`, `bind`, `listen`, `accept4`, `connect`,
//! `SO_ERROR`, `getsockname`, `shutdown`; each hands a UDP socket to `udp::calls` and a Unix
//! socket to `unix` (where an inet address is `EINVAL`, an inet name `EAFNOSUPPORT`).
//!
//! Errors come in Linux's order for each call (checked against `net/socket.c`,
//! `net/ipv4/af_inet.c`, `inet_connection_sock.c`): `EBADF`, then for fd-creating calls
//! `EMFILE` (`accept4` allocates the fd before looking at the socket), then `ENOTSOCK`, then
//! the protocol's own. Addresses are IPv4 only; a V6 address is `EAFNOSUPPORT`. `bind` accepts
//! 0.0.0.0 and 127.0.0.0/8 (the loopback device) and refuses other addresses with
//! `EADDRNOTAVAIL`.
//!
//! Bind conflicts follow `inet_csk_bind_conflict`: two sockets on one port conflict when
//! their addresses overlap (equal, or either is 0.0.0.0) unless both set `SO_REUSEADDR` and
//! the one already there is not listening; `listen` checks again, so two `SO_REUSEADDR`
//! sockets may share a port until the second one listens.
//!
//! Child: `connect` (`connect` and `tcp_disconnect`).

use super::socket::{Listener, Ss};
use super::{Owner, SegKind, Socket, SocketKey, State};
use crate::kernel::choices::Choices;
use crate::kernel::file::Kind;
use crate::kernel::sockets::SockRef;
use crate::kernel::Kernel;
use simkern_poller::sys::{Domain, Errno, Fd, Shutdown, SockOpt, SockType, SysResult};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

mod connect;

impl Kernel {
    /// `socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)`: TCP or UDP. IPv6 is not
    /// modelled.
    pub fn socket(&mut self, domain: Domain, ty: SockType) -> SysResult<Fd> {
        if domain == Domain::Inet6 {
            return Err(Errno::EAFNOSUPPORT);
        }
        if !self.fds.can_alloc(1) {
            return Err(Errno::EMFILE);
        }
        if domain == Domain::Unix {
            return Ok(self.unix_socket(ty));
        }
        if ty == SockType::Dgram {
            let u = self.udp_new();
            let fd = self.install(Kind::Udp(u));
            self.udps[u].file = Some(self.fds.get(fd).expect("just installed"));
            return Ok(fd);
        }
        let s = self.sockets.insert(Socket::new(Owner::Orphan));
        let fd = self.install(Kind::Socket(s));
        self.sockets[s].owner = Owner::File(self.fds.get(fd).expect("just installed"));
        Ok(fd)
    }

    /// `setsockopt` for `SO_REUSEADDR`, `TCP_NODELAY` (stored, no effect), `SO_LINGER`,
    /// `IP_TTL`, `SO_BROADCAST` and `IP_MULTICAST_LOOP` (stored: loopback has no hops, no
    /// broadcast, no multicast); `IP_MULTICAST_TTL` is `EINVAL` on TCP.
    pub fn setsockopt(&mut self, fd: Fd, opt: SockOpt) -> SysResult<()> {
        let s = match self.sock_ref(fd)? {
            SockRef::Tcp(s) => s,
            SockRef::Udp(u) => return self.udp_setsockopt(u, opt),
            SockRef::Unix(k) => return self.unix_setsockopt(k, opt),
        };
        let sock = &mut self.sockets[s];
        match opt {
            SockOpt::ReuseAddr(on) => sock.reuseaddr = on,
            SockOpt::NoDelay(on) => sock.nodelay = on,
            SockOpt::Linger(secs) => sock.linger = secs,
            SockOpt::Ttl(ttl) => sock.ttl = crate::kernel::sockets::ttl_arg(ttl)?,
            SockOpt::Broadcast(on) => sock.broadcast = on,
            // `do_ip_setsockopt` refuses a `SOCK_STREAM` socket before it reads the value.
            SockOpt::MulticastTtl(_) => return Err(Errno::EINVAL),
            SockOpt::MulticastLoop(on) => sock.multicast.looped = on,
        }
        Ok(())
    }

    /// `bind`. Port 0 picks an ephemeral port.
    pub fn bind(&mut self, fd: Fd, addr: SocketAddr) -> SysResult<()> {
        let s = match self.sock_ref(fd)? {
            SockRef::Tcp(s) => s,
            SockRef::Udp(u) => return self.udp_bind(u, addr),
            // unix_validate_addr: not AF_UNIX.
            SockRef::Unix(_) => return Err(Errno::EINVAL),
        };
        let SocketAddr::V4(addr) = addr else {
            return Err(Errno::EAFNOSUPPORT);
        };
        if !(addr.ip().is_unspecified() || addr.ip().is_loopback()) {
            return Err(Errno::EADDRNOTAVAIL);
        }
        let sock = &self.sockets[s];
        if !matches!(sock.state, State::Closed) || sock.local.is_some() {
            return Err(Errno::EINVAL);
        }
        let port = if addr.port() == 0 {
            let (min, max) = (
                self.config.ephemeral_port_min,
                self.config.ephemeral_port_max,
            );
            self.net.ephemeral(min, max)
        } else if self.bind_conflict(s, addr) {
            None
        } else {
            Some(addr.port())
        };
        let Some(port) = port else {
            // `__inet_bind` set the address before `get_port` failed, then zeroed it: a
            // name left from an earlier port shows 0.0.0.0 now.
            if let Some(name) = &mut self.sockets[s].name {
                name.set_ip(Ipv4Addr::UNSPECIFIED);
            }
            return Err(Errno::EADDRINUSE);
        };
        let sock = &mut self.sockets[s];
        sock.local = Some(SocketAddrV4::new(*addr.ip(), port));
        sock.autobound = addr.port() == 0;
        sock.addr_locked = !addr.ip().is_unspecified();
        sock.name = None;
        self.net.bind_port(port, s);
        Ok(())
    }

    /// Whether `s` at `addr` conflicts with another socket bound to the port, or with a
    /// TIME_WAIT entry there.
    fn bind_conflict(&self, s: SocketKey, addr: SocketAddrV4) -> bool {
        let reuse = self.sockets[s].reuseaddr;
        let overlaps =
            |ip: Ipv4Addr| ip == *addr.ip() || ip.is_unspecified() || addr.ip().is_unspecified();
        let mut time_wait = self.net.time_wait(addr.port(), self.clock);
        if time_wait.any(|(ip, tw_reuse)| overlaps(ip) && !(reuse && tw_reuse)) {
            return true;
        }
        self.net.bound(addr.port()).iter().any(|&o| {
            if o == s {
                return false;
            }
            let other = &self.sockets[o];
            let oaddr = other.local.expect("a bound socket without an address");
            let overlap = oaddr.ip() == addr.ip()
                || oaddr.ip().is_unspecified()
                || addr.ip().is_unspecified();
            let other_listens = matches!(other.state, State::Listen(_));
            overlap && !(reuse && other.reuseaddr && !other_listens)
        })
    }

    /// `listen`. The backlog is capped at `somaxconn` (a negative one becomes `somaxconn`, as
    /// Linux's unsigned comparison makes it); `backlog + 1` connections fit in the queue.
    pub fn listen(&mut self, fd: Fd, backlog: i32) -> SysResult<()> {
        let s = match self.sock_ref(fd)? {
            SockRef::Tcp(s) => s,
            SockRef::Udp(_) => return Err(Errno::EOPNOTSUPP),
            SockRef::Unix(k) => return self.unix_listen(k, backlog),
        };
        let somaxconn = self.config.somaxconn;
        let backlog = u32::try_from(backlog).map_or(somaxconn, |b| b.min(somaxconn));
        let sock = &mut self.sockets[s];
        if sock.ss != Ss::Unconnected {
            return Err(Errno::EINVAL);
        }
        match &mut sock.state {
            State::Listen(l) => {
                l.backlog = backlog;
                return Ok(());
            }
            State::Closed => {}
            _ => return Err(Errno::EINVAL),
        }
        let local = match sock.local {
            Some(local) => {
                if self.bind_conflict(s, local) {
                    return Err(Errno::EADDRINUSE);
                }
                local
            }
            None => {
                let (min, max) = (
                    self.config.ephemeral_port_min,
                    self.config.ephemeral_port_max,
                );
                let port = self.net.ephemeral(min, max).ok_or(Errno::EADDRINUSE)?;
                self.net.bind_port(port, s);
                // The source address a port went back without (`rcv_saddr`) is kept.
                let ip = sock.name.map_or(Ipv4Addr::UNSPECIFIED, |n| *n.ip());
                SocketAddrV4::new(ip, port)
            }
        };
        let sock = &mut self.sockets[s];
        sock.autobound |= sock.local.is_none();
        sock.local = Some(local);
        if sock.attempted && self.config.linux.listen_after_connect_einval {
            // 6.18.44 refuses after the autobind: the port stays taken (a later `bind` is
            // `EINVAL`; `simkern_model::linux::LISTEN_AFTER_CONNECT`).
            return Err(Errno::EINVAL);
        }
        sock.listened = true;
        sock.state = State::Listen(Listener {
            backlog,
            ..Listener::default()
        });
        self.net.add_listener(local.port(), s);
        Ok(())
    }

    /// `accept4(fd, .., SOCK_NONBLOCK | SOCK_CLOEXEC)`: the oldest established connection.
    pub fn accept4(&mut self, fd: Fd) -> SysResult<(Fd, SocketAddr)> {
        let file = self.file_of(fd)?;
        if !self.fds.can_alloc(1) {
            return Err(Errno::EMFILE);
        }
        let s = match self.files[file].kind {
            Kind::Socket(s) => s,
            Kind::Udp(_) => return Err(Errno::EOPNOTSUPP),
            Kind::Unix(k) => {
                // The real backend takes the connection, then cannot say its Unix peer as a
                // `SocketAddr`: it closes the new fd and answers EAFNOSUPPORT.
                let (child, _) = self.unix_accept(k)?;
                self.unix_close(child);
                return Err(Errno::EAFNOSUPPORT);
            }
            _ => return Err(Errno::ENOTSOCK),
        };
        let State::Listen(l) = &mut self.sockets[s].state else {
            return Err(Errno::EINVAL);
        };
        let child = l.queue.pop_front().ok_or(Errno::EAGAIN)?;
        assert_eq!(
            self.sockets[child].owner,
            Owner::Listener(s),
            "accept queue of {s:?} holds a socket it does not own"
        );
        let new = self.install(Kind::Socket(child));
        let sock = &mut self.sockets[child];
        sock.owner = Owner::File(self.fds.get(new).expect("just installed"));
        let peer = sock.peer.expect("an accepted socket without a peer");
        Ok((new, SocketAddr::V4(peer)))
    }

    /// `getsockopt(SO_ERROR)`: the pending error, cleared by reading it.
    pub fn so_error(&mut self, fd: Fd) -> SysResult<Option<Errno>> {
        let s = match self.sock_ref(fd)? {
            SockRef::Tcp(s) => s,
            SockRef::Udp(u) => return Ok(self.udp_so_error(u)),
            SockRef::Unix(k) => return Ok(self.unixes[k].error.take()),
        };
        Ok(self.sockets[s].error.take())
    }

    /// `getsockname`: the bound address (still the old one after an autobound port went
    /// back), 0.0.0.0:0 if never bound.
    pub fn getsockname(&self, fd: Fd) -> SysResult<SocketAddr> {
        let s = match self.sock_ref(fd)? {
            SockRef::Tcp(s) => s,
            SockRef::Udp(u) => return Ok(self.udp_getsockname(u)),
            // A Unix name is no `SocketAddr` (see `unix_name`).
            SockRef::Unix(_) => return Err(Errno::EAFNOSUPPORT),
        };
        let sock = &self.sockets[s];
        let local =
            (sock.local.or(sock.name)).unwrap_or(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));
        Ok(SocketAddr::V4(local))
    }

    /// `shutdown`. `SHUT_WR` sends FIN after the queued data. As `inet_shutdown`: on an
    /// unconnected socket the flags are set anyway and the result is `ENOTCONN`; on a
    /// connecting socket any `how` aborts the attempt (pending error `ECONNRESET`); on a
    /// listener `SHUT_RD` stops listening (resetting queued connections) and `SHUT_WR` does
    /// nothing. A socket whose `connect` had failed becomes `SS_DISCONNECTING`: `connect` and
    /// `listen` on it are `EINVAL` from then on.
    pub fn shutdown(
        &mut self,
        fd: Fd,
        how: Shutdown,
        now: u64,
        ch: &mut dyn Choices,
    ) -> SysResult<()> {
        self.set_clock(now);
        let s = match self.sock_ref(fd)? {
            SockRef::Tcp(s) => s,
            SockRef::Udp(u) => return self.udp_shutdown(u, how),
            SockRef::Unix(k) => return self.unix_shutdown(k, how),
        };
        let (rd, wr) = match how {
            Shutdown::Read => (true, false),
            Shutdown::Write => (false, true),
            Shutdown::Both => (true, true),
        };
        let sock = &mut self.sockets[s];
        if sock.ss == Ss::Connecting {
            // inet_shutdown: an attempt not (or no longer) under way is disconnecting.
            sock.ss = match sock.state {
                State::SynSent | State::SynRecv { .. } | State::Closed => Ss::Disconnecting,
                State::Established | State::Listen(_) => Ss::Connected,
            };
        }
        let result = match sock.state {
            State::Listen(_) => {
                if rd {
                    // `tcp_disconnect`: it also clears `sk_shutdown` (a `SHUT_RD` made before
                    // `listen` is forgotten).
                    self.listen_stop(s, now, ch);
                    let sock = &mut self.sockets[s];
                    sock.rcv_shutdown = false;
                    sock.snd_shutdown = false;
                    if !sock.addr_locked {
                        for a in [&mut sock.local, &mut sock.name].into_iter().flatten() {
                            a.set_ip(Ipv4Addr::UNSPECIFIED);
                        }
                    }
                }
                Ok(())
            }
            State::SynSent => {
                self.disconnect(s);
                self.sockets[s].error = Some(Errno::ECONNRESET);
                Ok(())
            }
            State::Closed => {
                sock.rcv_shutdown |= rd;
                sock.snd_shutdown |= wr;
                Err(Errno::ENOTCONN)
            }
            State::Established => {
                sock.rcv_shutdown |= rd;
                sock.snd_shutdown |= wr;
                if wr && !sock.fin_queued {
                    sock.fin_queued = true;
                    let (c, side) = sock
                        .conn
                        .expect("an established socket without a connection");
                    self.send(c, side, SegKind::Fin, None, now, ch);
                }
                Ok(())
            }
            State::SynRecv { .. } => unreachable!("shutdown on a socket no fd names"),
        };
        self.wake_socket(s, 0);
        result
    }
}
