//! The UDP socket calls: `socket`, `bind` (and the autobind), `connect`, `setsockopt`,
//! `shutdown`, `sendto`, `recvfrom`, and `getsockopt` of any inet socket, in the order of checks
//! the module docs of `udp` give.

use super::{truesize, Addr, Dgram, Udp, SOCK_DGRAM, SOCK_STREAM, UDP_MAX_PAYLOAD};
use crate::epoll::Edge;
use crate::errno::{
    EADDRINUSE, EAGAIN, EBADF, EDESTADDRREQ, EINVAL, EMFILE, EMSGSIZE, ENOPROTOOPT, ENOTCONN,
    ENOTSOCK, EOPNOTSUPP, EPIPE,
};
use crate::event::{KEY_ALL, KEY_OUT};
use crate::file::{Kind, UdpId};
use crate::op::{Fd, Outcome, Port, Shut, SockOpt, SockOptGet};
use crate::world::World;

impl World {
    pub(super) fn udp_socket(&mut self) -> Result<Outcome, i32> {
        self.fds.lowest_free().ok_or(EMFILE)?;
        let u = UdpId(self.next_id());
        let (fd, file) = self.open(Kind::Udp(u))?;
        let reuse = self.cfg.reuse_addr;
        self.udps.insert(
            u,
            Udp {
                file: Some(file),
                reuse,
                mc_ttl: 1,
                mc_loop: true,
                ..Udp::default()
            },
        );
        Ok(Outcome::Fd(fd))
    }

    fn udp_set_addr(&mut self, u: UdpId, addr: Addr) {
        let seq = self.next_id();
        let sock = self.udp_mut(u);
        sock.addr = Some(addr);
        sock.bind_seq = seq;
    }

    pub(super) fn udp_bind(&mut self, u: UdpId, port: Port) -> Result<Outcome, i32> {
        let sock = self.udp(u);
        if sock.addr.is_some() {
            return Err(EINVAL);
        }
        let reuse = sock.reuse;
        let conflict = self.udps.iter().any(|(&o, other)| {
            o != u && other.addr == Some(Addr::Port(port)) && !(reuse && other.reuse)
        });
        if conflict {
            return Err(EADDRINUSE);
        }
        self.udp_set_addr(u, Addr::Port(port));
        Ok(Outcome::Ok)
    }

    /// `inet_autobind`: an ephemeral port of its own.
    fn udp_autobind(&mut self, u: UdpId) -> Addr {
        match self.udp(u).addr {
            Some(a) => a,
            None => {
                self.udp_set_addr(u, Addr::Ephemeral(u));
                Addr::Ephemeral(u)
            }
        }
    }

    pub(super) fn udp_connect(&mut self, u: UdpId, port: Port) -> Result<Outcome, i32> {
        self.udp_autobind(u);
        self.udp_mut(u).peer = Some(port);
        Ok(Outcome::Ok)
    }

    pub(super) fn udp_setsockopt(&mut self, u: UdpId, opt: SockOpt) -> Result<Outcome, i32> {
        match opt {
            SockOpt::ReuseAddr(on) => self.udp_mut(u).reuse = on,
            SockOpt::NoDelay(_) => return Err(ENOPROTOOPT),
            SockOpt::Linger(_) => {}
            SockOpt::Ttl(ttl) => self.udp_mut(u).ttl = crate::op::ttl_arg(ttl)?,
            SockOpt::Broadcast(on) => self.udp_mut(u).broadcast = on,
            SockOpt::MulticastTtl(ttl) => {
                self.udp_mut(u).mc_ttl = crate::op::multicast_ttl_arg(ttl)?
            }
            SockOpt::MulticastLoop(on) => self.udp_mut(u).mc_loop = on,
        }
        Ok(Outcome::Ok)
    }

    pub(super) fn udp_shutdown(&mut self, u: UdpId, how: Shut) -> Result<Outcome, i32> {
        let (rd, wr) = how.bits();
        let sock = self.udp_mut(u);
        sock.rd_shut |= rd;
        sock.wr_shut |= wr;
        let connected = sock.peer.is_some();
        if let Some(file) = sock.file {
            self.wake(file, KEY_ALL, Edge::Must);
        }
        if connected {
            Ok(Outcome::Ok)
        } else {
            Err(ENOTCONN)
        }
    }

