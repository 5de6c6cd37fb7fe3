//! Network events coming due: segment arrivals and SYN retransmission timers.
//!
//! `advance(now)` applies every event due at or before `now` in `(time, seq)` order. An
//! arrival goes to the socket at the far end of its flow:
//! - `SYN`: a listener on the dialed address with a free accept-queue slot creates a child in
//!   `SYN_RECV` (the slot is reserved now — see `tcp`) and answers `SYN-ACK`; no listener
//!   answers RST; a full queue, a non-loopback address or a partition drops it.
//! - `SYN-ACK`: the connecting socket becomes established (state-change wakeup) and sends the
//!   final `ACK`; if it has gone, RST.
//! - `ACK`: the child moves to the accept queue and the listener is woken with `EPOLLIN`.
//! - data: into the receive queue as far as `rcvbuf` allows, waking the reader with `EPOLLIN`;
//!   the sender's freed space may wake it with `EPOLLOUT`. A receiver that is gone, reset, or
//!   closed (FIN sent and receive side shut: Linux's RFC 1122 reset) answers RST.
//! - `FIN`: end of stream (`EPOLLIN|EPOLLRDHUP` via a state-change wakeup).
//! - `RST`: see `tcp_reset`.
//!
//! Segments to a socket that no longer exists (or is closed) are answered with RST, except RST
//! itself, as Linux answers segments for no socket.

mod teardown;

use super::net::Event;
use super::socket::Ss;
use super::{ConnKey, Owner, SegKind, Side, Socket, SocketKey, State};
use crate::kernel::choices::Choices;
use crate::kernel::Kernel;
use simkern_poller::sys::epoll::EPOLLIN;
use simkern_poller::sys::Errno;

/// What a data segment finds at its receiver.
enum Verdict {
    Accept,
    /// No socket, or a closed one: answer RST.
    Refuse,
    /// A socket that closed its receive side after sending FIN: it resets, and answers RST.
    Abort,
}

impl Kernel {
    /// The time of the earliest pending network event (delivery or retransmission timer).
    pub fn next_event_time(&mut self) -> Option<u64> {
        while let Some((at, event)) = self.net.peek() {
            if self.event_live(at, event) {
                return Some(at);
            }
            self.net.pop();
        }
        None
    }

    /// Applies every network event due at or before `now`, in `(time, seq)` order, and moves
    /// the kernel's clock to `now`.
    #[inline]
    pub fn advance(&mut self, now: u64, ch: &mut dyn Choices) {
        self.set_clock(now);
        // Inline so that the common case, nothing due, costs a compare: with time moving at
        // every step (`Config::step_ns_max`) this is called once per step, and the call into
        // the delivery loop alone was about half the time a step's draw took.
        if self.net.peek().is_some_and(|(at, _)| at <= now) {
            self.apply_due(now, ch);
        }
    }

    /// `advance` once an event is due.
    fn apply_due(&mut self, now: u64, ch: &mut dyn Choices) {
        while let Some((at, event)) = self.net.peek() {
            if at > now {
                break;
            }
            self.net.pop();
            if !self.event_live(at, event) {
                continue;
            }
            match event {
                Event::Flow { conn, side } => self.deliver(conn, side, at, ch),
                Event::SynTimer { sock, attempt } => self.syn_timer(sock, attempt, at, ch),
                Event::Datagram { flight } => self.udp_arrive(flight, at, ch),
            }
        }
    }

    fn event_live(&self, at: u64, event: Event) -> bool {
        match event {
            Event::Flow { conn, side } => self
                .conns
                .get(conn)
                .is_some_and(|c| c.flows[side.idx()].scheduled == Some(at)),
            Event::SynTimer { sock, attempt } => self
                .sockets
                .get(sock)
                .is_some_and(|s| matches!(s.state, State::SynSent) && s.syn_attempt == attempt),
            Event::Datagram { flight } => self.udp.flights.contains_key(flight),
        }
    }

