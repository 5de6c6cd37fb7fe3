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
//!
//! Children: `calls` (the call bodies), `arrival` (lookup, arrival, `Settle`, the last close).

use crate::errno::{EMFILE, ENOTSOCK, EOPNOTSUPP};
use crate::event::{
    Ready, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLRDNORM, EPOLLWRBAND, EPOLLWRNORM,
};
use crate::file::{FileId, Kind, UdpId};
use crate::model::{Branch, Io};
use crate::op::{Fd, Op, Outcome, Port};
use crate::world::World;
use std::collections::VecDeque;

mod arrival;
mod calls;

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
    /// `IP_TTL` as set (`None`: the default) and `SO_BROADCAST`: stored, read back.
    pub(crate) ttl: Option<u8>,
    pub(crate) broadcast: bool,
    /// `IP_MULTICAST_TTL` and `IP_MULTICAST_LOOP` (1 and on for a new socket: `udp_socket`
    /// sets them, not `Default`): stored, read back (no multicast group is modelled).
    pub(crate) mc_ttl: u8,
    pub(crate) mc_loop: bool,
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
