//! Unix-domain `send` and `recv` (`write`/`read` are the same calls without flags or
//! address): the skbs they queue at the receiver and free, and the send charge.
//!
//! Owns: `Skb` (one queued datagram, or one piece of a stream write) and `truesize`, what an
//! skb charges its sender's `wmem` until it is freed. Delivery is immediate: `send` queues
//! on the receiver inside the call (FREEDOMS.md, 11).
//!
//! Linux (`net/unix/af_unix.c`, 6.18), in each call's order of checks:
//! - stream `send` (`unix_stream_sendmsg`): an address is `EISCONN` connected, else
//!   `EOPNOTSUPP`; no peer `ENOTCONN`; `SHUT_WR` (also the mirror of the peer's `SHUT_RD`,
//!   and set when the peer closed) `EPIPE`; then skbs of at most 36,544 bytes, each
//!   allocated only while `wmem < sndbuf` (`sock_alloc_send_pskb`: a pending error first,
//!   then `EAGAIN`), to a peer alive and not shut for reading (else `EPIPE`): a short write
//!   at the first refusal, the error if nothing was sent (a pending error so taken is lost).
//! - stream `recv` (`unix_stream_read_generic`): `EINVAL` unless connected; an empty queue
//!   gives the pending error, then 0 after `SHUT_RD` (or the peer's close), then `EAGAIN`;
//!   otherwise bytes across skbs (`MSG_PEEK` leaves them; `MSG_TRUNC` means nothing here),
//!   and the name of the first skb's sender as it is now (`unix_copy_addr(skb->sk)`).
//! - datagram `send` (`unix_dgram_sendmsg`): over `sndbuf - 32` bytes `EMSGSIZE`; the
//!   allocation (pending error, `SHUT_WR` `EPIPE`, a full send buffer `EAGAIN`); no address
//!   and no peer `ENOTCONN` (after the allocation on 6.18, measured); the lookup of the
//!   address (`ENOENT`, `ECONNREFUSED`, `EPROTOTYPE`); `EPERM` to a socket connected elsewhere; a dead default peer disconnects
//!   the sender (its queue purged) and is `ECONNREFUSED` once, then `ENOTCONN`; `EPIPE` to a
//!   socket shut for reading; `EAGAIN` to a full socket not connected back to the sender,
//!   though never to the sender itself. A send that fails after the allocation frees the
//!   skb, which wakes the sender for `EPOLLOUT` (`sock_wfree`, measured).
//! - datagram `recv` (`__skb_try_recv_datagram`): the pending error first, then one datagram
//!   (what fits; `MSG_TRUNC` its real length; `MSG_PEEK` leaves it), else `EAGAIN` (after
//!   `SHUT_RD` too).
//! - freeing an skb (`sock_wfree`) uncharges its sender and wakes it with `EPOLLOUT` if it is
//!   writable then (`unix_write_space`, with the reference `sock_wfree` still holds: `(wmem +
//!   2) * 4 <= sndbuf`); a datagram `recv` also wakes the `peer_wait` relay (`Edge::May`).

use crate::epoll::Edge;
use crate::errno::{
    EAGAIN, ECONNREFUSED, EINVAL, EISCONN, EMSGSIZE, ENOTCONN, EOPNOTSUPP, EPERM, EPIPE,
};
use crate::event::{KEY_IN, KEY_OUT};
use crate::file::UnixId;
use crate::op::UnixName;
use crate::unix::{State, UNIX_SNDBUF};
use crate::world::World;

/// The most bytes one stream skb carries: `SKB_MAX_HEAD(0)` (3,776 on x86_64) plus
/// `UNIX_SKB_FRAGS_SZ` (32 KiB), as `unix_stream_sendmsg` caps it.
const STREAM_SKB_MAX: usize = SKB_MAX_HEAD + 32 * 1024;
/// `SKB_MAX_HEAD(0)`: the linear head that fits one page beside `skb_shared_info`.
const SKB_MAX_HEAD: usize = 3_776;
/// `SKB_MAX_ALLOC`: the head a datagram skb keeps before the rest goes to pages.
const SKB_MAX_ALLOC: usize = 16_384 - 320;
const PAGE: usize = 4_096;
/// `MAX_SKB_FRAGS` (`CONFIG_MAX_SKB_FRAGS`, 17 by default): the pages a datagram skb takes.
const MAX_SKB_FRAGS: usize = 17;

