//! What each segment does when it arrives: SYN, SYN-ACK, ACK, data, window update, FIN, the
//! ACK of a FIN, RST (the rules the module docs of `net` give).

use super::Seg;
use crate::epoll::Edge;
use crate::errno::{ECONNREFUSED, ECONNRESET, EPIPE};
use crate::event::{KEY_ALL, KEY_IN, KEY_OUT};
use crate::file::SockId;
use crate::socket::{Bound, Tcp};
use crate::world::World;
use std::collections::BTreeSet;

impl World {
    pub(super) fn arrive_syn(&mut self, client: SockId, half: SockId) {
        let port = self
            .sock(client)
            .dest
            .expect("a SYN has a destination port");
        match self.listener_on(port) {
            // No socket: the RST comes back like any reply, a moment later (meanwhile the
            // port may start listening; the client is still connecting).
            None => self.sock_mut(half).outbox.push_back(Seg::Rst),
            Some(l) if self.backlog_full(l) => {
                self.sock_mut(client)
                    .outbox
                    .push_front(Seg::Syn { retry: true });
            }
            Some(l) => {
                // More handshakes under way than the backlog leaves room for: with
                // `tcp_syncookies` = 0 `tcp_conn_request` drops the SYN (the requests alone
                // exceed the backlog), by default it answers with a cookie; a simulator that
                // reserves a place per request drops it too. Both are allowed.
                let requests = (self.sockets.values())
                    .filter(|h| h.tcp == Tcp::SynRecv && h.listener == Some(l))
                    .count();
                let queued = self.sock(l).backlog.as_ref().map_or(0, |b| b.len());
                let max = self.sock(l).backlog.as_ref().map_or(0, |b| b.max as usize);
                if requests + queued > max {
                    let mut dropped = self.clone();
                    dropped
                        .sock_mut(client)
                        .outbox
                        .push_front(Seg::Syn { retry: true });
                    self.forks.push(dropped);
                }
                let h = self.sock_mut(half);
                h.set_tcp(Tcp::SynRecv);
                h.listener = Some(l);
                h.bound = Bound::Child(port);
                h.outbox.push_back(Seg::SynAck);
            }
        }
    }

    pub(super) fn arrive_syn_ack(&mut self, client: SockId) {
        let default_ttl = self.cfg.ip_default_ttl;
        let c = self.sock_mut(client);
        if c.tcp != Tcp::SynSent {
            // Closed or shut down meanwhile: answer with RST.
            c.outbox.push_back(Seg::Rst);
            return;
        }
        c.set_tcp(Tcp::Established);
        let ttl = c.ttl.unwrap_or(default_ttl);
        c.outbox.push_back(Seg::Ack { retry: false, ttl });
        self.wake_sock(client, KEY_ALL, Edge::Must);
    }