    pub(super) fn udp_sendto(
        &mut self,
        u: UdpId,
        len: usize,
        to: Option<Port>,
    ) -> Result<Outcome, i32> {
        let from = self.udp_autobind(u);
        if len > UDP_MAX_PAYLOAD {
            return Err(EMSGSIZE);
        }
        let sock = self.udp_mut(u);
        let to = match to {
            Some(p) => p,
            None => sock.peer.ok_or(EDESTADDRREQ)?,
        };
        if let Some(e) = sock.err.take() {
            return Err(e);
        }
        if sock.wr_shut {
            return Err(EPIPE);
        }
        sock.outbox.push_back(Dgram {
            from,
            to: Addr::Port(to),
            len,
            icmp: false,
        });
        // Loopback orphans the skb inside the call (`sock_wfree` → `sock_def_write_space`):
        // the sender is woken for `EPOLLOUT`, a new edge for its edge-triggered entries.
        if let Some(file) = sock.file {
            self.wake(file, KEY_OUT, Edge::Must);
        }
        Ok(Outcome::Bytes(len))
    }

    pub(super) fn udp_recvfrom(
        &mut self,
        u: UdpId,
        len: usize,
        peek: bool,
        trunc: bool,
    ) -> Result<Outcome, i32> {
        let sock = self.udp_mut(u);
        if let Some(e) = sock.err.take() {
            return Err(e);
        }
        let &(dlen, from) = sock.queue.front().ok_or(EAGAIN)?;
        if !peek {
            sock.queue.pop_front();
            sock.rmem -= truesize(dlen);
        }
        let from = match from {
            Addr::Port(p) => Some(p),
            Addr::Ephemeral(_) => None,
        };
        let len = if trunc { dlen } else { dlen.min(len) };
        Ok(Outcome::Datagram { len, from })
    }

    /// `getsockopt`: `SO_TYPE` and `SO_ERROR` of any socket; `SO_SNDBUF`/`SO_RCVBUF` of a UDP socket (a TCP
    /// socket's are unsupported: they grow with the connection); `TCP_NODELAY`, `IP_TTL`,
    /// `SO_BROADCAST`, `IP_MULTICAST_TTL` and `IP_MULTICAST_LOOP` of either.
    pub(super) fn getsockopt(&mut self, fd: Fd, opt: SockOptGet) -> Result<Outcome, i32> {
        let file = self.file_of(fd).map_err(|_| EBADF)?;
        let (udp, ttl, broadcast, mc_ttl, mc_loop) = match self.file(file).kind {
            Kind::Udp(u) => {
                let sock = self.udp(u);
                (true, sock.ttl, sock.broadcast, sock.mc_ttl, sock.mc_loop)
            }
            Kind::Socket(s) => {
                let sock = self.sock(s);
                (false, sock.ttl, sock.broadcast, sock.mc_ttl, sock.mc_loop)
            }
            _ => return Err(ENOTSOCK),
        };
        let int = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        if opt == SockOptGet::Error {
            return match self.so_error_any(fd)? {
                Outcome::SoError(e) => Ok(Outcome::Int(e)),
                other => Ok(other),
            };
        }
        Ok(Outcome::Int(match (udp, opt) {
            (false, SockOptGet::NoDelay) => i32::from(self.sock(self.sock_of(fd)?).nodelay),
            // Not `setsockopt`'s `ENOPROTOOPT`: `do_ip_getsockopt` answers a level that is not
            // `SOL_IP` with `EOPNOTSUPP` (measured).
            (true, SockOptGet::NoDelay) => return Err(EOPNOTSUPP),
            (false, SockOptGet::Type) => SOCK_STREAM,
            (true, SockOptGet::Type) => SOCK_DGRAM,
            (true, SockOptGet::SndBuf) => int(self.cfg.udp_sndbuf),
            (true, SockOptGet::RcvBuf) => int(self.cfg.udp_rcvbuf),
            (_, SockOptGet::Ttl) => i32::from(ttl.unwrap_or(self.cfg.ip_default_ttl)),
            (_, SockOptGet::Broadcast) => i32::from(broadcast),
            (_, SockOptGet::MulticastTtl) => i32::from(mc_ttl),
            (_, SockOptGet::MulticastLoop) => i32::from(mc_loop),
            (false, SockOptGet::SndBuf | SockOptGet::RcvBuf) => {
                panic!("world: TCP buffer sizes are unsupported (checked)")
            }
            (_, SockOptGet::Error) => unreachable!("answered above"),
        }))
    }

    /// `SO_ERROR` of a TCP or UDP socket.
    fn so_error_any(&mut self, fd: Fd) -> Result<Outcome, i32> {
        match self.udp_of(fd)? {
            Some(u) => Ok(Outcome::SoError(self.udp_mut(u).err.take().unwrap_or(0))),
            None => self.so_error(fd),
        }
    }
}
