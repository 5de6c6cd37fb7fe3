//! The Unix-domain socket calls: `socket`, `socketpair`, `unlink`, `bind`, `listen`, `connect`
//! (stream and datagram), `accept4`, `getsockname`/`getpeername`, `shutdown`, `getsockopt` and
//! `FIONREAD`, in the order of checks the module docs of `unix` give.

use super::{name_key, State, Unix, UNIX_RCVBUF, UNIX_SNDBUF};
use crate::epoll::Edge;
use crate::errno::{
    EADDRINUSE, EAGAIN, ECONNREFUSED, ECONNRESET, EINVAL, EISCONN, EMFILE, ENOENT, ENOTCONN,
    EOPNOTSUPP, EPERM, EPROTOTYPE,
};
use crate::event::{EPOLLERR, KEY_ALL, KEY_IN, KEY_OUT};
use crate::file::{Kind, UnixId};
use crate::op::{Fd, Outcome, Shut, SockOptGet, UnixName};
use crate::world::World;
use std::collections::VecDeque;

impl World {
    fn unix_new(&mut self, dgram: bool) -> Result<(Fd, UnixId), i32> {
        let u = UnixId(self.next_id());
        let (fd, file) = self.open(Kind::Unix(u))?;
        let mut sock = Unix::new(dgram);
        sock.file = Some(file);
        self.unixes.insert(u, sock);
        Ok((fd, u))
    }

    pub(super) fn unix_socket(&mut self, dgram: bool) -> Result<Outcome, i32> {
        self.fds.lowest_free().ok_or(EMFILE)?;
        let (fd, _) = self.unix_new(dgram)?;
        Ok(Outcome::Fd(fd))
    }

    pub(super) fn socketpair(&mut self, dgram: bool) -> Result<Outcome, i32> {
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

    pub(super) fn unix_unlink(&mut self, name: UnixName) -> Result<Outcome, i32> {
        self.unix_names
            .remove(&name_key(name, false))
            .ok_or(ENOENT)?;
        Ok(Outcome::Ok)
    }

    pub(super) fn unix_bind(&mut self, u: UnixId, name: UnixName) -> Result<Outcome, i32> {
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

    pub(super) fn unix_listen(&mut self, u: UnixId, backlog: i32) -> Result<Outcome, i32> {
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

    pub(super) fn unix_connect(&mut self, u: UnixId, name: UnixName) -> Result<Outcome, i32> {
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

    pub(super) fn unix_accept(&mut self, u: UnixId) -> Result<Outcome, i32> {
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

    pub(super) fn unix_getname(&mut self, u: UnixId, peer: bool) -> Result<Outcome, i32> {
        if !peer {
            return Ok(Outcome::Name(self.unix(u).name));
        }
        self.unix_peer_name(u).map(Outcome::Name).ok_or(ENOTCONN)
    }

    pub(super) fn unix_shutdown(&mut self, u: UnixId, how: Shut) -> Result<Outcome, i32> {
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

    pub(super) fn unix_getsockopt(&mut self, u: UnixId, opt: SockOptGet) -> Result<Outcome, i32> {
        let int = |n: usize| i32::try_from(n).expect("a buffer size fits an int");
        Ok(Outcome::Int(match opt {
            SockOptGet::Type => 1 + i32::from(self.unix(u).dgram),
            SockOptGet::SndBuf => int(UNIX_SNDBUF),
            SockOptGet::RcvBuf => int(UNIX_RCVBUF),
            SockOptGet::Error => self.unix_mut(u).err.take().unwrap_or(0),
            SockOptGet::Broadcast => i32::from(self.unix(u).broadcast),
            SockOptGet::NoDelay
            | SockOptGet::Ttl
            | SockOptGet::MulticastTtl
            | SockOptGet::MulticastLoop => return Err(EOPNOTSUPP),
        }))
    }

    /// `unix_inq_len`: a stream's unread bytes, a datagram socket's next datagram (0 when
    /// none); `EINVAL` on a listener.
    pub(super) fn unix_fionread(&self, u: UnixId) -> Result<Outcome, i32> {
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
}
