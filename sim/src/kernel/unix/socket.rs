//! `Socket`: one Unix-domain socket — type, name, state, peer, receive queue, send charge,
//! shutdown bits and pending error — and its poll mask (`unix_poll`, `unix_dgram_poll`).
//!
//! Invariants, checked where they change: a socket's `wmem` is the sum of the charges of its
//! skbs still queued at receivers (`Kernel::unix_check_wmem`); a connected stream socket's
//! peer, while alive, names it back.

use super::skb::{Skb, MAX_DGRAM_QLEN};
use crate::kernel::file::FileKey;
use crate::kernel::Kernel;
use simkern_poller::sys::epoll::{EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP};
use simkern_poller::sys::{Errno, SockType, UnixAddr};
use std::collections::VecDeque;

slotmap::new_key_type! {
    /// A Unix-domain socket (`struct unix_sock`).
    pub(crate) struct UnixKey;
}

/// A socket's connection state.
#[derive(Debug)]
pub(crate) enum State {
    /// `TCP_CLOSE`: a fresh, bound, or (datagram) possibly connected socket; a datagram
    /// socket's default peer is in `peer` whatever the state.
    Unconnected,
    /// `TCP_LISTEN` with the backlog and the embryos not yet accepted, oldest first.
    Listen {
        backlog: u32,
        queue: VecDeque<UnixKey>,
    },
    /// `TCP_ESTABLISHED`: a connected stream socket (or a socketpair end).
    Connected,
}

/// A Unix-domain socket.
#[derive(Debug)]
pub(crate) struct Socket {
    pub(crate) ty: SockType,
    /// The file naming it; `None` for an embryo on a listener's queue.
    pub(crate) file: Option<FileKey>,
    /// The bound name (`Unnamed` if none); an accepted socket has its listener's.
    pub(crate) name: UnixAddr,
    /// Whether it bound `name` itself (and holds it in the namespace), not inherited it.
    pub(crate) binder: bool,
    pub(crate) state: State,
    /// The other end (stream) or the default destination (datagram). A key whose socket is
    /// gone is a dead peer.
    pub(crate) peer: Option<UnixKey>,
    /// The peer's name when it was connected (what `getpeername` reports, also once the
    /// peer is gone, as Linux keeps the reference).
    pub(crate) peer_name: UnixAddr,
    pub(crate) queue: VecDeque<Skb>,
    /// The charge of this socket's skbs still queued at receivers.
    pub(crate) wmem: usize,
    pub(crate) rcv_shutdown: bool,
    pub(crate) snd_shutdown: bool,
    /// `sk_err`, taken by the next read that finds the queue empty, or `SO_ERROR`.
    pub(crate) error: Option<Errno>,
    /// `SO_BROADCAST`: stored, read back, no effect. Not inherited by an accepted socket
    /// (`unix_stream_connect` makes the child with `unix_create1`, not a clone).
    pub(crate) broadcast: bool,
}

impl Socket {
    pub(crate) fn new(ty: SockType) -> Socket {
        Socket {
            ty,
            file: None,
            name: UnixAddr::Unnamed,
            binder: false,
            state: State::Unconnected,
            peer: None,
            peer_name: UnixAddr::Unnamed,
            queue: VecDeque::new(),
            wmem: 0,
            rcv_shutdown: false,
            snd_shutdown: false,
            error: None,
            broadcast: false,
        }
    }

    /// `unix_inq_len` (`ioctl(FIONREAD)`): a stream socket's unread bytes, a datagram
    /// socket's next datagram's length (0 when none); `EINVAL` on a listener.
    pub(crate) fn inq_len(&self) -> Result<usize, simkern_poller::sys::Errno> {
        if matches!(self.state, State::Listen { .. }) {
            return Err(simkern_poller::sys::Errno::EINVAL);
        }
        Ok(match self.ty {
            simkern_poller::sys::SockType::Stream => {
                self.queue.iter().map(|skb| skb.data.len() - skb.read).sum()
            }
            simkern_poller::sys::SockType::Dgram => self.queue.front().map_or(0, |s| s.data.len()),
        })
    }

    /// Whether its receive queue is full to a sender it is not connected to
    /// (`unix_recvq_full`: more queued than the backlog, or than `max_dgram_qlen`).
    pub(crate) fn recvq_full(&self) -> bool {
        match &self.state {
            State::Listen { backlog, queue } => queue.len() > *backlog as usize,
            _ => self.queue.len() > MAX_DGRAM_QLEN,
        }
    }

