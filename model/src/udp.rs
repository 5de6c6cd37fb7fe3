//! UDP sockets on loopback: what each call does to one, and the datagrams on the wire.
//!
//! Owns: a UDP socket's facts that decide syscall results — its address (a harness port, or
//! an ephemeral one its first `sendto`/`connect` took), its default peer (`connect`), its
//! receive queue of whole datagrams (lengths and senders, bounded by `Config::udp_rcvbuf`
//! charged per datagram by `truesize`), its pending error, its shutdown bits — and its outbox:
//! the datagrams it sent that have not arrived, and the ICMP port-unreachable answers on
//! their way back to it. When they arrive is `progress`'s business: before an op any of them
//! may have (FIFO per destination; datagrams to different destinations, or from different
//! sockets, in any order: FREEDOMS.md, 10), at `Settle` all of them, in every order that
//! can tell (`udp_settled`).
//!
//! Arrival (`__udp4_lib_rcv`, `__udp4_lib_lookup`): the datagram goes to the socket bound to
//! its destination port when it arrives; among several (all with `SO_REUSEADDR`), a connected
//! one whose peer is the sender first (a connected socket whose peer is someone else takes
//! nothing), else the one bound last. With room in the queue (empty, or `rmem + truesize <=
//! rcvbuf`) it is queued and wakes `EPOLLIN`; without, it is dropped silently. With no
//! socket, an ICMP port-unreachable goes back; it sets `ECONNREFUSED` (waking `EPOLLERR`) on
//! the socket at the sender's address if that socket is connected (`__udp4_lib_err` without
//! `IP_RECVERR`).
//!
//! Calls: `sendto` autobinds first (`inet_send_prepare`), then `EDESTADDRREQ` without a
//! destination on an unconnected socket, then the pending error, then `EPIPE` after
//! `SHUT_WR`. `recvfrom` returns the pending error first, then one datagram (`MSG_TRUNC`: its
//! real length; `MSG_PEEK`: left queued), else `EAGAIN` (after `SHUT_RD` too). `read` with a
//! 0-byte buffer is 0 before anything (`sock_read_iter`). `shutdown` sets its bits even
//! unconnected, where it returns `ENOTCONN`. `listen`/`accept4` are `EOPNOTSUPP`,
//! `TCP_NODELAY` is `ENOPROTOOPT`. Poll (`udp_poll`): `EPOLLOUT` always (loopback frees the
//! send buffer at once), `EPOLLIN` with a datagram queued, `EPOLLIN|EPOLLRDHUP` after
//! `SHUT_RD`, `EPOLLHUP` after both, `EPOLLERR` with an error pending.
//!
//! Does not model: the datagrams' bytes (lengths only), ICMP rate limiting (on loopback only
//! the global limit of 1000/s with a burst of 50 applies, beyond any test here), IPv6,
//! multicast, `SO_REUSEPORT`, `IP_RECVERR`, `setsockopt` of buffer sizes.

use crate::epoll::Edge;
use crate::errno::{
    EADDRINUSE, EAGAIN, EBADF, ECONNREFUSED, EDESTADDRREQ, EINVAL, EMFILE, EMSGSIZE, ENOPROTOOPT,
    ENOTCONN, ENOTSOCK, EOPNOTSUPP, EPIPE,
};
use crate::event::{
    Ready, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLRDNORM, EPOLLWRBAND,
    EPOLLWRNORM, KEY_ALL, KEY_IN, KEY_OUT,
};
use crate::file::{FileId, Kind, UdpId};
use crate::model::{Branch, Io};
use crate::op::{Fd, Op, Outcome, Port, Shut, SockOpt, SockOptGet};
use crate::world::World;
use std::collections::VecDeque;

/// The largest UDP payload over IPv4: 65,535 less the IP and UDP headers.
pub const UDP_MAX_PAYLOAD: usize = 65_507;

/// `SO_TYPE` of a stream socket.
const SOCK_STREAM: i32 = 1;
/// `SO_TYPE` of a datagram socket.
const SOCK_DGRAM: i32 = 2;

/// What a received datagram of `len` bytes is charged (`skb->truesize`), approximately:
/// fitted to Linux 6.18's drops on loopback (FREEDOMS.md, 10). 832 bytes up to 192 bytes of
/// payload; then 256 plus the next power of two of `len + 384`.
pub fn truesize(len: usize) -> usize {
    let head = len + 64 + 320;
    256 + if head <= 576 {
        576
    } else {
        head.next_power_of_two()
    }
}

/// A UDP address as the model knows it: a harness port (on 127.0.0.1), or the ephemeral
/// port a socket took for itself.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Addr {
    Port(Port),
    Ephemeral(UdpId),
}

