//! `Net`: the loopback network's bookkeeping — the queue of timed network events (TCP's and
//! UDP's), TCP's bind table of ports, and partitions.
//!
//! Events are applied in `(time, seq)` order, `seq` being the order of scheduling, so equal
//! times keep their causal order and nothing depends on addresses. The queue is a heap
//! (`queue::Queue`) rather than a `BTreeMap`: pushing is the hot path (about one per write),
//! and a heap push allocates nothing once warm. Events are never cancelled; each is checked
//! for liveness when it comes due (a flow keeps one pending delivery event, a SYN timer
//! belongs to one attempt).
//!
//! Latency freedom: each segment's one-way latency is `latency_ns_min` plus a
//! `Choice::Latency` draw in `0..=latency_ns_max - latency_ns_min`.
//!
//! Partition semantics: while a connection has an endpoint port partitioned (or everything
//! is), its segments are held, not lost, as TCP retransmission would eventually deliver them
//! (there is no retransmission timeout here); on healing they flow again, in order, at once.
//! A SYN into a partition is lost, so a dial across it retransmits and times out as on Linux.
//!
//! TIME_WAIT: the socket that sent its FIN first leaves an entry on its address for
//! `TCP_TIMEWAIT_LEN_NS` once both FINs are in. It answers nothing (the connection is over);
//! it only keeps `bind` (and `listen`'s re-check) from taking the address, unless both the
//! entry's socket and the binding one set `SO_REUSEADDR` (`inet_csk_bind_conflict`).
//! Ephemeral ports ignore it, as `connect` may reuse a TIME_WAIT port for another peer.
//!
//! Ephemeral ports: the lowest unbound port at or after the last one handed out, wrapping
//! within `ip_local_port_range` (Linux randomises the start; a counter is as good here and
//! stable across runs). Exhaustion is `EADDRINUSE` for `bind` and `EADDRNOTAVAIL` for `connect`.

use super::queue::Queue;
use super::{ConnKey, Side, SocketKey};
use crate::kernel::choices::{draw, Choice, Choices};
use crate::kernel::config::Config;
use crate::kernel::udp::FlightKey;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{Ipv4Addr, SocketAddrV4};

/// A network event.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Event {
    /// Deliver what is due in `conn`'s flow sent by `side`.
    Flow { conn: ConnKey, side: Side },
    /// The SYN retransmission timer of `sock`'s attempt `attempt`.
    SynTimer { sock: SocketKey, attempt: u32 },
    /// A UDP datagram (or an ICMP answer) arrives (`udp::delivery`).
    Datagram { flight: FlightKey },
}

/// The network's bookkeeping.
pub(crate) struct Net {
    queue: Queue,
    seq: u64,
    /// Port → sockets bound to it, in bind order.
    ports: BTreeMap<u16, Vec<SocketKey>>,
    /// Port → the listening sockets among them (an index: a SYN finds its listener without
    /// walking every connection accepted on the port).
    listeners: BTreeMap<u16, Vec<SocketKey>>,
    next_ephemeral: u16,
    /// Port → TIME_WAIT entries, oldest first: (expiry, address, `SO_REUSEADDR`).
    time_wait: BTreeMap<u16, VecDeque<(u64, Ipv4Addr, bool)>>,
    pub(crate) partition_all: bool,
    pub(crate) partitioned_ports: BTreeSet<u16>,
}

impl Net {
    pub(crate) fn new(config: &Config) -> Net {
        Net {
            queue: Queue::default(),
            seq: 0,
            ports: BTreeMap::new(),
            listeners: BTreeMap::new(),
            next_ephemeral: config.ephemeral_port_min,
            time_wait: BTreeMap::new(),
            partition_all: false,
            partitioned_ports: BTreeSet::new(),
        }
    }

    pub(crate) fn schedule(&mut self, at: u64, event: Event) {
        self.seq += 1;
        self.queue.push(at, self.seq, event);
    }

    /// The earliest pending event (live or not).
    pub(crate) fn peek(&self) -> Option<(u64, Event)> {
        self.queue.peek()
    }

    /// Removes the earliest pending event.
    pub(crate) fn pop(&mut self) -> Option<(u64, Event)> {
        self.queue.pop()
    }

    pub(crate) fn pending(&self) -> usize {
        self.queue.len()
    }