/// `skb->truesize` of a Unix skb of `len` bytes: the 256-byte `sk_buff`, the head with the
/// 320-byte `skb_shared_info` from a power-of-two kmalloc of at least 512 bytes, and the
/// paged part. Fitted to Linux 6.18 on x86_64 (FREEDOMS.md, 11, lists the measurements);
/// other slab configurations differ.
pub(crate) fn truesize(len: usize, stream: bool) -> usize {
    let paged = match (stream, len) {
        (true, n) if n > SKB_MAX_HEAD => n.min((n - SKB_MAX_HEAD).div_ceil(PAGE) * PAGE),
        // At most `MAX_SKB_FRAGS` pages; the rest stays in the (then page-order) head.
        (false, n) if n > SKB_MAX_ALLOC => {
            (n - SKB_MAX_ALLOC).min(MAX_SKB_FRAGS * PAGE).div_ceil(PAGE) * PAGE
        }
        _ => 0,
    };
    256 + (len - paged + 320).next_power_of_two().max(512) + paged
}

/// One queued skb: `len` bytes (`read` of them consumed, a stream's), charged to `sender`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Skb {
    pub(crate) len: usize,
    pub(crate) read: usize,
    pub(crate) sender: UnixId,
    pub(crate) charge: usize,
}

impl World {
    /// `send`/`sendto`/`write` of `len` bytes on `u` (to `to`, or the peer).
    pub(crate) fn unix_send(
        &mut self,
        u: UnixId,
        len: usize,
        to: Option<UnixName>,
    ) -> Result<usize, i32> {
        if self.unix(u).dgram {
            return self.unix_dgram_send(u, len, to);
        }
        let sock = self.unix(u);
        if to.is_some() {
            return Err(match sock.state {
                State::Connected => EISCONN,
                _ => EOPNOTSUPP,
            });
        }
        let peer = sock.peer.ok_or(ENOTCONN)?;
        if sock.wr_shut {
            return Err(EPIPE);
        }
        let mut sent = 0;
        while sent < len {
            let refused = |e: i32| if sent > 0 { Ok(sent) } else { Err(e) };
            let sock = self.unix_mut(u);
            if let Some(e) = sock.err.take() {
                return refused(e);
            }
            if sock.wmem >= UNIX_SNDBUF {
                return refused(EAGAIN);
            }
            let other = self.unix(peer);
            if other.dead || other.rd_shut {
                return refused(EPIPE);
            }
            let n = (len - sent).min(STREAM_SKB_MAX);
            self.unix_queue(u, peer, n, true);
            sent += n;
        }
        Ok(sent)
    }

    /// Queues an skb of `len` bytes from `u` at `to`, charged to `u`; wakes the reader.
    fn unix_queue(&mut self, u: UnixId, to: UnixId, len: usize, stream: bool) {
        let charge = truesize(len, stream);
        self.unix_mut(u).wmem += charge;
        self.unix_mut(to).queue.push_back(Skb {
            len,
            read: 0,
            sender: u,
            charge,
        });
        self.unix_wake(to, KEY_IN, Edge::Must);
    }

    fn unix_dgram_send(
        &mut self,
        u: UnixId,
        len: usize,
        to: Option<UnixName>,
    ) -> Result<usize, i32> {
        if to == Some(UnixName::Unnamed) {
            return Err(EINVAL);
        }
        if len > UNIX_SNDBUF - 32 {
            return Err(EMSGSIZE);
        }
        let sock = self.unix_mut(u);
        if let Some(e) = sock.err.take() {
            return Err(e);
        }
        if sock.wr_shut {
            return Err(EPIPE);
        }
        if sock.wmem >= UNIX_SNDBUF {
            return Err(EAGAIN);
        }
        let sent = self.unix_dgram_deliver(u, len, to);
        let sock = self.unix(u);
        if sent.is_err() && sock.writable() {
            // The skb allocated for it is freed (`sock_wfree` → `unix_write_space`).
            self.unix_wake(u, KEY_OUT, Edge::Must);
        }
        sent
    }

