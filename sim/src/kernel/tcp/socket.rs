//! `Socket`: one TCP endpoint, its states, and its poll mask (`tcp_poll`).
//!
//! A socket is owned by its file while an fd names it, by its listener while it waits in the
//! accept queue (or in `SYN_RECV`), and by nobody (`Orphan`) after its last close while it
//! still has a FIN to deliver or to receive. It is freed when no one owns it and it has
//! nothing left to do; freeing releases its port and its end of the connection.
//!
//! Linux's states fold into `State` plus flags: `ESTABLISHED`, `CLOSE_WAIT` (`done`),
//! `FIN_WAIT1/2` (`snd_shutdown`), `LAST_ACK` and `CLOSING` (both, until our FIN arrives;
//! `closing` tells them apart) are all `Established`; `TCP_CLOSE` (fresh, refused, reset, timed out, disconnected, both FINs in,
//! TIME_WAIT) is `Closed`. `Ss` is the BSD socket layer's `sock->state`, which decides what a
//! repeated `connect` returns.
//!
//! Invariant, checked on attach and detach: `socket.conn == Some((c, side))` exactly when
//! `conns[c].ends[side] == Some(socket)`; and every socket with a local address is listed
//! under its port in the bind table.

use super::{Conn, ConnKey, Side};
use crate::kernel::file::FileKey;
use crate::kernel::Kernel;
use simkern_poller::sys::epoll::{EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP};
use simkern_poller::sys::Errno;
use std::collections::VecDeque;
use std::net::SocketAddrV4;

slotmap::new_key_type! {
    /// A TCP endpoint (`struct sock`).
    pub(crate) struct SocketKey;
}

/// A listening socket's queues.
#[derive(Debug, Default)]
pub(crate) struct Listener {
    /// `listen`'s backlog, capped at `somaxconn`.
    pub(crate) backlog: u32,
    /// Established children waiting for `accept4`, oldest first.
    pub(crate) queue: VecDeque<SocketKey>,
    /// Children whose handshake is under way; each holds an accept-queue slot.
    pub(crate) syn_recv: Vec<SocketKey>,
}

impl Listener {
    /// `sk_acceptq_is_full`: more than `backlog` children, so `backlog + 1` fit.
    pub(crate) fn is_full(&self) -> bool {
        self.queue.len() + self.syn_recv.len() > self.backlog as usize
    }
}

/// `sk_state`, folded (see the module docs).
#[derive(Debug)]
pub(crate) enum State {
    Closed,
    Listen(Listener),
    SynSent,
    SynRecv { listener: SocketKey },
    Established,
}

/// `sock->state`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ss {
    Unconnected,
    Connecting,
    Connected,
    /// `shutdown` of a connection attempt that had failed (or not finished): `connect`
    /// and `listen` are then `EINVAL` for good.
    Disconnecting,
}

/// Who keeps the socket alive.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    File(FileKey),
    Listener(SocketKey),
    Orphan,
}

/// A TCP endpoint.
#[derive(Debug)]
pub(crate) struct Socket {
    pub(crate) owner: Owner,
    pub(crate) local: Option<SocketAddrV4>,
    /// The port was chosen by the kernel (`connect`'s or `listen`'s autobind, or `bind` to
    /// port 0): no `SOCK_BINDPORT_LOCK`, so entering CLOSE gives it back (`tcp_put_port`).
    pub(crate) autobound: bool,
    /// The address `getsockname` still shows after an autobound port went back (Linux keeps
    /// `inet_sport` and the source address).
    pub(crate) name: Option<SocketAddrV4>,
    /// `bind` named an address (`SOCK_BINDADDR_LOCK`): `tcp_disconnect` keeps it; otherwise
    /// it resets the source address to 0.0.0.0 (`inet_reset_saddr`).
    pub(crate) addr_locked: bool,
    pub(crate) peer: Option<SocketAddrV4>,
    pub(crate) reuseaddr: bool,
    pub(crate) nodelay: bool,
    pub(crate) linger: Option<u32>,
    /// `IP_TTL` as set; `None`: the system default.
    pub(crate) ttl: Option<u8>,
    pub(crate) broadcast: bool,
    /// `IP_MULTICAST_TTL` (never set on TCP: `EINVAL`; a child's is its handshake ACK's
    /// TTL) and `IP_MULTICAST_LOOP`.
    pub(crate) multicast: crate::kernel::sockets::Multicast,
    pub(crate) state: State,
    pub(crate) ss: Ss,
    pub(crate) conn: Option<(ConnKey, Side)>,
    /// `sk_err`: the pending error, taken by the next read, write or `SO_ERROR`.
    pub(crate) error: Option<Errno>,
    /// `RCV_SHUTDOWN`: own `SHUT_RD`, close, the peer's FIN, or a reset.
    pub(crate) rcv_shutdown: bool,
    /// `SEND_SHUTDOWN`: own `SHUT_WR`, close, or a reset.
    pub(crate) snd_shutdown: bool,
    /// `SOCK_DONE`: the peer's FIN arrived.
    pub(crate) done: bool,
    /// A FIN has been queued (once per connection).
    pub(crate) fin_queued: bool,
    /// Our FIN reached a peer that took it (not one that answered RST).
    pub(crate) fin_acked: bool,
    /// `CLOSING`: the peer's FIN came before ours was acknowledged; TIME_WAIT follows when
    /// it is.
    pub(crate) closing: bool,
    /// `SOCK_NOSPACE`: someone found the send buffer full; freed space will wake `EPOLLOUT`.
    pub(crate) nospace: bool,
    /// SYN retransmissions so far.
    pub(crate) syn_attempt: u32,
    /// A `connect` sent a SYN from this socket once. 6.18.44 refuses `listen` on it for good
    /// (`simkern_model::linux::LISTEN_AFTER_CONNECT`).
    pub(crate) attempted: bool,
    /// `listen` succeeded on it once. 6.18.44 refuses `connect` on it for good
    /// (`simkern_model::linux::CONNECT_AFTER_LISTEN`).
    pub(crate) listened: bool,
}

