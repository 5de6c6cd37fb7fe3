//! The loopback network: segments in flight, and what each arrival does.
//!
//! Owns: every segment a socket has sent that has not arrived (`Socket::outbox`, FIFO per
//! direction of each connection), what an arrival does at the receiving socket, and the ports
//! (bind conflicts, TIME_WAIT). When segments arrive is `progress`'s business.
//!
//! Arrivals follow `tcp_rcv_state_process` and friends: a SYN creates a request socket if a
//! listener on the port has room (else it is dropped and marked for retry; with no listener,
//! the client is refused at once); the SYN-ACK establishes the client; the final ACK moves the
//! child into the accept queue if there is room (else dropped, retry); data and FIN arrive in
//! order; a segment reaching a closed socket is answered with RST; data reaching a socket that
//! has sent its FIN and shut reading aborts it (RST both ways); a RST sets the error by state
//! (`ECONNREFUSED` in SYN_SENT, `EPIPE` in CLOSE_WAIT, else `ECONNRESET`) and closes.
//! The socket that sends its FIN first keeps a TIME_WAIT entry on its port forever (Linux:
//! 60 s, `TCP_TIMEWAIT_LEN`, longer than any test), with its `SO_REUSEADDR` flag (`tw_reuse`).
//!
//! The ACK of a FIN that put its receiver in CLOSE_WAIT is a segment of its own (`FinAck`),
//! delayed on Linux, so not forced by `Settle`; its arrival wakes the FIN's sender (FIN_WAIT1
//! to FIN_WAIT2).
//! Does not model: loss, reordering within a connection, segment boundaries other than one
//! segment per `write` (Linux may coalesce or split them), other delayed ACKs (window
//! updates go out on every `read`, merged while unsent; Nagle's wait is `Seg::Nagle`), SYN cookies, retransmission
//! timers, the FIN_WAIT2 timeout, other ACKs of FIN (a FIN reaching FIN_WAIT ends the
//! sender's LAST_ACK at once: the ACK from TIME_WAIT is immediate).
//!
//! Child: `arrival` (what each kind of segment does on arrival).

use crate::file::SockId;
use crate::op::Port;
use crate::socket::Tcp;
use crate::world::World;
use std::collections::VecDeque;

mod arrival;

/// A segment in flight.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Seg {
    /// Connection request to the sender's `dest` port. `retry`: a full listener dropped it.
    Syn {
        retry: bool,
    },
    SynAck,
    /// The handshake's final ACK. `retry`: a full listener dropped it. `ttl`: its IP TTL,
    /// the sender's `IP_TTL` when it was sent, which the child it makes takes as its
    /// `IP_MULTICAST_TTL` (`tcp_v4_syn_recv_sock`).
    Ack {
        retry: bool,
        ttl: u8,
    },
    Data(usize),
    /// Data Nagle may hold back: written while earlier data may be unacknowledged, without
    /// `TCP_NODELAY` (`tcp_nagle_check`, Minshall's variant: a small segment waits for the
    /// ACK of the previous small one). The ACK comes with any segment from the peer, or after
    /// the peer's delayed-ACK timer (40 to 200 ms): until the peer sends something, it may
    /// arrive at any later op, and `Settle` does not force it. Then it is ordinary data.
    Nagle(usize),
    /// Data its sender aborted (RST) while it was possibly still unsent, held back by the
    /// receiver's window: it arrives ahead of the RST, but marked `lossy` at the receiver.
    LossyData(usize),
    /// The receiver has read this many more bytes (a window update).
    Window(usize),
    Fin,
    /// The ACK of a FIN that moved its receiver to CLOSE_WAIT. Linux delays it (the receiver
    /// enters pingpong mode, `inet_csk_enter_pingpong_mode`, and the delayed-ACK timer waits
    /// at least `TCP_DELACK_MIN`, 40 ms; measured on 6.18: about 10 ms) unless data, a window
    /// update or a FIN of its own carries it first. So while nothing follows it, it may
    /// arrive at any later op, and `Settle` does not force it. Its arrival moves the FIN's
    /// sender from FIN_WAIT1 to FIN_WAIT2, whose `sk_state_change` is a wakeup.
    FinAck,
    Rst,
}