    /// The part of `unix_dgram_sendmsg` after the skb is allocated.
    fn unix_dgram_deliver(
        &mut self,
        u: UnixId,
        len: usize,
        to: Option<UnixName>,
    ) -> Result<usize, i32> {
        let sock = self.unix(u);
        // 6.18 looks for the default peer after allocating (measured: an unconnected socket
        // shut for writing is `EPIPE`, not `ENOTCONN`).
        let other = match to {
            Some(name) => self.unix_find(name, true)?,
            None => sock.peer.ok_or(ENOTCONN)?,
        };
        if !self.unix_may_send(other, u) {
            return Err(EPERM);
        }
        if self.unix(other).dead {
            // Only the default peer can be dead here: a lookup finds live sockets.
            self.unix_mut(u).peer = None;
            self.unix_wake(u, KEY_OUT, Edge::May);
            self.unix_dgram_disconnected(u, other);
            return Err(ECONNREFUSED);
        }
        let receiver = self.unix(other);
        if receiver.rd_shut {
            return Err(EPIPE);
        }
        if other != u && receiver.peer != Some(u) && receiver.recvq_full() {
            return Err(EAGAIN);
        }
        self.unix_queue(u, other, len, false);
        Ok(len)
    }

    /// `recv`/`recvfrom`/`read` of up to `len` bytes on `u`: the length returned and the
    /// sender's name.
    pub(crate) fn unix_recv(
        &mut self,
        u: UnixId,
        len: usize,
        peek: bool,
        trunc: bool,
    ) -> Result<(usize, UnixName), i32> {
        if self.unix(u).dgram {
            return self.unix_dgram_recv(u, len, peek, trunc);
        }
        let sock = self.unix_mut(u);
        if sock.state != State::Connected {
            return Err(EINVAL);
        }
        let Some(first) = sock.queue.front() else {
            if let Some(e) = sock.err.take() {
                return Err(e);
            }
            return if sock.rd_shut {
                Ok((0, UnixName::Unnamed))
            } else {
                Err(EAGAIN)
            };
        };
        let sender = first.sender;
        let from = self.unix(sender).name;
        let sock = self.unix_mut(u);
        let mut copied = 0;
        let mut freed = Vec::new();
        let mut i = 0;
        while copied < len && i < sock.queue.len() {
            let skb = &mut sock.queue[i];
            let n = (skb.len - skb.read).min(len - copied);
            copied += n;
            if peek {
                i += 1;
                continue;
            }
            skb.read += n;
            if skb.read < skb.len {
                break;
            }
            let skb = sock.queue.pop_front().expect("the skb just read");
            freed.push(skb);
        }
        for skb in freed {
            self.unix_free(&skb);
        }
        Ok((copied, from))
    }

    fn unix_dgram_recv(
        &mut self,
        u: UnixId,
        len: usize,
        peek: bool,
        trunc: bool,
    ) -> Result<(usize, UnixName), i32> {
        let sock = self.unix_mut(u);
        if let Some(e) = sock.err.take() {
            return Err(e);
        }
        let skb = sock.queue.front().ok_or(EAGAIN)?.clone();
        if !peek {
            sock.queue.pop_front();
        }
        let from = self.unix(skb.sender).name;
        self.unix_wake_peer_waiters(u, KEY_OUT);
        if !peek {
            self.unix_free(&skb);
        }
        Ok((if trunc { skb.len } else { skb.len.min(len) }, from))
    }

    /// `sock_wfree` of an skb taken off a queue: its sender's charge goes, and a sender
    /// writable then is woken.
    fn unix_free(&mut self, skb: &Skb) {
        let sender = self.unix_mut(skb.sender);
        assert!(
            sender.wmem >= skb.charge,
            "unix: freeing a {}-byte skb of a {}-byte charge",
            skb.charge,
            sender.wmem
        );
        sender.wmem -= skb.charge;
        let writable =
            !matches!(sender.state, State::Listen { .. }) && (sender.wmem + 2) * 4 <= UNIX_SNDBUF;
        if writable && !sender.dead {
            self.unix_wake(skb.sender, KEY_OUT, Edge::Must);
        }
    }

    /// Frees every skb queued at `u`.
    pub(crate) fn unix_purge(&mut self, u: UnixId) {
        let queue = std::mem::take(&mut self.unix_mut(u).queue);
        for skb in &queue {
            self.unix_free(skb);
        }
    }
}