impl Socket {
    pub(crate) fn new(owner: Owner) -> Socket {
        Socket {
            owner,
            local: None,
            autobound: false,
            name: None,
            addr_locked: false,
            peer: None,
            reuseaddr: false,
            nodelay: false,
            linger: None,
            ttl: None,
            broadcast: false,
            multicast: crate::kernel::sockets::Multicast::default(),
            state: State::Closed,
            ss: Ss::Unconnected,
            conn: None,
            error: None,
            rcv_shutdown: false,
            snd_shutdown: false,
            done: false,
            fin_queued: false,
            fin_acked: false,
            closing: false,
            nospace: false,
            syn_attempt: 0,
            attempted: false,
            listened: false,
        }
    }

    /// Linux's name for the state, for `describe`.
    pub(crate) fn state_name(&self) -> &'static str {
        match (&self.state, self.snd_shutdown, self.done) {
            (State::Closed, ..) => "CLOSE",
            (State::Listen(_), ..) => "LISTEN",
            (State::SynSent, ..) => "SYN_SENT",
            (State::SynRecv { .. }, ..) => "SYN_RECV",
            (State::Established, false, false) => "ESTABLISHED",
            (State::Established, false, true) => "CLOSE_WAIT",
            (State::Established, true, false) => "FIN_WAIT",
            (State::Established, true, true) if self.closing => "CLOSING",
            (State::Established, true, true) => "LAST_ACK",
        }
    }
}

impl Kernel {
    /// Bytes `s` can read now.
    pub(crate) fn tcp_readable(&self, s: SocketKey) -> usize {
        self.sockets[s].conn.map_or(0, |(c, side)| {
            self.conns[c].flows[side.peer().idx()].readable()
        })
    }

    /// Bytes `s` has written that its peer has not received.
    pub(crate) fn tcp_unsent(&self, s: SocketKey) -> usize {
        self.sockets[s]
            .conn
            .map_or(0, |(c, side)| self.conns[c].flows[side.idx()].unsent())
    }

    /// `sk_stream_is_writeable`: free space at least half the queued bytes.
    pub(crate) fn tcp_writeable(&self, s: SocketKey) -> bool {
        self.stream_is_writeable(self.tcp_unsent(s))
    }

    /// `sk_stream_is_writeable` of a socket with `unsent` bytes queued.
    fn stream_is_writeable(&self, unsent: usize) -> bool {
        self.config.sndbuf.saturating_sub(unsent) >= unsent / 2
    }

    /// `tcp_poll`.
    pub(crate) fn tcp_poll(&self, s: SocketKey) -> u32 {
        let sock = &self.sockets[s];
        if let State::Listen(l) = &sock.state {
            return if l.queue.is_empty() { 0 } else { EPOLLIN };
        }
        let mut mask = 0;
        if (sock.rcv_shutdown && sock.snd_shutdown) || matches!(sock.state, State::Closed) {
            mask |= EPOLLHUP;
        }
        if sock.rcv_shutdown {
            mask |= EPOLLIN | EPOLLRDHUP;
        }
        if !matches!(sock.state, State::SynSent | State::SynRecv { .. }) {
            // `tcp_readable` and `tcp_writeable`, sharing one look-up of the connection.
            let (readable, unsent) = sock.conn.map_or((0, 0), |(c, side)| {
                let flows = &self.conns[c].flows;
                (
                    flows[side.peer().idx()].readable(),
                    flows[side.idx()].unsent(),
                )
            });
            if readable > 0 {
                mask |= EPOLLIN;
            }
            if sock.snd_shutdown || self.stream_is_writeable(unsent) {
                mask |= EPOLLOUT;
            }
        }
        if sock.error.is_some() {
            mask |= EPOLLERR;
        }
        mask
    }

