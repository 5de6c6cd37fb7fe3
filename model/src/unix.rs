//! Unix-domain sockets (`AF_UNIX`), stream and datagram: the namespace of names, `socket`,
//! `socketpair`, `bind`, `listen`, `connect`, `accept4`, `shutdown`, the options, names,
//! poll, and the last close. `unix_io` holds `send`, `recv` and the skbs they move.
//!
//! Owns: one Unix socket's facts that decide syscall results — its type, its name (and
//! whether it bound it itself), its state (unconnected, listening with a queue of embryos,
//! connected), its peer, its receive queue of skbs, `wmem` (the charge of its own skbs still
//! queued at a receiver), its shutdown bits and its pending error — and the namespace: a
//! bound path stays until `unlink`, whether its socket lives or not; an abstract name goes
//! with its socket. Sockets are kept after their last close (`dead`): a queued skb names its
//! sender, and a survivor's `getpeername` its dead peer, as Linux keeps the reference.
//!
//! Nothing here is a freedom (FREEDOMS.md, 11): delivery is inside the sending call, so every
//! op has one answer, and the network (`progress`, `Settle`) never touches a Unix socket.
//!
//! Linux (`net/unix/af_unix.c`, 6.18), in each call's order of checks:
//! - `bind`: a path that exists is `EADDRINUSE` (`mknod` runs first), then a bound socket
//!   `EINVAL`, then an abstract name held `EADDRINUSE`.
//! - `listen`: `EOPNOTSUPP` on a datagram socket, `EINVAL` unnamed or connected; the backlog
//!   capped at `somaxconn` (a negative one is `somaxconn`); listening again resets it.
//! - `connect` of a stream socket (`unix_find_other` first: `ENOENT` for a path nobody bound,
//!   `ECONNREFUSED` for a name whose socket is gone, `EPROTOTYPE` for a path of the other
//!   type; abstract names are per type, the other type's is not found: `ECONNREFUSED`), then
//!   `ECONNREFUSED` unless the socket listens and is not shut for reading, `EAGAIN` with more
//!   than `backlog` connections queued, `EISCONN`/`EINVAL` for a connected/listening caller.
//!   It completes inside the call: an embryo, named as the listener, joins its queue and
//!   takes data before `accept4`. The caller gets no wakeup (its mask loses `EPOLLHUP`).
//! - `connect` of a datagram socket sets the default peer (`EPERM` if that socket is connected
//!   elsewhere); a new peer purges the caller's queue and, if the old peer was connected back
//!   and there was something to purge, gives it `ECONNRESET` (`unix_dgram_disconnected`).
//! - `accept4`: `EMFILE` before the protocol; `EOPNOTSUPP` on a datagram socket, `EINVAL`
//!   unless listening, `EAGAIN` with nothing queued; the peer's name is its name now.
//! - `shutdown` always succeeds; on a connected stream socket the peer gets the mirrored bits.
//!   Both are woken.
//! - the last close: a stream peer gets both directions shut and, if the closing socket had
//!   unread data or was an embryo, `ECONNRESET`; a listener's embryos are closed in turn; the
//!   queue's skbs are freed (their senders' charges with them).
//! - poll (`unix_poll`, `unix_dgram_poll`): `EPOLLERR` with an error pending, `EPOLLHUP` with
//!   both directions shut (and for a stream socket while unconnected), `EPOLLIN|EPOLLRDHUP`
//!   after `SHUT_RD`, `EPOLLIN` with data (a listener: a connection queued), `EPOLLOUT` while
//!   `(wmem + 1) * 4 <= sndbuf` (`unix_writable`, `sk_wmem_alloc` biased by 1), never on a
//!   listener, nor on a datagram socket whose peer is full to it.
//! - options: `SO_REUSEADDR`, `SO_LINGER` accepted and inert; `TCP_NODELAY` `EOPNOTSUPP`;
//!   `SO_SNDBUF`/`SO_RCVBUF` read `net.core.wmem_default`/`rmem_default`.
//!
//! Wakeups Linux sends only to sockets that registered for them (`peer_wait`: a connected
//! datagram sender that saw its peer full) are `Edge::May`: the model does not track who
//! polled when.
//! Does not model: autobind (`SO_PASSCRED`, `bind` of an empty name), `SOCK_SEQPACKET`,
//! `SCM_RIGHTS` and credentials, `MSG_OOB`, `SO_PEEK_OFF`, buffer sizes set by `setsockopt`,
//! `connect(AF_UNSPEC)`, directories and permissions of paths, inet calls on Unix sockets and
//! Unix calls on inet sockets (unsupported).