/// Whether the oldest segment of an outbox can arrive now.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Head {
    /// Arrives by `Settle` at the latest.
    Forced,
    /// A retransmission: may arrive at any time, `Settle` does not force it.
    Optional,
    /// A retransmission that a full listener would drop again: nothing happens.
    Blocked,
}

impl World {
    /// The socket listening on `port`.
    pub(crate) fn listener_on(&self, port: Port) -> Option<SockId> {
        self.sockets
            .iter()
            .find(|(_, s)| s.tcp == Tcp::Listen && s.port() == Some(port))
            .map(|(&id, _)| id)
    }

    fn backlog_full(&self, listener: SockId) -> bool {
        self.sock(listener)
            .backlog
            .as_ref()
            .is_some_and(|b| b.full())
    }

    /// The listener a handshake segment at the head of `from`'s outbox competes for.
    pub(crate) fn handshake_listener(&self, from: SockId) -> Option<SockId> {
        let sock = self.sock(from);
        match sock.outbox.front()? {
            Seg::Syn { .. } => self.listener_on(sock.dest?),
            Seg::Ack { .. } => {
                let half = self.sock(sock.peer?);
                (half.tcp == Tcp::SynRecv).then_some(half.listener?)
            }
            Seg::SynAck
            | Seg::Data(_)
            | Seg::Nagle(_)
            | Seg::LossyData(_)
            | Seg::Window(_)
            | Seg::Fin
            | Seg::FinAck
            | Seg::Rst => None,
        }
    }

    pub(crate) fn head(&self, from: SockId) -> Option<Head> {
        let sock = self.sock(from);
        let outbox = &sock.outbox;
        let retry = match outbox.front()? {
            Seg::Syn { retry } | Seg::Ack { retry, .. } => *retry,
            // A delayed ACK is optional until a later segment carries it.
            Seg::FinAck => outbox.len() == 1,
            // Nagle: held until the peer's ACK (see `Seg::Nagle`).
            Seg::Nagle(_) => true,
            // Data or a FIN behind more unread data than the receiver surely has room for may
            // still wait in the sender's queue, held back by the window (for good, if the
            // receiver shut reading and sends no window update).
            Seg::Data(_) | Seg::LossyData(_) | Seg::Fin => sock
                .peer
                .is_some_and(|p| self.sock(p).unread > self.cfg.stream_buf_min),
            Seg::SynAck | Seg::Window(_) | Seg::Rst => false,
        };
        let full = self
            .handshake_listener(from)
            .is_some_and(|l| self.backlog_full(l));
        Some(match (retry, full) {
            (false, _) => Head::Forced,
            (true, false) => Head::Optional,
            (true, true) => Head::Blocked,
        })
    }

    /// The oldest segment `from` sent arrives.
    pub(crate) fn deliver(&mut self, from: SockId) {
        let seg = self
            .sock_mut(from)
            .outbox
            .pop_front()
            .expect("deliver: nothing in flight from this socket");
        let to = self
            .sock(from)
            .peer
            .expect("a socket that sends has a peer");
        // Every segment carries an ACK: what Nagle held at the receiver may go now.
        for held in self.sock_mut(to).outbox.iter_mut() {
            if let Seg::Nagle(n) = *held {
                *held = Seg::Data(n);
            }
        }
        match seg {
            Seg::Syn { .. } => self.arrive_syn(from, to),
            Seg::SynAck => self.arrive_syn_ack(to),
            Seg::Ack { ttl, .. } => self.arrive_ack(from, to, ttl),
            Seg::Data(n) | Seg::Nagle(n) => self.arrive_data(to, n, false),
            Seg::LossyData(n) => self.arrive_data(to, n, true),
            Seg::Window(n) => self.arrive_window(to, n),
            Seg::Fin => self.arrive_fin(from, to),
            Seg::FinAck => self.arrive_fin_ack(to),
            Seg::Rst => self.arrive_rst(to),
        }
    }