    pub(super) fn arrive_ack(&mut self, client: SockId, half: SockId, ack_ttl: u8) {
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
            // Resent when the listener's SYN-ACK is: with the TTL the client has then.
            let ttl = self.sock(client).ttl.unwrap_or(self.cfg.ip_default_ttl);
            self.sock_mut(client)
                .outbox
                .push_front(Seg::Ack { retry: true, ttl });
            return;
        }
        // `tcp_create_openreq_child` clones the listener: its options as they are now, and
        // its shutdown bits (set before `listen`); a child born shut for sending sends its
        // FIN at once (measured on Linux 6.18: the client is in CLOSE_WAIT after `connect`).
        let lsock = self.sock(l);
        let (reuse, linger0, nodelay) = (lsock.reuse, lsock.linger0, lsock.nodelay);
        let (ttl, broadcast) = (lsock.ttl, lsock.broadcast);
        let mc_loop = lsock.mc_loop;
        let (rd_shut, wr_shut) = (lsock.rd_shut, lsock.wr_shut);
        let h = self.sock_mut(half);
        h.set_tcp(Tcp::Established);
        h.reuse = reuse;
        h.linger0 = linger0;
        h.nodelay = nodelay;
        h.ttl = ttl;
        h.broadcast = broadcast;
        // Not the listener's: `tcp_v4_syn_recv_sock` takes the ACK's TTL (measured on 6.18.44).
        h.mc_ttl = ack_ttl;
        h.mc_loop = mc_loop;
        h.rd_shut = rd_shut;
        h.wr_shut = wr_shut;
        if wr_shut {
            self.send_fin(half);
        }
        let backlog = self
            .sock_mut(l)
            .backlog
            .as_mut()
            .expect("listener has a queue");
        backlog.queue.push_back(BTreeSet::from([half]));
        self.wake_sock(l, KEY_IN, Edge::Must);
    }

    pub(super) fn arrive_data(&mut self, to: SockId, n: usize, lossy: bool) {
        let min = self.cfg.stream_buf_min;
        let t = self.sock_mut(to);
        match (t.tcp, t.rd_shut) {
            (Tcp::Established, _) | (Tcp::FinWait, false) => {
                t.unread += n;
                if lossy {
                    t.lossy += n;
                }
                if t.rd_shut {
                    // Shut for reading: no window update lets more than the sure part in.
                    t.lossy = t.lossy.max(t.unread.saturating_sub(min));
                }
                let sender = t.peer;
                self.wake_sock(to, KEY_IN, Edge::Must);
                // The ACK of this data frees the sender's buffer: `sk_write_space` wakes it if
                // it had found the buffer short (`SOCK_NOSPACE`, not tracked here).
                if let Some(sender) = sender {
                    self.wake_sock(sender, KEY_OUT, Edge::May);
                }
            }
            // RFC 1122 via tcp_rcv_state_process: data after we shut reading and sent our
            // FIN (close, or SHUT_RDWR) resets the connection.
            (Tcp::FinWait, true) => {
                self.arrive_rst(to);
                self.sock_mut(to).outbox.push_back(Seg::Rst);
                self.abort = Some(to);
            }
            (Tcp::Close, _) => t.outbox.push_back(Seg::Rst),
            (state @ (Tcp::Unborn | Tcp::Listen | Tcp::SynSent | Tcp::SynRecv), _)
            | (state @ (Tcp::CloseWait | Tcp::LastAck | Tcp::Closing), _) => {
                panic!("net: data cannot reach a socket in {state:?} (FIFO after handshake, before FIN)")
            }
        }
    }

    pub(super) fn arrive_window(&mut self, to: SockId, n: usize) {
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

    pub(super) fn arrive_fin(&mut self, from: SockId, to: SockId) {
        let t = self.sock_mut(to);
        match t.tcp {
            Tcp::Established => {
                t.set_tcp(Tcp::CloseWait);
                t.outbox.push_back(Seg::FinAck);
            }
            // Our FIN has not been taken yet (still on its way, or it met a closed socket,
            // which answers RST): CLOSING.
            Tcp::FinWait if !t.fin_acked => t.set_tcp(Tcp::Closing),
            Tcp::FinWait => self.time_wait(to),
            Tcp::Close => {
                t.outbox.push_back(Seg::Rst);
                return;
            }
            state @ (Tcp::Unborn
            | Tcp::Listen
            | Tcp::SynSent
            | Tcp::SynRecv
            | Tcp::CloseWait
            | Tcp::LastAck
            | Tcp::Closing) => panic!("net: a FIN cannot reach a socket in {state:?}"),
        }
        let t = self.sock_mut(to);
        t.done = true;
        t.rd_shut = true;
        self.wake_sock(to, KEY_ALL, Edge::Must);
        self.sock_mut(from).fin_acked = true;
        match self.sock(from).tcp {
            // The receiver acknowledges our FIN: LAST_ACK is over (`tcp_done`, whose
            // `sk_state_change` wakes with key 0), or CLOSING becomes TIME_WAIT.
            Tcp::LastAck => {
                self.sock_mut(from).set_tcp(Tcp::Close);
                self.wake_sock(from, KEY_ALL, Edge::Must);
            }
            Tcp::Closing => {
                self.time_wait(from);
                self.wake_sock(from, KEY_ALL, Edge::Must);
            }
            _ => {}
        }
    }

    /// The (delayed) ACK of our FIN: FIN_WAIT1 becomes FIN_WAIT2, with `sk_state_change`.
    pub(super) fn arrive_fin_ack(&mut self, to: SockId) {
        if self.sock(to).tcp == Tcp::FinWait {
            self.wake_sock(to, KEY_ALL, Edge::Must);
        }
    }

    /// `tcp_reset`: a RST arrived (or the socket aborted itself the same way).
    pub(crate) fn arrive_rst(&mut self, to: SockId) {
        let t = self.sock_mut(to);
        let err = match t.tcp {
            Tcp::Close | Tcp::Unborn | Tcp::Listen => return,
            Tcp::SynSent => ECONNREFUSED,
            Tcp::CloseWait => EPIPE,
            Tcp::SynRecv | Tcp::Established | Tcp::FinWait | Tcp::LastAck | Tcp::Closing => {
                ECONNRESET
            }
        };
        t.err = Some(err);
        t.set_tcp(Tcp::Close);
        t.rd_shut = true;
        t.wr_shut = true;
        self.wake_sock(to, KEY_ALL, Edge::Must);
    }
}
