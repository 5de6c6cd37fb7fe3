//! One TCP socket on loopback: its state, and what `poll`, `read` and `write` see of it.
//!
//! Owns: the per-socket facts Linux keeps in `struct sock`/`struct socket` that decide syscall
//! results: the TCP state (`sk_state`), the socket state (`sock->state`, `SS_*`), the
//! shutdown bits (`sk_shutdown`), `SOCK_DONE` (FIN received), the pending error (`sk_err`),
//! bytes received and not yet read, bytes sent and not yet read-and-acknowledged by the peer,
//! the segments this socket has sent that are still in flight, a listener's accept queue, and
//! the two socket options that change what later calls do (`SO_REUSEADDR`, `SO_LINGER` 0).
//! The TCP state changes only through `set_tcp`, whose table lists every legal transition.
//!
//! Readiness follows `tcp_poll`: `EPOLLHUP` when both directions are shut or the state is
//! CLOSE (so a fresh socket is `EPOLLOUT|EPOLLHUP`); `EPOLLIN|EPOLLRDHUP` once receiving is shut
//! (FIN received, `SHUT_RD`, or reset); `EPOLLIN` with unread data; `EPOLLOUT` while sending is
//! possible by the buffer bounds of `Config` (uncertain between them) or once sending is shut;
//! `EPOLLERR` while an error is pending; a listener is `EPOLLIN` while its queue is not empty.
//! Does not model: urgent data, socket options other than those two and `TCP_NODELAY` (Nagle:
//! see `net::Seg::Nagle`), `SO_LINGER` with a timeout, keepalive and retransmission
//! timeouts, the byte contents of the stream (only counts), IPv6, UDP.

use crate::config::Config;
use crate::event::{
    Ready, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLRDNORM, EPOLLWRNORM,
};
use crate::file::{FileId, SockId};
use crate::net::Seg;
use crate::op::Port;
use std::collections::{BTreeSet, VecDeque};

/// `sk_state`, with Linux's names, plus `Unborn`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Tcp {
    /// The server half of a connection whose SYN has not reached a listener yet. Not a kernel
    /// object: the model creates it at `connect` so that ids do not depend on delivery order.
    Unborn,
    /// `TCP_CLOSE`: fresh, or finished (reset, refused, both FINs exchanged).
    Close,
    Listen,
    SynSent,
    /// A request socket (`TCP_NEW_SYN_RECV`): SYN seen, final ACK not yet.
    SynRecv,
    Established,
    /// `FIN_WAIT1`/`FIN_WAIT2`: our FIN sent, theirs not received.
    FinWait,
    /// Their FIN received, ours not sent.
    CloseWait,
    /// Both FINs sent, ours not yet acknowledged.
    LastAck,
    /// `CLOSING`: our FIN sent, theirs received before ours arrived (say, ours waits behind
    /// data the peer's window holds back). TIME_WAIT follows when ours arrives.
    Closing,
}

/// `sock->state`: what `connect` and `shutdown` remember about the socket's connection.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Ss {
    Unconnected,
    Connecting,
    Connected,
    Disconnecting,
}

/// The local port a socket holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Bound {
    No,
    /// One of the harness's ports, named by `bind` (`SOCK_BINDPORT_LOCK`): kept in CLOSE.
    Port(Port),
    /// The listener's port, inherited by a child. `sk_clone_lock` clears
    /// `SOCK_BINDPORT_LOCK`, so the child gives the port back on entering CLOSE.
    Child(Port),
    /// An ephemeral port chosen by `connect` or `listen` (`inet_autobind`): unreachable by
    /// the harness, never in conflict with its ports, released on entering CLOSE.
    Ephemeral,
}

/// A listener's accept queue, oldest first. Children that arrived together (within one
/// `Settle`, in no order Linux fixes) share a group; `accept4` may take any of the first group.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Backlog {
    /// `sk_max_ack_backlog`: the queue is full above this many (Linux lets `max + 1` in).
    pub(crate) max: u32,
    pub(crate) queue: VecDeque<BTreeSet<SockId>>,
}