    /// Delivers everything due by `t` in `c`'s flow from `side`, in order.
    fn deliver(&mut self, c: ConnKey, side: Side, t: u64, ch: &mut dyn Choices) {
        let rcvbuf = self.config.rcvbuf;
        let sender = self.conns[c].ends[side.idx()];
        self.conns[c].flows[side.idx()].scheduled = None;
        let mut moved = false;
        // The connection can vanish mid-loop (a reset freeing both ends).
        while let Some(conn) = self.conns.get_mut(c) {
            let partitioned = self.net.is_partitioned(&conn.addrs);
            let receiver = conn.ends[side.peer().idx()];
            let flow = &mut conn.flows[side.idx()];
            let Some(front) = flow.front() else {
                break;
            };
            if front.at > t {
                flow.scheduled = Some(front.at);
                self.net.schedule(front.at, Event::Flow { conn: c, side });
                break;
            }
            if partitioned {
                if front.kind == SegKind::Syn {
                    flow.pop_control(); // lost: the client retransmits
                    continue;
                }
                flow.held = true;
                break;
            }
            if front.kind != SegKind::Data {
                flow.pop_control();
                match front.kind {
                    SegKind::Syn => self.on_syn(c, t, ch),
                    SegKind::SynAck => self.on_synack(c, t, ch),
                    SegKind::Ack => self.on_ack(c, t, ch),
                    SegKind::Fin => self.on_fin(c, side, receiver, t, ch),
                    SegKind::Rst => {
                        if let Some(r) = receiver {
                            self.tcp_reset(r);
                        }
                    }
                    SegKind::Data => unreachable!(),
                }
                continue;
            }
            match self.data_verdict(receiver) {
                Verdict::Accept => {
                    let flow = &mut self.conns[c].flows[side.idx()];
                    let room = rcvbuf.saturating_sub(flow.readable());
                    if room == 0 {
                        if flow.rst_due(t) {
                            flow.discard_in_flight(true);
                            continue;
                        }
                        flow.blocked = true;
                        if let Some(last) = flow.back().filter(|s| s.kind == SegKind::Rst) {
                            flow.scheduled = Some(last.at);
                            self.net.schedule(last.at, Event::Flow { conn: c, side });
                        }
                        break;
                    }
                    flow.deliver_data(room);
                    moved = true;
                    self.wake_socket(receiver.expect("accepted by a socket"), EPOLLIN);
                }
                verdict => {
                    self.conns[c].flows[side.idx()].discard_in_flight(false);
                    if let (Verdict::Abort, Some(r)) = (verdict, receiver) {
                        self.tcp_reset(r);
                    }
                    if self.conns.contains_key(c) {
                        self.send(c, side.peer(), SegKind::Rst, None, t, ch);
                    }
                }
            }
        }
        if let (true, Some(s)) = (moved, sender) {
            self.tcp_space_freed(s);
        }
    }

    fn data_verdict(&self, receiver: Option<SocketKey>) -> Verdict {
        let Some(r) = receiver else {
            return Verdict::Refuse;
        };
        let sock = &self.sockets[r];
        match sock.state {
            State::Established if sock.rcv_shutdown && sock.snd_shutdown && !sock.done => {
                Verdict::Abort
            }
            State::Established => Verdict::Accept,
            _ => Verdict::Refuse,
        }
    }

    fn on_syn(&mut self, c: ConnKey, t: u64, ch: &mut dyn Choices) {
        let conn = &self.conns[c];
        let dst = conn.addrs[Side::Server.idx()];
        if conn.syn_answered || !dst.ip().is_loopback() {
            return; // a retransmission already answered, or a black hole
        }
        let Some(l) = self.find_listener(dst) else {
            self.conns[c].syn_answered = true;
            self.send(c, Side::Server, SegKind::Rst, None, t, ch);
            return;
        };
        let listener = &self.sockets[l];
        let State::Listen(queue) = &listener.state else {
            unreachable!("find_listener returned a socket that is not listening")
        };
        if queue.is_full() {
            return; // dropped: the client retransmits on its schedule
        }
        let mut child = Socket::new(Owner::Listener(l));
        child.local = Some(dst);
        // `sk_clone_lock` clears `SOCK_BINDPORT_LOCK`: the child gives the port back in CLOSE.
        child.autobound = true;
        child.addr_locked = listener.addr_locked;
        child.peer = Some(self.conns[c].addrs[Side::Client.idx()]);
        child.state = State::SynRecv { listener: l };
        child.ss = Ss::Connected;
        let child = self.sockets.insert(child);
        self.net.bind_port(dst.port(), child);
        self.attach(child, c, Side::Server);
        let State::Listen(queue) = &mut self.sockets[l].state else {
            unreachable!()
        };
        queue.syn_recv.push(child);
        self.conns[c].syn_answered = true;
        self.send(c, Side::Server, SegKind::SynAck, None, t, ch);
    }

