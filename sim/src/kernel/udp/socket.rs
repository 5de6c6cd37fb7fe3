//! `Socket`: one UDP endpoint — its addresses, receive queue and pending error — and its poll
//! mask (`udp_poll`).
//!
//! Invariants, checked where they change: `rmem` is the sum of the queued datagrams'
//! `truesize`; a socket with a local address is listed under its port in the UDP bind table.

use crate::kernel::file::FileKey;
use crate::kernel::Kernel;
use simkern_poller::sys::epoll::{EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP};
use simkern_poller::sys::Errno;
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddrV4;

slotmap::new_key_type! {
    /// A UDP endpoint (`struct udp_sock`).
    pub(crate) struct UdpKey;
}

/// The largest UDP payload over IPv4: 65,535 less the IP (20) and UDP (8) headers.
pub const UDP_MAX_PAYLOAD: usize = 65_507;

/// `skb->truesize` of a received datagram of `len` bytes, approximately: what the receive
/// buffer is charged. Fitted to Linux 6.18 on loopback (the queue-full drops of 0..65,000-byte
/// datagrams under a known `SO_RCVBUF`): a head of `len` plus about 64 bytes of headers plus
/// the 320-byte `skb_shared_info`, from the 576-byte small-head cache or else a power-of-two
/// kmalloc, plus the 256-byte `sk_buff`. Other kernels and configs differ by the slab sizes.
pub fn truesize(len: usize) -> usize {
    const SKB: usize = 256;
    const SMALL_HEAD: usize = 576;
    let head = len + 64 + 320;
    SKB + if head <= SMALL_HEAD {
        SMALL_HEAD
    } else {
        head.next_power_of_two()
    }
}

/// A queued datagram.
#[derive(Debug)]
pub(crate) struct Datagram {
    pub(crate) from: SocketAddrV4,
    pub(crate) data: Vec<u8>,
}

/// A UDP endpoint.
#[derive(Debug, Default)]
pub(crate) struct Socket {
    /// The file naming the socket (set right after it is installed; a UDP socket dies with
    /// its file).
    pub(crate) file: Option<FileKey>,
    /// The bound address (0.0.0.0 or a loopback address, and a port).
    pub(crate) local: Option<SocketAddrV4>,
    /// The default destination `connect` set (`TCP_ESTABLISHED` in Linux's terms).
    pub(crate) peer: Option<SocketAddrV4>,
    pub(crate) reuseaddr: bool,
    /// `IP_TTL` as set; `None`: the system default.
    pub(crate) ttl: Option<u8>,
    pub(crate) broadcast: bool,
    /// `IP_MULTICAST_TTL` and `IP_MULTICAST_LOOP`: stored, read back (no multicast).
    pub(crate) multicast: crate::kernel::sockets::Multicast,
    /// When it was bound (or rehashed by `connect`), in bind order: ties in delivery go to
    /// the socket bound last, as the newest socket heads Linux's hash chain.
    pub(crate) bind_seq: u64,
    /// Datagrams received and not yet read, oldest first.
    pub(crate) queue: VecDeque<Datagram>,
    /// The receive buffer's charge: the queued datagrams' `truesize`.
    pub(crate) rmem: usize,
    /// `sk_err`: the pending error, taken by the next `recvfrom`, `sendto` or `SO_ERROR`.
    pub(crate) error: Option<Errno>,
    pub(crate) rcv_shutdown: bool,
    pub(crate) snd_shutdown: bool,
    /// Destination → the arrival time of the last datagram sent there: a later one never
    /// arrives before it (per-destination FIFO). Entries in the past constrain nothing and
    /// are pruned.
    pub(crate) last_arrival: BTreeMap<SocketAddrV4, u64>,
}

/// Entries of `last_arrival` kept before the ones in the past are pruned.
const LAST_ARRIVAL_PRUNE_AT: usize = 64;

impl Socket {
    /// `udp_poll`.
    pub(crate) fn poll(&self) -> u32 {
        let mut mask = EPOLLOUT;
        if self.error.is_some() {
            mask |= EPOLLERR;
        }
        if self.rcv_shutdown {
            mask |= EPOLLIN | EPOLLRDHUP;
        }
        if self.rcv_shutdown && self.snd_shutdown {
            mask |= EPOLLHUP;
        }
        if !self.queue.is_empty() {
            mask |= EPOLLIN;
        }
        mask
    }

    /// Queues `d` if the receive buffer takes it (see the module docs); whether it did.
    pub(crate) fn enqueue(&mut self, d: Datagram, rcvbuf: usize) -> bool {
        let size = truesize(d.data.len());
        if self.rmem > 0 && self.rmem + size > rcvbuf {
            return false;
        }
        self.rmem += size;
        self.queue.push_back(d);
        self.check_rmem();
        true
    }

    /// Takes the oldest datagram off the queue.
    pub(crate) fn dequeue(&mut self) -> Option<Datagram> {
        let d = self.queue.pop_front()?;
        self.rmem -= truesize(d.data.len());
        self.check_rmem();
        Some(d)
    }

    fn check_rmem(&self) {
        debug_assert_eq!(
            self.rmem,
            self.queue
                .iter()
                .map(|d| truesize(d.data.len()))
                .sum::<usize>(),
            "UDP receive charge differs from its queued datagrams' truesize"
        );
    }

    /// The arrival time for a datagram to `dst` that would arrive at `at`: no earlier than
    /// the last one sent there (FIFO per sender and destination).
    pub(crate) fn fifo_arrival(&mut self, dst: SocketAddrV4, at: u64, now: u64) -> u64 {
        if self.last_arrival.len() >= LAST_ARRIVAL_PRUNE_AT {
            self.last_arrival.retain(|_, &mut t| t > now);
        }
        let last = self.last_arrival.entry(dst).or_insert(0);
        *last = (*last).max(at);
        *last
    }
}

impl Kernel {
    /// Wakes the file of UDP socket `u` with poll key `key`.
    pub(crate) fn wake_udp(&mut self, u: UdpKey, key: u32) {
        if let Some(file) = self.udps[u].file {
            self.wake(file, key);
        }
    }
}