use crate::epoll::Edge;
use crate::errno::{
    EADDRINUSE, EAGAIN, ECONNREFUSED, ECONNRESET, EINVAL, EISCONN, EMFILE, ENOENT, ENOTCONN,
    ENOTSOCK, EOPNOTSUPP, EPERM, EPROTOTYPE,
};
use crate::event::{
    Ready, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLRDNORM, EPOLLWRBAND,
    EPOLLWRNORM, KEY_ALL, KEY_IN, KEY_OUT,
};
use crate::file::{Kind, UnixId};
use crate::model::Branch;
use crate::op::{Fd, Op, Outcome, Shut, SockOpt, SockOptGet, UnixName};
use crate::unix_io::Skb;
use crate::world::World;
use std::collections::VecDeque;

/// `net.core.wmem_default`: a Unix socket's `SO_SNDBUF`, the bound on its send charge.
pub(crate) const UNIX_SNDBUF: usize = 212_992;
/// `net.core.rmem_default`: what `SO_RCVBUF` reads (a Unix socket never consults it).
const UNIX_RCVBUF: usize = 212_992;
/// `net.unix.max_dgram_qlen`: a datagram socket is full with more than this many queued.
const MAX_DGRAM_QLEN: usize = 10;

/// A name's key in `World::unix_names`: a path is one name whatever the type; an abstract
/// name is one per type (`unix_abstract_hash` mixes the type into the hash and the lookup
/// never compares types: the other type's socket is not found, and may bind the same name).
pub(crate) fn name_key(name: UnixName, dgram: bool) -> (UnixName, bool) {
    match name {
        UnixName::Path(_) => (name, false),
        _ => (name, dgram),
    }
}

/// A socket's connection state (`sk_state`, as far as a call can tell it).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum State {
    Unconnected,
    /// Listening: the backlog, and the embryos not yet accepted, oldest first.
    Listen {
        backlog: u32,
        queue: VecDeque<UnixId>,
    },
    /// A connected stream socket (a `socketpair` end, a client, an embryo).
    Connected,
}

/// One Unix-domain socket.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Unix {
    pub(crate) dgram: bool,
    /// `None` for an embryo not yet accepted, and after the last close.
    pub(crate) file: Option<crate::file::FileId>,
    /// Closed (`SOCK_DEAD`).
    pub(crate) dead: bool,
    pub(crate) name: UnixName,
    /// It bound `name` itself (an embryo shares its listener's).
    pub(crate) binder: bool,
    pub(crate) state: State,
    /// The other end (stream), or the default destination (datagram).
    pub(crate) peer: Option<UnixId>,
    pub(crate) queue: VecDeque<Skb>,
    pub(crate) wmem: usize,
    pub(crate) rd_shut: bool,
    pub(crate) wr_shut: bool,
    pub(crate) err: Option<i32>,
}

impl Unix {
    fn new(dgram: bool) -> Unix {
        Unix {
            dgram,
            file: None,
            dead: false,
            name: UnixName::Unnamed,
            binder: false,
            state: State::Unconnected,
            peer: None,
            queue: VecDeque::new(),
            wmem: 0,
            rd_shut: false,
            wr_shut: false,
            err: None,
        }
    }

    /// `unix_recvq_full`: more queued than the backlog (a listener) or `max_dgram_qlen`.
    pub(crate) fn recvq_full(&self) -> bool {
        match &self.state {
            State::Listen { backlog, queue } => queue.len() > *backlog as usize,
            _ => self.queue.len() > MAX_DGRAM_QLEN,
        }
    }

