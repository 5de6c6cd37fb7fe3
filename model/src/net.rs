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
//! 60 s, `TCP_TIMEWAIT_LEN`, longer than any test).
//!
//! Does not model: loss, reordering within a connection, segment boundaries other than one
//! segment per `write` (Linux may coalesce or split them), delayed ACKs and Nagle (window
//! updates go out on every `read`, merged while unsent), SYN cookies, retransmission timers,
//! the FIN_WAIT2 timeout, ACKs of FIN (a FIN's arrival ends LAST_ACK at once).

use crate::epoll::Edge;
use crate::errno::{ECONNREFUSED, ECONNRESET, EPIPE};
use crate::event::{KEY_ALL, KEY_IN, KEY_OUT};
use crate::file::SockId;
use crate::op::Port;
use crate::socket::{Bound, Tcp};
use crate::world::World;
use std::collections::BTreeSet;

/// A segment in flight.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Seg {
    /// Connection request to the sender's `dest` port. `retry`: a full listener dropped it.
    Syn {
        retry: bool,
    },
    SynAck,
    /// The handshake's final ACK. `retry`: a full listener dropped it.
    Ack {
        retry: bool,
    },
    Data(usize),
    /// The receiver has read this many more bytes (a window update).
    Window(usize),
    Fin,
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
            Seg::SynAck | Seg::Data(_) | Seg::Window(_) | Seg::Fin | Seg::Rst => None,
        }
    }

    pub(crate) fn head(&self, from: SockId) -> Option<Head> {
        let retry = match self.sock(from).outbox.front()? {
            Seg::Syn { retry } | Seg::Ack { retry } => *retry,
            Seg::SynAck | Seg::Data(_) | Seg::Window(_) | Seg::Fin | Seg::Rst => false,
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
        match seg {
            Seg::Syn { .. } => self.arrive_syn(from, to),
            Seg::SynAck => self.arrive_syn_ack(to),
            Seg::Ack { .. } => self.arrive_ack(from, to),
            Seg::Data(n) => self.arrive_data(to, n),
            Seg::Window(n) => self.arrive_window(to, n),
            Seg::Fin => self.arrive_fin(from, to),
            Seg::Rst => self.arrive_rst(to),
        }
    }

    fn arrive_syn(&mut self, client: SockId, half: SockId) {
        let port = self
            .sock(client)
            .dest
            .expect("a SYN has a destination port");
        match self.listener_on(port) {
            // No socket: the RST comes straight back (the client has nothing else in flight
            // towards it, so no ordering is lost by delivering it at once).
            None => self.arrive_rst(client),
            Some(l) if self.backlog_full(l) => {
                self.sock_mut(client)
                    .outbox
                    .push_front(Seg::Syn { retry: true });
            }
            Some(l) => {
                let h = self.sock_mut(half);
                h.set_tcp(Tcp::SynRecv);
                h.listener = Some(l);
                h.bound = Bound::Port(port);
                h.outbox.push_back(Seg::SynAck);
            }
        }
    }

    fn arrive_syn_ack(&mut self, client: SockId) {
        let c = self.sock_mut(client);
        if c.tcp != Tcp::SynSent {
            // Closed or shut down meanwhile: answer with RST.
            c.outbox.push_back(Seg::Rst);
            return;
        }
        c.set_tcp(Tcp::Established);
        c.outbox.push_back(Seg::Ack { retry: false });
        self.wake_sock(client, KEY_ALL, Edge::Must);
    }

    fn arrive_ack(&mut self, client: SockId, half: SockId) {
        if self.sock(half).tcp != Tcp::SynRecv {
            // The request was dropped (listener closed): no socket, RST.
            self.sock_mut(half).outbox.push_back(Seg::Rst);
            return;
        }
        let l = self
            .sock(half)
            .listener
            .expect("a request socket has a listener");
        if self.backlog_full(l) {
            self.sock_mut(client)
                .outbox
                .push_front(Seg::Ack { retry: true });
            return;
        }
        self.sock_mut(half).set_tcp(Tcp::Established);
        let backlog = self
            .sock_mut(l)
            .backlog
            .as_mut()
            .expect("listener has a queue");
        backlog.queue.push_back(BTreeSet::from([half]));
        self.wake_sock(l, KEY_IN, Edge::Must);
    }

    fn arrive_data(&mut self, to: SockId, n: usize) {
        let t = self.sock_mut(to);
        match (t.tcp, t.rd_shut) {
            (Tcp::Established, _) | (Tcp::FinWait, false) => {
                t.unread += n;
                self.wake_sock(to, KEY_IN, Edge::Must);
            }
            // RFC 1122 via tcp_rcv_state_process: data after we shut reading and sent our
            // FIN (close, or SHUT_RDWR) resets the connection.
            (Tcp::FinWait, true) => {
                self.arrive_rst(to);
                self.sock_mut(to).outbox.push_back(Seg::Rst);
            }
            (Tcp::Close, _) => t.outbox.push_back(Seg::Rst),
            (state @ (Tcp::Unborn | Tcp::Listen | Tcp::SynSent | Tcp::SynRecv), _)
            | (state @ (Tcp::CloseWait | Tcp::LastAck), _) => {
                panic!("net: data cannot reach a socket in {state:?} (FIFO after handshake, before FIN)")
            }
        }
    }

    fn arrive_window(&mut self, to: SockId, n: usize) {
        let t = self.sock_mut(to);
        assert!(
            t.sent >= n,
            "net: the peer read {n} bytes but only {} were in its way",
            t.sent
        );
        t.sent -= n;
        if t.tcp != Tcp::Close {
            // `sk_write_space` fires only if the socket had found its buffer short.
            self.wake_sock(to, KEY_OUT, Edge::May);
        }
    }

    fn arrive_fin(&mut self, from: SockId, to: SockId) {
        let t = self.sock_mut(to);
        match t.tcp {
            Tcp::Established => t.set_tcp(Tcp::CloseWait),
            Tcp::FinWait => {
                t.set_tcp(Tcp::Close);
                if let Some(port) = t.port() {
                    *self.time_wait.entry(port).or_insert(0) += 1;
                }
            }
            Tcp::Close => {
                t.outbox.push_back(Seg::Rst);
                return;
            }
            state @ (Tcp::Unborn
            | Tcp::Listen
            | Tcp::SynSent
            | Tcp::SynRecv
            | Tcp::CloseWait
            | Tcp::LastAck) => panic!("net: a FIN cannot reach a socket in {state:?}"),
        }
        let t = self.sock_mut(to);
        t.done = true;
        t.rd_shut = true;
        self.wake_sock(to, KEY_ALL, Edge::Must);
        if self.sock(from).tcp == Tcp::LastAck {
            // The receiver acknowledges our FIN: LAST_ACK is over.
            self.sock_mut(from).set_tcp(Tcp::Close);
        }
    }

    /// `tcp_reset`: a RST arrived (or the socket aborted itself the same way).
    pub(crate) fn arrive_rst(&mut self, to: SockId) {
        let t = self.sock_mut(to);
        let err = match t.tcp {
            Tcp::Close | Tcp::Unborn | Tcp::Listen => return,
            Tcp::SynSent => ECONNREFUSED,
            Tcp::CloseWait => EPIPE,
            Tcp::SynRecv | Tcp::Established | Tcp::FinWait | Tcp::LastAck => ECONNRESET,
        };
        t.err = Some(err);
        t.set_tcp(Tcp::Close);
        t.rd_shut = true;
        t.wr_shut = true;
        self.wake_sock(to, KEY_ALL, Edge::Must);
    }

    /// `inet_csk_bind_conflict` for binding another socket (`except`) to `port`.
    pub(crate) fn port_in_use(&self, port: Port, except: SockId) -> bool {
        let reuse = self.cfg.reuse_addr;
        if !reuse && self.time_wait.get(&port).is_some_and(|&n| n > 0) {
            return true;
        }
        self.sockets.iter().any(|(&id, s)| {
            id != except
                && s.port() == Some(port)
                && s.holds_port()
                && (!reuse || s.tcp == Tcp::Listen)
        })
    }
}