/// On the wire: a datagram of `len` bytes from `from` to `to`, or (`icmp`) the
/// port-unreachable answer to one, travelling back to `from`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Dgram {
    pub(crate) from: Addr,
    pub(crate) to: Addr,
    pub(crate) len: usize,
    pub(crate) icmp: bool,
}

/// One UDP socket. Kept after its last close (`file` `None`, no address) while its outbox
/// still holds datagrams on the wire.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Udp {
    pub(crate) file: Option<FileId>,
    pub(crate) addr: Option<Addr>,
    pub(crate) peer: Option<Port>,
    pub(crate) reuse: bool,
    /// Bind order: ties in delivery go to the socket bound last.
    pub(crate) bind_seq: u32,
    /// Queued datagrams: (length, sender).
    pub(crate) queue: VecDeque<(usize, Addr)>,
    /// The queue's charge: its datagrams' `truesize`.
    pub(crate) rmem: usize,
    pub(crate) err: Option<i32>,
    pub(crate) rd_shut: bool,
    pub(crate) wr_shut: bool,
    /// Sent and not arrived, oldest first.
    pub(crate) outbox: VecDeque<Dgram>,
}

impl Udp {
    pub(crate) fn poll(&self) -> Ready {
        let mut mask = EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
        if self.err.is_some() {
            mask |= EPOLLERR;
        }
        if self.rd_shut {
            mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
        }
        if self.rd_shut && self.wr_shut {
            mask |= EPOLLHUP;
        }
        if !self.queue.is_empty() {
            mask |= EPOLLIN | EPOLLRDNORM;
        }
        Ready::sure(mask)
    }
}

impl World {
    fn udp(&self, u: UdpId) -> &Udp {
        &self.udps[&u]
    }

    fn udp_mut(&mut self, u: UdpId) -> &mut Udp {
        self.udps
            .get_mut(&u)
            .expect("UDP socket ids are never removed")
    }

    /// The UDP socket `fd` names, `None` for another file; `EBADF` if not open.
    fn udp_of(&self, fd: Fd) -> Result<Option<UdpId>, i32> {
        Ok(match self.file(self.file_of(fd)?).kind {
            Kind::Udp(u) => Some(u),
            _ => None,
        })
    }

    /// The branches of `op` when it is a UDP op or names a UDP socket; `None` otherwise.
    pub(crate) fn udp_branches(&self, op: &Op) -> Option<Vec<Branch>> {
        let named = |fd: Fd| match self.udp_of(fd) {
            Ok(Some(u)) => Some(Ok(u)),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        };
        let on = |fd: Fd, body: &dyn Fn(&mut World, UdpId) -> Result<Outcome, i32>| {
            named(fd).map(|u| match u {
                Ok(u) => self.exact(|w| body(w, u)),
                Err(e) => self.fail(e),
            })
        };
        match *op {
            Op::UdpSocket => Some(self.exact(World::udp_socket)),
            Op::SendTo { fd, len, to } => match self.file_of(fd) {
                Err(e) => Some(self.fail(e)),
                Ok(file) => match self.file(file).kind {
                    Kind::Udp(u) => Some(self.exact(|w| w.udp_sendto(u, len, to))),
                    // TCP ignores the address, as it does once connected.
                    Kind::Socket(s) => Some(self.socket_write(s, len)),
                    _ => Some(self.fail(ENOTSOCK)),
                },
            },
            Op::RecvFrom {
                fd,
                len,
                peek,
                trunc,
            } => Some(match self.udp_of(fd) {
                Err(e) => self.fail(e),
                Ok(Some(u)) => self.exact(|w| w.udp_recvfrom(u, len, peek, trunc)),
                // `MSG_TRUNC` on TCP takes the bytes without copying them: a read.
                Ok(None) => match self.file(self.file_of(fd).expect("open")).kind {
                    Kind::Socket(s) if peek => self.socket_recv(s, len, Io::Peek),
                    Kind::Socket(s) => self.socket_read(s, len),
                    _ => self.fail(ENOTSOCK),
                },
            }),
            Op::GetSockOpt { fd, opt } => Some(self.exact(|w| w.getsockopt(fd, opt))),
            Op::Bind { fd, port } => on(fd, &|w, u| w.udp_bind(u, port)),
            Op::Connect { fd, port } => on(fd, &|w, u| w.udp_connect(u, port)),
            Op::Listen { fd, .. } => on(fd, &|_, _| Err(EOPNOTSUPP)),
            Op::Accept { fd } => on(fd, &|w, _| {
                w.fds.lowest_free().ok_or(EMFILE)?;
                Err(EOPNOTSUPP)
            }),
            Op::SetSockOpt { fd, opt } => on(fd, &|w, u| w.udp_setsockopt(u, opt)),
            Op::SoError { fd } => on(fd, &|w, u| {
                Ok(Outcome::SoError(w.udp_mut(u).err.take().unwrap_or(0)))
            }),
            Op::Shutdown { fd, how } => on(fd, &|w, u| w.udp_shutdown(u, how)),
            Op::Read { fd, len } => on(fd, &|w, u| {
                if len == 0 {
                    return Ok(Outcome::Bytes(0)); // sock_read_iter
                }
                match w.udp_recvfrom(u, len, false, false)? {
                    Outcome::Datagram { len, .. } => Ok(Outcome::Bytes(len)),
                    other => Ok(other),
                }
            }),
            Op::Write { fd, len } => on(fd, &|w, u| w.udp_sendto(u, len, None)),
            _ => None,
        }
    }

