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
//!
//! Children: `dispatch` (which op goes to which body, and what is unsupported), `calls` (the
//! call bodies).

use crate::epoll::Edge;
use crate::errno::ECONNRESET;
use crate::event::{
    Ready, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLRDNORM, EPOLLWRBAND,
    EPOLLWRNORM, KEY_ALL,
};
use crate::file::{Kind, UnixId};
use crate::op::{Fd, UnixName};
use crate::unix_io::Skb;
use crate::world::World;
use std::collections::VecDeque;

mod calls;
mod dispatch;

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
    /// `SO_BROADCAST`: read back, no effect; an accepted socket starts without it.
    pub(crate) broadcast: bool,
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
            broadcast: false,
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
