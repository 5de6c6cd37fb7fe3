//! When the network makes progress: before each op, and at `Settle`.
//!
//! Owns: the two ways in-flight segments (`net`) get delivered.
//! - `closure`: before an op, any prefix of the traffic that bears on it may have arrived.
//!   This is how the model answers "delivered yet or not" with a set: on real Linux,
//!   loopback traffic almost always arrives within the syscall that sent it (softirq on
//!   `local_bh_enable`, or `release_sock` for a socket the sender held), but nothing
//!   promises it; in a simulator it arrives after a seeded latency. Only the traffic of the
//!   sockets the op looks at (`relevant`) is considered: other traffic commutes with the op.
//! - `settle`: everything forced arrives, and every reply to it. Ordinary segments touch only
//!   their own connection, so their order does not matter and one order is taken; handshakes
//!   compete for a listener's queue, so when fewer places are free than handshakes arrive,
//!   every way of filling the places is a separate outcome. Children that joined a queue
//!   together form one group whose order `accept4` does not know.
//!
//! Does not model: time. Nothing here expires or retransmits by the clock.

use crate::file::{FileId, Kind, SockId};
use crate::net::Head;
use crate::op::{Ctl, Fd, Op};
use crate::world::World;
use std::collections::{BTreeMap, BTreeSet};

impl World {
    /// Every state the network can reach from here by delivering any of the traffic of
    /// `relevant` sockets (including none of it), in the order first found.
    pub(crate) fn closure(
        &self,
        relevant: &BTreeSet<SockId>,
        udp: bool,
        cap: usize,
    ) -> Result<Vec<World>, usize> {
        let mut seen = BTreeSet::from([self.clone()]);
        let mut order = vec![self.clone()];
        let mut todo = vec![self.clone()];
        while let Some(w) = todo.pop() {
            for &s in relevant {
                if !matches!(w.head(s), Some(Head::Forced | Head::Optional)) {
                    continue;
                }
                for next in w.deliveries(s) {
                    if seen.insert(next.clone()) {
                        if seen.len() > cap {
                            return Err(seen.len());
                        }
                        order.push(next.clone());
                        todo.push(next);
                    }
                }
            }
            // UDP: every sender's datagrams, FIFO per destination (`udp`).
            for u in if udp { w.udp_senders() } else { Vec::new() } {
                for next in w.udp_deliveries(u) {
                    if seen.insert(next.clone()) {
                        if seen.len() > cap {
                            return Err(seen.len());
                        }
                        order.push(next.clone());
                        todo.push(next);
                    }
                }
            }
        }
        Ok(order)
    }

    /// `Settle`: every state in which all forced traffic has arrived.
    pub(crate) fn settle(&self, cap: usize) -> Result<Vec<World>, usize> {
        let mut done = BTreeSet::new();
        // UDP first: TCP traffic never makes datagrams, nor datagrams TCP traffic.
        let mut todo = self.udp_settled(cap)?;
        while let Some(mut w) = todo.pop() {
            w.deliver_uncontended(&mut todo);
            match w.contest() {
                None => {
                    done.insert(w);
                }
                // Fewer free places than handshakes: which ones get in is up to timing.
                Some(senders) => {
                    for s in senders {
                        todo.extend(w.deliveries(s));
                    }
                }
            }
            if done.len() + todo.len() > cap {
                return Err(done.len() + todo.len());
            }
        }
        Ok(done.into_iter().collect())
    }

    fn forced(&self) -> Vec<SockId> {
        let ids = self.sockets.keys().copied();
        ids.filter(|&s| self.head(s) == Some(Head::Forced))
            .collect()
    }

    /// Forced handshakes (SYN, final ACK) per listener.
    fn handshakes(&self) -> BTreeMap<SockId, Vec<SockId>> {
        let mut by_listener: BTreeMap<SockId, Vec<SockId>> = BTreeMap::new();
        for s in self.forced() {
            if let Some(l) = self.handshake_listener(s) {
                by_listener.entry(l).or_default().push(s);
            }
        }
        by_listener
    }

    /// Delivers what needs no choice: ordinary segments (each touches only its connection,
    /// so their order is free), and a listener's handshakes when all or none of them fit.
    /// An arrival that may lead elsewhere too (an abort, a SYN that may be dropped: see
    /// `World::split`) sends those other states to `more`, to be settled in turn.
    fn deliver_uncontended(&mut self, more: &mut Vec<World>) {
        loop {
            let ordinary = self
                .forced()
                .into_iter()
                .find(|&s| self.handshake_listener(s).is_none());
            if let Some(s) = ordinary {
                self.deliver(s);
                self.keep_first_fork(more);
                continue;
            }
            let mut progressed = false;
            for (l, senders) in self.handshakes() {
                let room = self.sock(l).backlog.as_ref().map_or(0, |b| b.room());
                if room != 0 && room < senders.len() {
                    continue;
                }
                let groups = self.sock(l).backlog.as_ref().map_or(0, |b| b.queue.len());
                for s in senders {
                    self.deliver(s);
                    self.keep_first_fork(more);
                }
                self.merge_arrivals(l, groups);
                progressed = true;
            }
            if !progressed {
                return;
            }
        }
    }