    /// `unix_writable`: `sk_wmem_alloc` (the charge plus its bias of 1) at most a quarter of
    /// `sndbuf`; never a listener.
    pub(crate) fn writable(&self) -> bool {
        !matches!(self.state, State::Listen { .. }) && (self.wmem + 1) * 4 <= UNIX_SNDBUF
    }
}

impl World {
    pub(crate) fn unix(&self, u: UnixId) -> &Unix {
        &self.unixes[&u]
    }

    pub(crate) fn unix_mut(&mut self, u: UnixId) -> &mut Unix {
        self.unixes
            .get_mut(&u)
            .expect("Unix socket ids are never removed")
    }

    /// Wakes `u`'s file, if it has one.
    pub(crate) fn unix_wake(&mut self, u: UnixId, key: u32, edge: Edge) {
        if let Some(file) = self.unix(u).file {
            self.wake(file, key, edge);
        }
    }

    /// The `peer_wait` relay: datagram sockets connected to `u` (and not connected back) that
    /// may have registered there on seeing `u` full are woken, or not.
    pub(crate) fn unix_wake_peer_waiters(&mut self, u: UnixId, key: u32) {
        let back = self.unix(u).peer;
        let waiters: Vec<UnixId> = (self.unixes.iter())
            .filter(|(&s, sock)| s != u && sock.dgram && sock.peer == Some(u) && back != Some(s))
            .map(|(&s, _)| s)
            .collect();
        for s in waiters {
            self.unix_wake(s, key, Edge::May);
        }
    }

    /// The Unix socket `fd` names, `None` for another file; `EBADF` if not open.
    fn unix_of(&self, fd: Fd) -> Result<Option<UnixId>, i32> {
        Ok(match self.file(self.file_of(fd)?).kind {
            Kind::Unix(u) => Some(u),
            _ => None,
        })
    }

    /// The branches of `op` when it is a Unix op or names a Unix socket; `None` otherwise.
    pub(crate) fn unix_branches(&self, op: &Op) -> Option<Vec<Branch>> {
        type Body<'a> = &'a dyn Fn(&mut World, UnixId) -> Result<Outcome, i32>;
        // A Unix call: `EBADF`, `ENOTSOCK`, or the body (an inet socket is unsupported).
        let call = |fd: Fd, body: Body| match self.unix_of(fd) {
            Err(e) => self.fail(e),
            Ok(Some(u)) => self.exact(|w| body(w, u)),
            Ok(None) => self.fail(ENOTSOCK),
        };
        // A call every socket takes: answered here only on a Unix socket.
        let on = |fd: Fd, body: Body| match self.unix_of(fd) {
            Ok(Some(u)) => Some(self.exact(|w| body(w, u))),
            _ => None,
        };
        match *op {
            // `Sys` refuses a name no `sockaddr_un` can hold before making the call.
            Op::UnixBind {
                name: UnixName::Unnamed,
                ..
            }
            | Op::UnixConnect {
                name: UnixName::Unnamed,
                ..
            }
            | Op::UnixSendTo {
                to: Some(UnixName::Unnamed),
                ..
            } => Some(self.fail(EINVAL)),
            Op::UnixSocket { dgram } => Some(self.exact(|w| w.unix_socket(dgram))),
            Op::SocketPair { dgram } => Some(self.exact(|w| w.socketpair(dgram))),
            Op::Unlink { name } => Some(self.exact(|w| w.unix_unlink(name))),
            Op::UnixBind { fd, name } => Some(call(fd, &|w, u| w.unix_bind(u, name))),
            Op::UnixConnect { fd, name } => Some(call(fd, &|w, u| w.unix_connect(u, name))),
            Op::UnixAccept { fd } => Some(match self.file_of(fd) {
                Err(e) => self.fail(e),
                Ok(_) if self.fds.lowest_free().is_none() => self.fail(EMFILE),
                Ok(_) => call(fd, &|w, u| w.unix_accept(u)),
            }),
            Op::UnixSendTo { fd, len, to, .. } => Some(call(fd, &|w, u| {
                w.unix_send(u, len, to).map(Outcome::Bytes)
            })),
            Op::UnixRecvFrom {
                fd,
                len,
                peek,
                trunc,
                ..
            } => Some(call(fd, &|w, u| {
                let (len, from) = w.unix_recv(u, len, peek, trunc)?;
                Ok(Outcome::Received { len, from })
            })),
            Op::GetUnixName { fd, peer } => Some(call(fd, &|w, u| w.unix_getname(u, peer))),
            Op::Listen { fd, backlog } => on(fd, &|w, u| w.unix_listen(u, backlog)),
            Op::Shutdown { fd, how } => on(fd, &|w, u| w.unix_shutdown(u, how)),
            Op::SetSockOpt { fd, opt } => on(fd, &|_, _| match opt {
                SockOpt::ReuseAddr(_) | SockOpt::Linger(_) => Ok(Outcome::Ok),
                SockOpt::NoDelay(_) => Err(EOPNOTSUPP),
            }),
            Op::GetSockOpt { fd, opt } => on(fd, &|w, u| w.unix_getsockopt(u, opt)),
            Op::SoError { fd } => on(fd, &|w, u| {
                Ok(Outcome::SoError(w.unix_mut(u).err.take().unwrap_or(0)))
            }),
            Op::Fionread { fd } => on(fd, &|w, u| w.unix_fionread(u)),
            // `sock_read_iter`: a zero-length read returns 0 before the protocol looks.
            Op::Read { fd, len: 0 } => on(fd, &|_, _| Ok(Outcome::Bytes(0))),
            Op::Read { fd, len } => on(fd, &|w, u| {
                let (n, _) = w.unix_recv(u, len, false, false)?;
                Ok(Outcome::Bytes(n))
            }),
            Op::Write { fd, len } => on(fd, &|w, u| w.unix_send(u, len, None).map(Outcome::Bytes)),
            _ => None,
        }
    }