    /// Our FIN went first and both have arrived: TIME_WAIT. The socket is CLOSE; its entry
    /// holds the port (even where the socket itself gives it back).
    fn time_wait(&mut self, s: SockId) {
        let t = self.sock_mut(s);
        let (port, reuse) = (t.port(), t.reuse);
        t.set_tcp(Tcp::Close);
        if let Some(port) = port {
            *self.time_wait.entry((port, reuse)).or_insert(0) += 1;
        }
    }

    /// The oldest segment `from` sent arrives: every state that can follow (two when the
    /// arrival makes its receiver abort, see `split_abort`).
    pub(crate) fn deliveries(&self, from: SockId) -> Vec<World> {
        let mut w = self.clone();
        w.deliver(from);
        w.split()
    }

    /// This state and the others it stands for: the forks the last arrival left, and the
    /// two ways an abort can go (`split_abort`).
    pub(crate) fn split(mut self) -> Vec<World> {
        let forks = std::mem::take(&mut self.forks);
        let mut out = self.split_abort();
        for fork in forks {
            out.extend(fork.split());
        }
        out
    }

    /// After an abort (`abort` set): the state where everything the aborting socket sent
    /// arrives ahead of its RST, and, when more than `stream_buf_min` bytes were pending
    /// towards its peer (unread there or in flight: so some may not have left, held back by
    /// the peer's window; the sender's `tcp_write_queue_purge` drops those), the state where
    /// the RST overtakes them: beyond the first `stream_buf_min` bytes the data is lossy
    /// (`Socket::lossy`, `Seg::LossyData`), and a FIN behind it is lost.
    fn split_abort(mut self) -> Vec<World> {
        let Some(s) = self.abort.take() else {
            return vec![self];
        };
        let Some(peer) = self.sock(s).peer else {
            return vec![self];
        };
        let (min, unread) = (self.cfg.stream_buf_min, self.sock(peer).unread);
        let mut sure = min.saturating_sub(unread);
        let mut lossy = unread > min;
        let mut outbox = VecDeque::new();
        for seg in &self.sock(s).outbox {
            match *seg {
                Seg::Data(n) | Seg::Nagle(n) => {
                    let k = n.min(sure);
                    sure -= k;
                    if k > 0 {
                        outbox.push_back(Seg::Data(k));
                    }
                    if n > k {
                        outbox.push_back(Seg::LossyData(n - k));
                        lossy = true;
                    }
                }
                Seg::Fin if lossy => {} // queued behind unsent data: purged with it
                other => outbox.push_back(other),
            }
        }
        if !lossy {
            return vec![self];
        }
        let mut overtaken = self.clone();
        overtaken.sock_mut(s).outbox = outbox;
        let p = overtaken.sock_mut(peer);
        p.lossy = p.lossy.max(unread.saturating_sub(min));
        vec![self, overtaken]
    }

    /// `inet_csk_bind_conflict` for socket `me` binding (or listening on) `port`: another
    /// holder of the port, or a TIME_WAIT entry, conflicts unless both set `SO_REUSEADDR`
    /// and the other is not listening.
    pub(crate) fn port_in_use(&self, port: Port, me: SockId) -> bool {
        let reuse = self.sock(me).reuse;
        let tw = self.time_wait.iter();
        if tw
            .filter(|((p, _), &n)| *p == port && n > 0)
            .any(|((_, r), _)| !(reuse && *r))
        {
            return true;
        }
        self.sockets.iter().any(|(&id, s)| {
            id != me
                && s.port() == Some(port)
                && s.holds_port()
                && !(reuse && s.reuse && s.tcp != Tcp::Listen)
        })
    }
}