impl Backlog {
    pub(crate) fn len(&self) -> usize {
        self.queue.iter().map(BTreeSet::len).sum()
    }

    /// `sk_acceptq_is_full`: `sk_ack_backlog > sk_max_ack_backlog`.
    pub(crate) fn full(&self) -> bool {
        self.len() > self.max as usize
    }

    /// Children that can still join before the queue is full.
    pub(crate) fn room(&self) -> usize {
        (self.max as usize + 1).saturating_sub(self.len())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Socket {
    pub(crate) tcp: Tcp,
    pub(crate) ss: Ss,
    /// The file referring to this socket; `None` for orphans and not-yet-accepted children.
    pub(crate) file: Option<FileId>,
    pub(crate) bound: Bound,
    /// The port `connect` targeted (client side).
    pub(crate) dest: Option<Port>,
    /// The other end of the connection: set at `connect` on both halves.
    pub(crate) peer: Option<SockId>,
    /// For a server half: the listener whose queue it joins.
    pub(crate) listener: Option<SockId>,
    /// Segments this socket sent that have not arrived yet, oldest first.
    pub(crate) outbox: VecDeque<Seg>,
    /// Bytes received and not yet read.
    pub(crate) unread: usize,
    /// Of `unread`, the last bytes that may be lost: the peer aborted while they were
    /// possibly still unsent (held back by this socket's receive window). Once the rest is
    /// read, a read may find them gone (`World::socket_read`).
    pub(crate) lossy: usize,
    /// Bytes written whose reading by the peer we have not heard of yet (window updates in
    /// flight count): what the send side's buffer holds, as far as this socket knows.
    pub(crate) sent: usize,
    /// `SOCK_DONE`: the peer's FIN arrived.
    pub(crate) done: bool,
    /// `RCV_SHUTDOWN`.
    pub(crate) rd_shut: bool,
    /// `SEND_SHUTDOWN`.
    pub(crate) wr_shut: bool,
    /// `sk_err`: reported once by `SO_ERROR`, `read` or `write`, then cleared.
    pub(crate) err: Option<i32>,
    /// `connect` has been called once: a second attempt is outside the model.
    pub(crate) attempted: bool,
    /// `listen` succeeded on it once: 6.18.44 refuses `connect` on it for good
    /// (`linux::CONNECT_AFTER_LISTEN`).
    pub(crate) listened: bool,
    /// Our FIN reached a peer that took it (its later segments acknowledge it); one that
    /// reached a closed peer drew a RST instead.
    pub(crate) fin_acked: bool,
    /// `SO_REUSEADDR` (`sk_reuse`).
    pub(crate) reuse: bool,
    /// `SO_LINGER` on with a zero timeout: the last close aborts with RST.
    pub(crate) linger0: bool,
    /// `TCP_NODELAY`: Nagle off (`Seg::Nagle`).
    pub(crate) nodelay: bool,
    /// `IP_TTL` as set (`None`: the default) and `SO_BROADCAST`: stored, read back.
    pub(crate) ttl: Option<u8>,
    pub(crate) broadcast: bool,
    /// `IP_MULTICAST_TTL` (1; a child's is its handshake ACK's TTL) and `IP_MULTICAST_LOOP`.
    pub(crate) mc_ttl: u8,
    pub(crate) mc_loop: bool,
    pub(crate) backlog: Option<Backlog>,
}

impl Socket {
    /// A fresh socket from `socket()`, or an unborn server half (`file` None).
    pub(crate) fn new(file: Option<FileId>, tcp: Tcp) -> Socket {
        Socket {
            tcp,
            ss: Ss::Unconnected,
            file,
            bound: Bound::No,
            dest: None,
            peer: None,
            listener: None,
            outbox: VecDeque::new(),
            unread: 0,
            lossy: 0,
            sent: 0,
            done: false,
            rd_shut: false,
            wr_shut: false,
            err: None,
            attempted: false,
            listened: false,
            fin_acked: false,
            reuse: false,
            linger0: false,
            nodelay: false,
            ttl: None,
            broadcast: false,
            mc_ttl: 1,
            mc_loop: true,
            backlog: None,
        }
    }

    /// Moves to `to`, asserting that Linux's TCP state machine has that edge.
    pub(crate) fn set_tcp(&mut self, to: Tcp) {
        use Tcp::*;
        match (self.tcp, to) {
            (Unborn, SynRecv) // our SYN reached a listener: request socket
            | (SynRecv, Established) // final ACK: the child joins the accept queue
            | (SynRecv, Close) // listener gone, or RST
            | (Close, Listen) // listen
            | (Listen, Close) // close, shutdown(SHUT_RD)
            | (Close, SynSent) // connect
            | (SynSent, Established) // SYN-ACK
            | (SynSent, Close) // refused (RST), close, shutdown
            | (Established, FinWait) // we send FIN
            | (Established, CloseWait) // their FIN
            | (CloseWait, LastAck) // we send FIN after theirs
            | (FinWait, Close) // their FIN (TIME_WAIT stays on the port), RST, abort
            | (LastAck, Close) // our FIN acknowledged, or RST
            | (FinWait, Closing) // their FIN before ours arrived
            | (Closing, Close) // ours arrived (TIME_WAIT), or RST
            | (Established, Close) // RST, or close with unread data (abort)
            | (CloseWait, Close) => {} // RST, or close with unread data (abort)
            (from, to) => panic!("socket: Linux has no TCP transition {from:?} -> {to:?}"),
        }
        self.tcp = to;
        if to == Close && matches!(self.bound, Bound::Ephemeral | Bound::Child(_)) {
            // `tcp_set_state(TCP_CLOSE)` puts a port without `SOCK_BINDPORT_LOCK` back
            // (`inet_put_port`): an autobound one, or a child's.
            self.bound = Bound::No;
        }
    }

    /// The harness port this socket holds, if any.
    pub(crate) fn port(&self) -> Option<Port> {
        match self.bound {
            Bound::Port(port) | Bound::Child(port) => Some(port),
            Bound::No | Bound::Ephemeral => None,
        }
    }

    /// Whether the socket still occupies its port in the bind table.
    pub(crate) fn holds_port(&self) -> bool {
        match self.tcp {
            // Request sockets are not in the bind table; unborn halves do not exist.
            Tcp::Unborn | Tcp::SynRecv => false,
            // A closed socket keeps an explicit bind while a file refers to it.
            Tcp::Close => self.file.is_some(),
            Tcp::Listen
            | Tcp::SynSent
            | Tcp::Established
            | Tcp::FinWait
            | Tcp::CloseWait
            | Tcp::LastAck
            | Tcp::Closing => true,
        }
    }

    /// Takes the pending error (`sock_error`).
    pub(crate) fn take_err(&mut self) -> Option<i32> {
        self.err.take()
    }

    /// `tcp_poll`.
    pub(crate) fn poll(&self, cfg: &Config) -> Ready {
        if self.tcp == Tcp::Listen {
            let queued = self.backlog.as_ref().is_some_and(|b| b.len() > 0);
            return Ready::sure(if queued { EPOLLIN | EPOLLRDNORM } else { 0 });
        }
        let mut ready = Ready::NONE;
        if (self.rd_shut && self.wr_shut) || self.tcp == Tcp::Close {
            ready = ready | Ready::sure(EPOLLHUP);
        }
        if self.rd_shut {
            ready = ready | Ready::sure(EPOLLIN | EPOLLRDNORM | EPOLLRDHUP);
        }
        if !matches!(self.tcp, Tcp::SynSent | Tcp::SynRecv | Tcp::Unborn) {
            if self.unread > self.lossy {
                ready = ready | Ready::sure(EPOLLIN | EPOLLRDNORM);
            } else if self.unread > 0 {
                ready = ready | Ready::maybe(EPOLLIN | EPOLLRDNORM);
            }
            let out = EPOLLOUT | EPOLLWRNORM;
            if self.wr_shut || self.sent < cfg.stream_buf_min {
                ready = ready | Ready::sure(out);
            } else if self.sent < cfg.stream_buf_max {
                ready = ready | Ready::maybe(out);
            }
        }
        if self.err.is_some() {
            ready = ready | Ready::sure(EPOLLERR);
        }
        ready
    }
}