    /// Why `op` is outside the model's Unix sockets, if it is.
    pub(crate) fn unix_unsupported(&self, op: &Op) -> Option<&'static str> {
        let kind = |fd: Fd| self.fds.get(fd).map(|file| &self.file(file).kind);
        let inet = |fd: Fd| matches!(kind(fd), Some(Kind::Socket(_) | Kind::Udp(_)));
        let unix = |fd: Fd| matches!(kind(fd), Some(Kind::Unix(_)));
        match *op {
            Op::Unlink { name } if !matches!(name, UnixName::Path(_)) => {
                Some("unlink of a name that is not a path")
            }
            Op::UnixBind { fd, .. }
            | Op::UnixConnect { fd, .. }
            | Op::UnixAccept { fd }
            | Op::UnixSendTo { fd, .. }
            | Op::UnixRecvFrom { fd, .. }
            | Op::GetUnixName { fd, .. }
                if inet(fd) =>
            {
                Some("a Unix-address call on an inet socket")
            }
            Op::Bind { fd, .. }
            | Op::Connect { fd, .. }
            | Op::Accept { fd }
            | Op::SendTo { fd, .. }
            | Op::RecvFrom { fd, .. }
                if unix(fd) =>
            {
                Some("an inet-address call on a Unix socket")
            }
            _ => None,
        }
    }

    fn unix_new(&mut self, dgram: bool) -> Result<(Fd, UnixId), i32> {
        let u = UnixId(self.next_id());
        let (fd, file) = self.open(Kind::Unix(u))?;
        let mut sock = Unix::new(dgram);
        sock.file = Some(file);
        self.unixes.insert(u, sock);
        Ok((fd, u))
    }

    fn unix_socket(&mut self, dgram: bool) -> Result<Outcome, i32> {
        self.fds.lowest_free().ok_or(EMFILE)?;
        let (fd, _) = self.unix_new(dgram)?;
        Ok(Outcome::Fd(fd))
    }

    fn socketpair(&mut self, dgram: bool) -> Result<Outcome, i32> {
        if !self.fds.free_at_least(2) {
            return Err(EMFILE);
        }
        let (fa, a) = self.unix_new(dgram)?;
        let (fb, b) = self.unix_new(dgram)?;
        for (s, peer) in [(a, b), (b, a)] {
            let sock = self.unix_mut(s);
            sock.peer = Some(peer);
            if !dgram {
                sock.state = State::Connected;
            }
        }
        Ok(Outcome::Pair(fa, fb))
    }

    /// `unix_find_other`: the live socket behind `name` of the caller's type.
    pub(crate) fn unix_find(&self, name: UnixName, dgram: bool) -> Result<UnixId, i32> {
        let held = match (self.unix_names.get(&name_key(name, dgram)), name) {
            (Some(held), _) => *held,
            (None, UnixName::Path(_)) => return Err(ENOENT),
            (None, _) => None,
        };
        let u = held.ok_or(ECONNREFUSED)?;
        match self.unix(u) {
            s if s.dead => Err(ECONNREFUSED),
            s if s.dgram != dgram => Err(EPROTOTYPE),
            _ => Ok(u),
        }
    }

    fn unix_unlink(&mut self, name: UnixName) -> Result<Outcome, i32> {
        self.unix_names
            .remove(&name_key(name, false))
            .ok_or(ENOENT)?;
        Ok(Outcome::Ok)
    }

    fn unix_bind(&mut self, u: UnixId, name: UnixName) -> Result<Outcome, i32> {
        let path = matches!(name, UnixName::Path(_));
        if name == UnixName::Unnamed {
            return Err(EINVAL); // not a name the boundary passes (`UnixAddr::check`)
        }
        let key = name_key(name, self.unix(u).dgram);
        if path && self.unix_names.contains_key(&key) {
            return Err(EADDRINUSE); // mknod runs before the bound check
        }
        if self.unix(u).name != UnixName::Unnamed {
            return Err(EINVAL);
        }
        if self.unix_names.contains_key(&key) {
            return Err(EADDRINUSE);
        }
        self.unix_names.insert(key, Some(u));
        let sock = self.unix_mut(u);
        sock.name = name;
        sock.binder = true;
        Ok(Outcome::Ok)
    }

    fn unix_listen(&mut self, u: UnixId, backlog: i32) -> Result<Outcome, i32> {
        let somaxconn = self.cfg.somaxconn;
        let backlog = u32::try_from(backlog).map_or(somaxconn, |b| b.min(somaxconn));
        let sock = self.unix_mut(u);
        if sock.dgram {
            return Err(EOPNOTSUPP);
        }
        if sock.name == UnixName::Unnamed {
            return Err(EINVAL);
        }
        match &mut sock.state {
            State::Connected => return Err(EINVAL),
            State::Listen { backlog: b, .. } => *b = backlog,
            State::Unconnected => {
                sock.state = State::Listen {
                    backlog,
                    queue: VecDeque::new(),
                }
            }
        }
        Ok(Outcome::Ok)
    }

    fn unix_connect(&mut self, u: UnixId, name: UnixName) -> Result<Outcome, i32> {
        if name == UnixName::Unnamed {
            return Err(EINVAL);
        }
        if self.unix(u).dgram {
            return self.unix_dgram_connect(u, name);
        }
        let other = self.unix_find(name, false)?;
        let listener = self.unix(other);
        if !matches!(listener.state, State::Listen { .. }) || listener.rd_shut {
            return Err(ECONNREFUSED);
        }
        if listener.recvq_full() {
            return Err(EAGAIN);
        }
        match self.unix(u).state {
            State::Unconnected => {}
            State::Connected => return Err(EISCONN),
            State::Listen { .. } => return Err(EINVAL),
        }
        let embryo = UnixId(self.next_id());
        let mut sock = Unix::new(false);
        sock.name = self.unix(other).name;
        sock.state = State::Connected;
        sock.peer = Some(u);
        self.unixes.insert(embryo, sock);
        let client = self.unix_mut(u);
        client.state = State::Connected;
        client.peer = Some(embryo);
        let State::Listen { queue, .. } = &mut self.unix_mut(other).state else {
            unreachable!("checked listening above");
        };
        queue.push_back(embryo);
        self.unix_wake(other, KEY_IN, Edge::Must);
        Ok(Outcome::Ok)
    }

    /// `unix_may_send`: `other` takes datagrams from `u` unless connected elsewhere.
    pub(crate) fn unix_may_send(&self, other: UnixId, u: UnixId) -> bool {
        self.unix(other).peer.is_none_or(|p| p == u)
    }

    fn unix_dgram_connect(&mut self, u: UnixId, name: UnixName) -> Result<Outcome, i32> {
        let other = self.unix_find(name, true)?;
        if !self.unix_may_send(other, u) {
            return Err(EPERM);
        }
        if let Some(old) = self.unix_mut(u).peer.replace(other) {
            // `unix_dgram_peer_wake_disconnect_wakeup`: if `u` waited on the old peer.
            self.unix_wake(u, KEY_OUT, Edge::May);
            if old != other {
                self.unix_dgram_disconnected(u, old);
            }
        }
        Ok(Outcome::Ok)
    }

    /// `unix_dgram_disconnected`: `u` left peer `old`; what was queued at `u` is lost, and an
    /// old peer connected back learns it (`ECONNRESET`).
    pub(crate) fn unix_dgram_disconnected(&mut self, u: UnixId, old: UnixId) {
        if self.unix(u).queue.is_empty() {
            return;
        }
        self.unix_purge(u);
        self.unix_wake_peer_waiters(u, KEY_ALL);
        let o = self.unix_mut(old);
        if !o.dead && o.peer == Some(u) {
            o.err = Some(ECONNRESET);
            self.unix_wake(old, EPOLLERR, Edge::Must);
        }
    }

    fn unix_accept(&mut self, u: UnixId) -> Result<Outcome, i32> {
        let sock = self.unix_mut(u);
        if sock.dgram {
            return Err(EOPNOTSUPP);
        }
        let State::Listen { queue, .. } = &mut sock.state else {
            return Err(EINVAL);
        };
        let child = queue.pop_front().ok_or(EAGAIN)?;
        let (fd, file) = self.open(Kind::Unix(child))?;
        self.unix_mut(child).file = Some(file);
        let peer = self.unix_peer_name(child).unwrap_or(UnixName::Unnamed);
        Ok(Outcome::Accepted { fd, peer })
    }

    /// The name of `u`'s peer as it is now (`unix_getname` reads the peer's address).
    fn unix_peer_name(&self, u: UnixId) -> Option<UnixName> {
        self.unix(u).peer.map(|p| self.unix(p).name)
    }

    fn unix_getname(&mut self, u: UnixId, peer: bool) -> Result<Outcome, i32> {
        if !peer {
            return Ok(Outcome::Name(self.unix(u).name));
        }
        self.unix_peer_name(u).map(Outcome::Name).ok_or(ENOTCONN)
    }

    fn unix_shutdown(&mut self, u: UnixId, how: Shut) -> Result<Outcome, i32> {
        let (rd, wr) = how.bits();
        let sock = self.unix_mut(u);
        sock.rd_shut |= rd;
        sock.wr_shut |= wr;
        let peer = match (sock.dgram, &sock.state) {
            (false, State::Connected) => sock.peer,
            _ => None,
        };
        self.unix_wake(u, KEY_ALL, Edge::Must);
        if let Some(p) = peer {
            let other = self.unix_mut(p);
            other.wr_shut |= rd;
            other.rd_shut |= wr;
            self.unix_wake(p, KEY_ALL, Edge::Must);
        }
        Ok(Outcome::Ok)
    }

    fn unix_getsockopt(&mut self, u: UnixId, opt: SockOptGet) -> Result<Outcome, i32> {
        let int = |n: usize| i32::try_from(n).expect("a buffer size fits an int");
        Ok(Outcome::Int(match opt {
            SockOptGet::Type => 1 + i32::from(self.unix(u).dgram),
            SockOptGet::SndBuf => int(UNIX_SNDBUF),
            SockOptGet::RcvBuf => int(UNIX_RCVBUF),
            SockOptGet::Error => self.unix_mut(u).err.take().unwrap_or(0),
            SockOptGet::NoDelay => return Err(EOPNOTSUPP),
        }))
    }

    /// `unix_inq_len`: a stream's unread bytes, a datagram socket's next datagram (0 when
    /// none); `EINVAL` on a listener.
    fn unix_fionread(&self, u: UnixId) -> Result<Outcome, i32> {
        let sock = self.unix(u);
        if matches!(sock.state, State::Listen { .. }) {
            return Err(EINVAL);
        }
        let n = if sock.dgram {
            sock.queue.front().map_or(0, |s| s.len)
        } else {
            sock.queue.iter().map(|s| s.len - s.read).sum()
        };
        Ok(Outcome::Int(
            i32::try_from(n).expect("FIONREAD: a queue past i32::MAX"),
        ))
    }

    /// `unix_release_sock`: the last close of `u`, or (`embryo`) of a connection its listener
    /// never accepted.
    pub(crate) fn unix_release(&mut self, u: UnixId, embryo: bool) {
        let sock = self.unix_mut(u);
        sock.file = None;
        sock.dead = true;
        sock.rd_shut = true;
        sock.wr_shut = true;
        let (name, binder, dgram) = (sock.name, sock.binder, sock.dgram);
        let peer = sock.peer.take();
        let state = std::mem::replace(&mut sock.state, State::Unconnected);
        let unread = !sock.queue.is_empty();
        if binder {
            let key = name_key(name, dgram);
            match name {
                UnixName::Path(_) => {
                    if let Some(held) = self.unix_names.get_mut(&key).filter(|h| **h == Some(u)) {
                        *held = None; // the socket file stays until unlink
                    }
                }
                _ => {
                    let held = self.unix_names.remove(&key);
                    assert_eq!(held, Some(Some(u)), "abstract {name:?} not held by {u:?}");
                }
            }
        }
        if dgram {
            self.unix_wake_peer_waiters(u, KEY_ALL);
        }
        if let (false, Some(p)) = (dgram, peer) {
            let other = self.unix_mut(p);
            other.rd_shut = true;
            other.wr_shut = true;
            if unread || embryo {
                other.err = Some(ECONNRESET);
            }
            self.unix_wake(p, KEY_ALL, Edge::Must);
        }
        self.unix_purge(u);
        if let State::Listen { queue, .. } = state {
            for e in queue {
                self.unix_release(e, true);
            }
        }
    }

    /// `u`'s poll mask.
    pub(crate) fn unix_poll(&self, u: UnixId) -> Ready {
        let sock = self.unix(u);
        let mut mask = 0;
        if sock.err.is_some() {
            mask |= EPOLLERR;
        }
        if sock.rd_shut && sock.wr_shut {
            mask |= EPOLLHUP;
        }
        if sock.rd_shut {
            mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
        }
        let queued = match &sock.state {
            State::Listen { queue, .. } => !queue.is_empty(),
            _ => !sock.queue.is_empty(),
        };
        if queued {
            mask |= EPOLLIN | EPOLLRDNORM;
        }
        if !sock.dgram && sock.state == State::Unconnected {
            mask |= EPOLLHUP;
        }
        let mut writable = sock.writable();
        if let (true, Some(p)) = (sock.dgram, sock.peer) {
            let other = self.unix(p);
            if other.peer != Some(u) && other.recvq_full() {
                writable = false;
            }
        }
        if writable {
            mask |= EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
        }
        Ready::sure(mask)
    }

    /// Unix sockets and names, for `World::describe`.
    pub(crate) fn describe_unix(&self, out: &mut String) {
        use std::fmt::Write as _;
        for (id, s) in &self.unixes {
            let _ = writeln!(
                out,
                "  {id:?} {} file {:?}{} {:?} {:?} peer {:?} queue {:?} wmem {} shut rd {} wr {} \
                 err {:?}",
                if s.dgram { "dgram" } else { "stream" },
                s.file,
                if s.dead { " dead" } else { "" },
                s.name,
                s.state,
                s.peer,
                s.queue,
                s.wmem,
                s.rd_shut,
                s.wr_shut,
                s.err.map(crate::errno::describe)
            );
        }
        if !self.unix_names.is_empty() {
            let _ = writeln!(out, "  unix names: {:?}", self.unix_names);
        }
    }
}