    /// Continues with the first of the states the last arrival stands for (`World::split`);
    /// the others go to `more`.
    fn keep_first_fork(&mut self, more: &mut Vec<World>) {
        if self.abort.is_none() && self.forks.is_empty() {
            return;
        }
        let mut states = self.clone().split().into_iter();
        *self = states.next().expect("split keeps the state itself");
        more.extend(states);
    }

    /// Children that joined `l`'s queue in one uncontended batch arrived in no order Linux
    /// fixes: one group.
    fn merge_arrivals(&mut self, l: SockId, groups_before: usize) {
        if let Some(backlog) = self.sock_mut(l).backlog.as_mut() {
            let arrived: BTreeSet<SockId> =
                backlog.queue.drain(groups_before..).flatten().collect();
            if !arrived.is_empty() {
                backlog.queue.push_back(arrived);
            }
        }
    }

    /// The handshakes of the first listener that has some room, but not for all of them.
    fn contest(&self) -> Option<Vec<SockId>> {
        self.handshakes().into_values().next()
    }

    /// The sockets whose traffic can change the answer to `op`.
    pub(crate) fn relevant(&self, op: &Op) -> BTreeSet<SockId> {
        let mut socks = BTreeSet::new();
        match *op {
            Op::Bind { fd, port } => {
                self.add_fd(fd, &mut socks);
                let holders = self.sockets.iter().filter(|(_, s)| s.port() == Some(port));
                for (&s, _) in holders {
                    self.add_connection(s, &mut socks);
                }
            }
            Op::Listen { fd, .. }
            | Op::Connect { fd, .. }
            | Op::Accept { fd }
            | Op::SoError { fd }
            | Op::Shutdown { fd, .. }
            | Op::Read { fd, .. }
            | Op::Write { fd, .. }
            | Op::SendTo { fd, .. }
            | Op::GetSockOpt { fd, .. }
            | Op::RecvFrom { fd, .. }
            | Op::Fionread { fd }
            | Op::Dup3 { newfd: fd, .. }
            | Op::Dup2 { newfd: fd, .. }
            | Op::Close { fd } => self.add_fd(fd, &mut socks),
            // A listener's options are copied into each child as its handshake completes:
            // handshakes in flight may complete before the change or after it.
            Op::SetSockOpt { fd, .. } => self.add_fd(fd, &mut socks),
            Op::EpollCtl {
                op: Ctl::Add | Ctl::Mod,
                fd,
                ..
            } => self.add_fd(fd, &mut socks),
            Op::EpollWait { epfd, .. } | Op::EpollPwait { epfd, .. } => {
                self.add_fd(epfd, &mut socks)
            }
            Op::Poll { ref fds, .. } => {
                for &(fd, _) in fds {
                    self.add_fd(fd, &mut socks);
                }
            }
            Op::EpollCtl { op: Ctl::Del, .. }
            | Op::Socket
            | Op::Dup { .. }
            | Op::Fcntl { .. }
            | Op::Pipe
            | Op::Pipe2 { .. }
            | Op::EventFd { .. }
            | Op::EventFd2 { .. }
            | Op::EventFdRead { .. }
            | Op::EventFdWrite { .. }
            | Op::EpollCreate
            | Op::UdpSocket
            | Op::Settle => {}
            // Unix sockets have no network: nothing is in flight towards them.
            Op::UnixSocket { .. }
            | Op::SocketPair { .. }
            | Op::UnixBind { .. }
            | Op::UnixConnect { .. }
            | Op::UnixAccept { .. }
            | Op::UnixSendTo { .. }
            | Op::UnixRecvFrom { .. }
            | Op::GetUnixName { .. }
            | Op::Unlink { .. } => {}
        }
        socks
    }

    /// The sockets behind `fd`: a socket's connection, or everything an epoll watches.
    fn add_fd(&self, fd: Fd, socks: &mut BTreeSet<SockId>) {
        if let Some(file) = self.fds.get(fd) {
            self.add_file(file, socks, 0);
        }
    }

    fn add_file(&self, file: FileId, socks: &mut BTreeSet<SockId>, depth: usize) {
        match &self.file(file).kind {
            Kind::Socket(s) => self.add_connection(*s, socks),
            Kind::Epoll(ep) if depth <= crate::epoll::EP_MAX_NESTS => {
                for key in ep.entries.keys() {
                    self.add_file(key.file, socks, depth + 1);
                }
            }
            Kind::Epoll(_)
            | Kind::PipeRead(_)
            | Kind::PipeWrite(_)
            | Kind::EventFd(_)
            | Kind::Udp(_)
            | Kind::Unix(_) => {}
        }
    }

    /// A socket, its peer, and every connection attempt towards its port (a listener's, or
    /// one that may start listening: a SYN there before `listen` is refused). A socket keeps
    /// its `peer` after a failed `connect`, so both are looked at.
    fn add_connection(&self, s: SockId, socks: &mut BTreeSet<SockId>) {
        socks.insert(s);
        let sock = self.sock(s);
        if let Some(peer) = sock.peer {
            socks.insert(peer);
        }
        if let Some(port) = sock.port() {
            for (&c, client) in &self.sockets {
                if client.dest == Some(port) {
                    socks.insert(c);
                    socks.extend(client.peer);
                }
            }
        }
    }
}
