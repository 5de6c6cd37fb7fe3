//! UDP datagrams arriving: the lookup of the receiving socket, one arrival (queued, dropped,
//! or answered with ICMP port-unreachable), the worlds each sender's next arrival makes, and
//! `Settle`'s every order that can tell; also the last close of a UDP socket.

use super::{truesize, Addr, Dgram};
use crate::epoll::Edge;
use crate::errno::ECONNREFUSED;
use crate::event::{EPOLLERR, KEY_IN};
use crate::file::UdpId;
use crate::world::World;

impl World {
    /// The last close: the socket stops receiving; its outbox stays on the wire.
    pub(crate) fn udp_release(&mut self, u: UdpId) {
        let sock = self.udp_mut(u);
        sock.file = None;
        sock.addr = None;
        sock.peer = None;
        sock.queue.clear();
        sock.rmem = 0;
    }

    /// `__udp4_lib_lookup`: the live socket a datagram to `to` from `from` reaches.
    fn udp_lookup(&self, to: Addr, from: Addr) -> Option<UdpId> {
        let scored = self.udps.iter().filter_map(|(&u, sock)| {
            if sock.file.is_none() || sock.addr != Some(to) {
                return None;
            }
            let score = match sock.peer {
                None => 0,
                Some(p) if Addr::Port(p) == from => 1,
                Some(_) => return None,
            };
            Some((score, sock.bind_seq, u))
        });
        scored.max().map(|(.., u)| u)
    }

    /// UDP sockets with something on the wire.
    pub(crate) fn udp_senders(&self) -> Vec<UdpId> {
        let with = self.udps.iter().filter(|(_, s)| !s.outbox.is_empty());
        with.map(|(&u, _)| u).collect()
    }

    /// Every state one arrival from `u`'s outbox leads to: the oldest item of each
    /// destination (FIFO per destination, any order across them).
    pub(crate) fn udp_deliveries(&self, u: UdpId) -> Vec<World> {
        let outbox = &self.udp(u).outbox;
        let mut heads: Vec<usize> = Vec::new();
        for (i, d) in outbox.iter().enumerate() {
            if !heads
                .iter()
                .any(|&h| (outbox[h].to, outbox[h].icmp) == (d.to, d.icmp))
            {
                heads.push(i);
            }
        }
        heads
            .into_iter()
            .map(|i| {
                let mut w = self.clone();
                w.udp_arrive(u, i);
                w
            })
            .collect()
    }

    /// `Settle`: every state in which everything on the wire has arrived (answers
    /// included). Arrivals that commute are made in one order: an ICMP answer (it only sets
    /// an error, which reads the same whatever came first), and a datagram no other socket
    /// is sending to the same address. Datagrams of several senders to one address
    /// interleave in every way (the receiver's queue order is the network's choice).
    pub(crate) fn udp_settled(&self, cap: usize) -> Result<Vec<World>, usize> {
        let mut done = std::collections::BTreeSet::new();
        let mut todo = vec![self.clone()];
        while let Some(mut w) = todo.pop() {
            w.udp_deliver_commuting();
            let senders = w.udp_senders();
            if senders.is_empty() {
                done.insert(w);
            } else {
                for u in senders {
                    todo.extend(w.udp_deliveries(u));
                }
            }
            if done.len() + todo.len() > cap {
                return Err(done.len() + todo.len());
            }
        }
        Ok(done.into_iter().collect())
    }

    /// Delivers, one at a time, every head of an outbox whose arrival commutes with the rest
    /// (see `udp_settled`).
    fn udp_deliver_commuting(&mut self) {
        'again: loop {
            for u in self.udp_senders() {
                let outbox = &self.udp(u).outbox;
                for (i, d) in outbox.iter().enumerate() {
                    let first_to_there = outbox
                        .iter()
                        .take(i)
                        .all(|e| (e.to, e.icmp) != (d.to, d.icmp));
                    if !first_to_there {
                        continue;
                    }
                    let shared = !d.icmp
                        && self.udps.iter().any(|(&o, other)| {
                            o != u && other.outbox.iter().any(|e| !e.icmp && e.to == d.to)
                        });
                    if !shared {
                        self.udp_arrive(u, i);
                        continue 'again;
                    }
                }
            }
            return;
        }
    }

    /// Item `i` of `u`'s outbox arrives.
    fn udp_arrive(&mut self, u: UdpId, i: usize) {
        let d = self
            .udp_mut(u)
            .outbox
            .remove(i)
            .expect("arrival of an item not on the wire");
        if d.icmp {
            let Some(s) = self.udp_lookup(d.from, d.to) else {
                return;
            };
            let sock = self.udp_mut(s);
            if sock.peer.is_some() {
                sock.err = Some(ECONNREFUSED);
                if let Some(file) = sock.file {
                    self.wake(file, EPOLLERR, Edge::Must);
                }
            }
            return;
        }
        let Some(r) = self.udp_lookup(d.to, d.from) else {
            self.udp_mut(u).outbox.push_back(Dgram { icmp: true, ..d });
            return;
        };
        let rcvbuf = self.cfg.udp_rcvbuf;
        let sock = self.udp_mut(r);
        let size = truesize(d.len);
        if sock.rmem > 0 && sock.rmem + size > rcvbuf {
            return; // dropped: the queue is full
        }
        sock.rmem += size;
        sock.queue.push_back((d.len, d.from));
        if let Some(file) = sock.file {
            self.wake(file, KEY_IN, Edge::Must);
        }
    }
}