    /// The sockets bound to `port`.
    pub(crate) fn bound(&self, port: u16) -> &[SocketKey] {
        self.ports.get(&port).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn bind_port(&mut self, port: u16, s: SocketKey) {
        let list = self.ports.entry(port).or_default();
        assert!(
            !list.contains(&s),
            "socket {s:?} bound to port {port} twice"
        );
        list.push(s);
    }

    pub(crate) fn unbind_port(&mut self, port: u16, s: SocketKey) {
        let list = self
            .ports
            .get_mut(&port)
            .unwrap_or_else(|| panic!("unbinding {s:?} from port {port}, which has no sockets"));
        let at = list
            .iter()
            .position(|&k| k == s)
            .unwrap_or_else(|| panic!("unbinding {s:?} from port {port}, where it is not bound"));
        list.remove(at);
        if list.is_empty() {
            self.ports.remove(&port);
        }
    }

    /// A TIME_WAIT entry for `addr` until `until` (entries expired by `now` are dropped).
    pub(crate) fn add_time_wait(&mut self, addr: SocketAddrV4, reuse: bool, until: u64, now: u64) {
        let entries = self.time_wait.entry(addr.port()).or_default();
        while entries.front().is_some_and(|&(expiry, ..)| expiry <= now) {
            entries.pop_front();
        }
        entries.push_back((until, *addr.ip(), reuse));
    }

    /// The TIME_WAIT entries on `port` still alive at `now`: (address, `SO_REUSEADDR`).
    pub(crate) fn time_wait(
        &self,
        port: u16,
        now: u64,
    ) -> impl Iterator<Item = (Ipv4Addr, bool)> + '_ {
        let entries = self.time_wait.get(&port).into_iter().flatten();
        entries
            .filter(move |&&(expiry, ..)| expiry > now)
            .map(|&(_, ip, reuse)| (ip, reuse))
    }

    /// The listening sockets on `port`, in the order they started listening.
    pub(crate) fn listeners(&self, port: u16) -> &[SocketKey] {
        self.listeners.get(&port).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn add_listener(&mut self, port: u16, s: SocketKey) {
        let list = self.listeners.entry(port).or_default();
        assert!(
            !list.contains(&s),
            "socket {s:?} listed as listening on {port} twice"
        );
        list.push(s);
    }

    pub(crate) fn remove_listener(&mut self, port: u16, s: SocketKey) {
        let list = self
            .listeners
            .get_mut(&port)
            .unwrap_or_else(|| panic!("{s:?} stops listening on {port}, where none listens"));
        let at = list
            .iter()
            .position(|&k| k == s)
            .unwrap_or_else(|| panic!("{s:?} stops listening on {port} without listening"));
        list.remove(at);
        if list.is_empty() {
            self.listeners.remove(&port);
        }
    }

    /// A port in `[min, max]` nobody is bound to, if any.
    pub(crate) fn ephemeral(&mut self, min: u16, max: u16) -> Option<u16> {
        let ports = &self.ports;
        ephemeral_port(&mut self.next_ephemeral, min, max, |p| {
            ports.contains_key(&p)
        })
    }

    /// Whether segments between these addresses are held by a partition.
    pub(crate) fn is_partitioned(&self, addrs: &[SocketAddrV4; 2]) -> bool {
        self.partition_all
            || (!self.partitioned_ports.is_empty()
                && addrs
                    .iter()
                    .any(|a| self.partitioned_ports.contains(&a.port())))
    }
}

/// The first port in `[min, max]`, walking up from `*next` and wrapping, that `taken` does
/// not claim; `*next` moves past it. TCP and UDP each walk their own bind table with it.
pub(crate) fn ephemeral_port(
    next: &mut u16,
    min: u16,
    max: u16,
    taken: impl Fn(u16) -> bool,
) -> Option<u16> {
    let span = u32::from(max - min) + 1;
    let start = (*next).clamp(min, max);
    (0..span)
        .map(|i| (u32::from(start - min) + i) % span + u32::from(min))
        .map(|p| p as u16)
        .find(|&p| !taken(p))
        .inspect(|&p| *next = if p == max { min } else { p + 1 })
}

/// One segment's (or datagram's) one-way latency.
pub(crate) fn latency(config: &Config, ch: &mut dyn Choices) -> u64 {
    let span = config.latency_ns_max - config.latency_ns_min;
    config.latency_ns_min + draw(ch, Choice::Latency, span + 1)
}