    /// `unix_writable`: `sk_wmem_alloc` (the send charge plus its bias of 1) at most a
    /// quarter of `sndbuf`.
    pub(crate) fn writable(&self, sndbuf: usize) -> bool {
        !matches!(self.state, State::Listen { .. }) && (self.wmem + 1) * 4 <= sndbuf
    }
}

impl Kernel {
    /// `unix_poll` (stream) or `unix_dgram_poll`.
    pub(crate) fn unix_poll(&self, k: UnixKey) -> u32 {
        let sock = &self.unixes[k];
        let mut mask = 0;
        if sock.error.is_some() {
            mask |= EPOLLERR;
        }
        if sock.rcv_shutdown && sock.snd_shutdown {
            mask |= EPOLLHUP;
        }
        if sock.rcv_shutdown {
            mask |= EPOLLIN | EPOLLRDHUP;
        }
        let queued = match &sock.state {
            State::Listen { queue, .. } => !queue.is_empty(),
            _ => !sock.queue.is_empty(),
        };
        if queued {
            mask |= EPOLLIN;
        }
        let mut writable = sock.writable(super::super::WMEM_DEFAULT);
        match sock.ty {
            SockType::Stream => {
                if matches!(sock.state, State::Unconnected) {
                    mask |= EPOLLHUP;
                }
            }
            SockType::Dgram => {
                // A connected sender is unwritable while its peer is full to it.
                if let Some(other) = sock.peer.and_then(|p| self.unixes.get(p)) {
                    if other.peer != Some(k) && other.recvq_full() {
                        writable = false;
                    }
                }
            }
        }
        if writable {
            mask |= EPOLLOUT;
        }
        mask
    }

    /// Wakes the file of Unix socket `k` (if it has one) with poll key `key`.
    pub(crate) fn wake_unix(&mut self, k: UnixKey, key: u32) {
        if let Some(file) = self.unixes.get(k).and_then(|s| s.file) {
            self.wake(file, key);
        }
    }

    /// Debug check: `k`'s `wmem` is the charge of its skbs queued anywhere.
    pub(crate) fn unix_check_wmem(&self, k: UnixKey) {
        if cfg!(debug_assertions) {
            let Some(sock) = self.unixes.get(k) else {
                return;
            };
            let mut held = 0;
            for (_, s) in &self.unixes {
                held += s
                    .queue
                    .iter()
                    .filter(|b| b.sender == k)
                    .map(|b| b.charge)
                    .sum::<usize>();
            }
            assert_eq!(
                sock.wmem, held,
                "unix socket {k:?}: wmem differs from its queued skbs' charge"
            );
        }
    }
}

impl Kernel {
    /// One line about Unix socket `k` for `describe`.
    pub(crate) fn describe_unix(&self, k: UnixKey) -> String {
        let sock = &self.unixes[k];
        let ty = match sock.ty {
            SockType::Stream => "stream",
            SockType::Dgram => "dgram",
        };
        let state = match &sock.state {
            State::Unconnected => "unconnected".to_string(),
            State::Listen { backlog, queue } => {
                format!("listening (backlog {backlog}, {} queued)", queue.len())
            }
            State::Connected => "connected".to_string(),
        };
        let peer = match sock.peer {
            Some(p) if self.unixes.contains_key(p) => format!(" -> {:?}", sock.peer_name),
            Some(_) => format!(" -> {:?} (gone)", sock.peer_name),
            None => String::new(),
        };
        let mut line = format!(
            "unix {ty} socket {:?} {:?} {state}{peer}, {} skbs queued ({} bytes), wmem {}",
            k,
            sock.name,
            sock.queue.len(),
            sock.queue
                .iter()
                .map(|b| b.data.len() - b.read)
                .sum::<usize>(),
            sock.wmem
        );
        if sock.rcv_shutdown || sock.snd_shutdown {
            line.push_str(&format!(
                ", shut{}{}",
                if sock.rcv_shutdown { " rd" } else { "" },
                if sock.snd_shutdown { " wr" } else { "" }
            ));
        }
        if let Some(e) = sock.error {
            line.push_str(&format!(", error {e}"));
        }
        line
    }
}