    fn udp_socket(&mut self) -> Result<Outcome, i32> {
        self.fds.lowest_free().ok_or(EMFILE)?;
        let u = UdpId(self.next_id());
        let (fd, file) = self.open(Kind::Udp(u))?;
        let reuse = self.cfg.reuse_addr;
        self.udps.insert(
            u,
            Udp {
                file: Some(file),
                reuse,
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

    fn udp_bind(&mut self, u: UdpId, port: Port) -> Result<Outcome, i32> {
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

    fn udp_connect(&mut self, u: UdpId, port: Port) -> Result<Outcome, i32> {
        self.udp_autobind(u);
        self.udp_mut(u).peer = Some(port);
        Ok(Outcome::Ok)
    }

    fn udp_setsockopt(&mut self, u: UdpId, opt: SockOpt) -> Result<Outcome, i32> {
        match opt {
            SockOpt::ReuseAddr(on) => self.udp_mut(u).reuse = on,
            SockOpt::NoDelay(_) => return Err(ENOPROTOOPT),
            SockOpt::Linger(_) => {}
        }
        Ok(Outcome::Ok)
    }

    fn udp_shutdown(&mut self, u: UdpId, how: Shut) -> Result<Outcome, i32> {
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

    fn udp_sendto(&mut self, u: UdpId, len: usize, to: Option<Port>) -> Result<Outcome, i32> {
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

    fn udp_recvfrom(
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
    /// socket's are unsupported: they grow with the connection); `TCP_NODELAY` of either.
    fn getsockopt(&mut self, fd: Fd, opt: SockOptGet) -> Result<Outcome, i32> {
        let file = self.file_of(fd).map_err(|_| EBADF)?;
        let udp = match self.file(file).kind {
            Kind::Udp(_) => true,
            Kind::Socket(_) => false,
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

    /// The last close: the socket stops receiving; its outbox stays on the wire.
    pub(crate) fn udp_release(&mut self, u: UdpId) {
        let sock = self.udp_mut(u);
        sock.file = None;
        sock.addr = None;
        sock.peer = None;
        sock.queue.clear();
        sock.rmem = 0;
    }

    /// `__udp4_lib_lookup`: the live socket a datagram to `to` from `from` reaches.
    fn udp_lookup(&self, to: Addr, from: Addr) -> Option<UdpId> {
        let scored = self.udps.iter().filter_map(|(&u, sock)| {
            if sock.file.is_none() || sock.addr != Some(to) {
                return None;
            }
            let score = match sock.peer {
                None => 0,
                Some(p) if Addr::Port(p) == from => 1,
                Some(_) => return None,
            };
            Some((score, sock.bind_seq, u))
        });
        scored.max().map(|(.., u)| u)
    }

    /// UDP sockets with something on the wire.
    pub(crate) fn udp_senders(&self) -> Vec<UdpId> {
        let with = self.udps.iter().filter(|(_, s)| !s.outbox.is_empty());
        with.map(|(&u, _)| u).collect()
    }

    /// Every state one arrival from `u`'s outbox leads to: the oldest item of each
    /// destination (FIFO per destination, any order across them).
    pub(crate) fn udp_deliveries(&self, u: UdpId) -> Vec<World> {
        let outbox = &self.udp(u).outbox;
        let mut heads: Vec<usize> = Vec::new();
        for (i, d) in outbox.iter().enumerate() {
            if !heads
                .iter()
                .any(|&h| (outbox[h].to, outbox[h].icmp) == (d.to, d.icmp))
            {
                heads.push(i);
            }
        }
        heads
            .into_iter()
            .map(|i| {
                let mut w = self.clone();
                w.udp_arrive(u, i);
                w
            })
            .collect()
    }

    /// `Settle`: every state in which everything on the wire has arrived (answers
    /// included). Arrivals that commute are made in one order: an ICMP answer (it only sets
    /// an error, which reads the same whatever came first), and a datagram no other socket
    /// is sending to the same address. Datagrams of several senders to one address
    /// interleave in every way (the receiver's queue order is the network's choice).
    pub(crate) fn udp_settled(&self, cap: usize) -> Result<Vec<World>, usize> {
        let mut done = std::collections::BTreeSet::new();
        let mut todo = vec![self.clone()];
        while let Some(mut w) = todo.pop() {
            w.udp_deliver_commuting();
            let senders = w.udp_senders();
            if senders.is_empty() {
                done.insert(w);
            } else {
                for u in senders {
                    todo.extend(w.udp_deliveries(u));
                }
            }
            if done.len() + todo.len() > cap {
                return Err(done.len() + todo.len());
            }
        }
        Ok(done.into_iter().collect())
    }

    /// Delivers, one at a time, every head of an outbox whose arrival commutes with the rest
    /// (see `udp_settled`).
    fn udp_deliver_commuting(&mut self) {
        'again: loop {
            for u in self.udp_senders() {
                let outbox = &self.udp(u).outbox;
                for (i, d) in outbox.iter().enumerate() {
                    let first_to_there = outbox
                        .iter()
                        .take(i)
                        .all(|e| (e.to, e.icmp) != (d.to, d.icmp));
                    if !first_to_there {
                        continue;
                    }
                    let shared = !d.icmp
                        && self.udps.iter().any(|(&o, other)| {
                            o != u && other.outbox.iter().any(|e| !e.icmp && e.to == d.to)
                        });
                    if !shared {
                        self.udp_arrive(u, i);
                        continue 'again;
                    }
                }
            }
            return;
        }
    }

    /// Item `i` of `u`'s outbox arrives.
    fn udp_arrive(&mut self, u: UdpId, i: usize) {
        let d = self
            .udp_mut(u)
            .outbox
            .remove(i)
            .expect("arrival of an item not on the wire");
        if d.icmp {
            let Some(s) = self.udp_lookup(d.from, d.to) else {
                return;
            };
            let sock = self.udp_mut(s);
            if sock.peer.is_some() {
                sock.err = Some(ECONNREFUSED);
                if let Some(file) = sock.file {
                    self.wake(file, EPOLLERR, Edge::Must);
                }
            }
            return;
        }
        let Some(r) = self.udp_lookup(d.to, d.from) else {
            self.udp_mut(u).outbox.push_back(Dgram { icmp: true, ..d });
            return;
        };
        let rcvbuf = self.cfg.udp_rcvbuf;
        let sock = self.udp_mut(r);
        let size = truesize(d.len);
        if sock.rmem > 0 && sock.rmem + size > rcvbuf {
            return; // dropped: the queue is full
        }
        sock.rmem += size;
        sock.queue.push_back((d.len, d.from));
        if let Some(file) = sock.file {
            self.wake(file, KEY_IN, Edge::Must);
        }
    }

    /// Whether UDP traffic can change the answer to `op`: it names a UDP socket, or an epoll
    /// (which may watch one).
    pub(crate) fn udp_relevant(&self, op: &Op) -> bool {
        if self.udps.is_empty() {
            return false;
        }
        let udp_or_epoll = |fd: Fd| {
            self.fds
                .get(fd)
                .is_some_and(|f| matches!(self.file(f).kind, Kind::Udp(_) | Kind::Epoll(_)))
        };
        match *op {
            Op::Bind { fd, .. }
            | Op::Connect { fd, .. }
            | Op::SoError { fd }
            | Op::Shutdown { fd, .. }
            | Op::Read { fd, .. }
            | Op::Write { fd, .. }
            | Op::Close { fd }
            | Op::SendTo { fd, .. }
            | Op::RecvFrom { fd, .. }
            | Op::Fionread { fd }
            | Op::Dup3 { newfd: fd, .. }
            | Op::Dup2 { newfd: fd, .. }
            | Op::GetSockOpt { fd, .. }
            | Op::EpollWait { epfd: fd, .. }
            | Op::EpollPwait { epfd: fd, .. } => udp_or_epoll(fd),
            Op::Poll { ref fds, .. } => fds.iter().any(|&(fd, _)| udp_or_epoll(fd)),
            Op::EpollCtl { fd, .. } => udp_or_epoll(fd),
            _ => false,
        }
    }

    /// UDP sockets, for `World::describe`.
    pub(crate) fn describe_udp(&self, out: &mut String) {
        use std::fmt::Write as _;
        for (id, s) in &self.udps {
            let _ = writeln!(
                out,
                "  {id:?} file {:?} addr {:?} peer {:?} queue {:?} err {:?} shut rd {} wr {} \
                 in flight {:?}",
                s.file,
                s.addr,
                s.peer,
                s.queue,
                s.err.map(crate::errno::describe),
                s.rd_shut,
                s.wr_shut,
                s.outbox
            );
        }
    }
}