    /// `tcp_poll`'s side effect: a connected socket found unwritable is marked `SOCK_NOSPACE`.
    pub(crate) fn tcp_note_polled(&mut self, s: SocketKey, mask: u32) {
        let sock = &mut self.sockets[s];
        if mask & EPOLLOUT == 0
            && !sock.snd_shutdown
            && !matches!(
                sock.state,
                State::Listen(_) | State::SynSent | State::SynRecv { .. }
            )
        {
            sock.nospace = true;
        }
    }

    /// Wakes the file owning `s`, if a file owns it.
    pub(crate) fn wake_socket(&mut self, s: SocketKey, key: u32) {
        if let Owner::File(file) = self.sockets[s].owner {
            self.wake(file, key);
        }
    }

    /// Joins `s` to side `side` of connection `c`.
    pub(crate) fn attach(&mut self, s: SocketKey, c: ConnKey, side: Side) {
        let sock = &mut self.sockets[s];
        assert!(
            sock.conn.is_none(),
            "socket {s:?} attached to two connections"
        );
        let end = &mut self.conns[c].ends[side.idx()];
        assert!(end.is_none(), "connection {c:?} {side:?} end taken twice");
        sock.conn = Some((c, side));
        *end = Some(s);
    }

    /// Parts `s` from its connection, freeing the connection when no end is left.
    pub(crate) fn detach(&mut self, s: SocketKey) {
        let Some((c, side)) = self.sockets[s].conn.take() else {
            return;
        };
        let conn = &mut self.conns[c];
        assert_eq!(
            conn.ends[side.idx()],
            Some(s),
            "socket {s:?} thinks it is {side:?} of {c:?}, which disagrees"
        );
        conn.ends[side.idx()] = None;
        if conn.ends == [None, None] {
            self.conns.remove(c);
        }
    }

    /// Creates a connection from `client` to `server` and attaches `s` as its client.
    pub(crate) fn new_conn(
        &mut self,
        s: SocketKey,
        client: SocketAddrV4,
        server: SocketAddrV4,
    ) -> ConnKey {
        let c = self.conns.insert(Conn::new(client, server));
        self.attach(s, c, Side::Client);
        c
    }

    /// `tcp_set_state(TCP_CLOSE)` → `inet_put_port`: a port the kernel chose goes back to
    /// the bind table when the socket enters CLOSE (refused, reset, timed out, disconnected,
    /// or a listener shut down), so the socket may `bind` again; `getsockname` still shows it.
    /// A port `bind` named (`SOCK_BINDPORT_LOCK`) stays.
    pub(crate) fn tcp_put_port(&mut self, s: SocketKey) {
        let sock = &mut self.sockets[s];
        if !sock.autobound {
            return;
        }
        sock.autobound = false;
        if let Some(local) = sock.local.take() {
            sock.name = Some(local);
            self.net.unbind_port(local.port(), s);
        }
    }

    /// Frees a socket nobody owns any more: its port and its connection end go with it.
    pub(crate) fn free_socket(&mut self, s: SocketKey) {
        assert!(
            !matches!(self.sockets[s].owner, Owner::File(_)),
            "freeing socket {s:?} while a file owns it"
        );
        self.detach(s);
        let sock = self.sockets.remove(s).expect("freeing a freed socket");
        if let Some(local) = sock.local {
            self.net.unbind_port(local.port(), s);
        }
        if let State::Listen(l) = &sock.state {
            assert!(
                l.queue.is_empty() && l.syn_recv.is_empty(),
                "freeing listener {s:?} with children left"
            );
        }
    }

    /// Frees `s` if it is an orphan with nothing left to send or receive.
    pub(crate) fn maybe_free_orphan(&mut self, s: SocketKey) {
        let Some(sock) = self.sockets.get(s) else {
            return;
        };
        if sock.owner != Owner::Orphan {
            return;
        }
        let finished = match sock.state {
            State::Closed => true,
            State::Established => {
                sock.done
                    && sock.fin_queued
                    && sock
                        .conn
                        .is_none_or(|(c, side)| self.conns[c].flows[side.idx()].in_flight() == 0)
            }
            _ => false,
        };
        if finished {
            self.free_socket(s);
        }
    }
}