    /// The listener for a SYN to `dst`: one bound to exactly that address, else to 0.0.0.0.
    fn find_listener(&self, dst: std::net::SocketAddrV4) -> Option<SocketKey> {
        let listeners = self.net.listeners(dst.port());
        let bound_to = |ip: std::net::Ipv4Addr| {
            listeners
                .iter()
                .copied()
                .find(|&l| self.sockets[l].local.is_some_and(|a| *a.ip() == ip))
        };
        bound_to(*dst.ip()).or_else(|| bound_to(std::net::Ipv4Addr::UNSPECIFIED))
    }

    fn on_synack(&mut self, c: ConnKey, t: u64, ch: &mut dyn Choices) {
        match self.conns[c].ends[Side::Client.idx()] {
            Some(s) if matches!(self.sockets[s].state, State::SynSent) => {
                self.sockets[s].state = State::Established;
                self.wake_socket(s, 0);
                // The ACK carries the client's TTL as it is now; the child the ACK makes
                // takes it as its `IP_MULTICAST_TTL` (`tcp_v4_syn_recv_sock`: `mc_ttl =
                // ip_hdr(skb)->ttl`, measured on 6.18.44).
                let ttl = self.sockets[s].ttl.unwrap_or(self.config.ip_default_ttl);
                if let Some(h) = self.conns[c].ends[Side::Server.idx()] {
                    self.sockets[h].multicast.ttl = ttl;
                }
                self.send(c, Side::Client, SegKind::Ack, None, t, ch);
            }
            _ => self.send(c, Side::Client, SegKind::Rst, None, t, ch),
        }
    }

    fn on_ack(&mut self, c: ConnKey, t: u64, ch: &mut dyn Choices) {
        let server = self.conns[c].ends[Side::Server.idx()];
        let Some((child, l)) = server.and_then(|s| match self.sockets[s].state {
            State::SynRecv { listener } => Some((s, listener)),
            _ => None,
        }) else {
            self.send(c, Side::Server, SegKind::Rst, None, t, ch);
            return;
        };
        // The child is cloned from the listener now (`tcp_v4_syn_recv_sock`): its options as
        // they are now, and its shutdown bits (set before `listen`); one born shut for
        // sending sends its FIN at once (as Linux 6.18 does).
        let listener = &self.sockets[l];
        let (reuse, nodelay, linger) = (listener.reuseaddr, listener.nodelay, listener.linger);
        let (ttl, broadcast) = (listener.ttl, listener.broadcast);
        let mc_loop = listener.multicast.looped;
        let (rd, wr) = (listener.rcv_shutdown, listener.snd_shutdown);
        let sock = &mut self.sockets[child];
        sock.reuseaddr = reuse;
        sock.nodelay = nodelay;
        sock.linger = linger;
        sock.ttl = ttl;
        sock.broadcast = broadcast;
        // The multicast TTL is not the listener's: `on_synack` set it from this ACK's TTL.
        sock.multicast.looped = mc_loop;
        sock.state = State::Established;
        sock.rcv_shutdown = rd;
        sock.snd_shutdown = wr;
        if wr {
            sock.fin_queued = true;
            self.send(c, Side::Server, SegKind::Fin, None, t, ch);
        }
        let State::Listen(queue) = &mut self.sockets[l].state else {
            unreachable!("a SYN_RECV child whose listener stopped listening")
        };
        let at = queue
            .syn_recv
            .iter()
            .position(|&k| k == child)
            .expect("a SYN_RECV child missing from its listener");
        queue.syn_recv.swap_remove(at);
        queue.queue.push_back(child);
        self.wake_socket(l, EPOLLIN);
    }

    /// A SYN retransmission timer fired for a still-connecting socket.
    fn syn_timer(&mut self, s: SocketKey, attempt: u32, t: u64, ch: &mut dyn Choices) {
        if attempt >= self.config.syn_retries {
            self.detach(s);
            let sock = &mut self.sockets[s];
            sock.error = Some(Errno::ETIMEDOUT);
            sock.state = State::Closed;
            sock.rcv_shutdown = true;
            sock.snd_shutdown = true;
            self.tcp_put_port(s);
            self.wake_socket(s, 0);
            if self.sockets[s].owner == Owner::Orphan {
                self.free_socket(s);
            }
            return;
        }
        let (c, _) = self.sockets[s]
            .conn
            .expect("a connecting socket without a connection");
        self.sockets[s].syn_attempt = attempt + 1;
        self.send(c, Side::Client, SegKind::Syn, None, t, ch);
        let rto = self
            .config
            .syn_rto_initial_ns
            .saturating_mul(1u64 << (attempt + 1));
        self.net.schedule(
            t.saturating_add(rto),
            Event::SynTimer {
                sock: s,
                attempt: attempt + 1,
            },
        );
    }
}
