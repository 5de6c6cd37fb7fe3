//! The datagram half of Unix sockets: `connect` (the default peer), `sendto` and `recvfrom`
//! (`unix_dgram_connect`, `unix_dgram_sendmsg`, `unix_dgram_recvmsg`). Errors in Linux's
//! order for each call; see `unix` for the semantics.

use super::skb::{truesize, Skb};
use super::socket::UnixKey;
use crate::kernel::io::Src;
use crate::kernel::{Kernel, WMEM_DEFAULT};
use simkern_poller::sys::epoll::{EPOLLERR, EPOLLIN, EPOLLOUT};
use simkern_poller::sys::{Errno, MsgFlags, SockType, SysResult, UnixAddr};
use std::collections::VecDeque;

impl Kernel {
    /// `unix_may_send`: `other` takes datagrams from `k` unless connected elsewhere.
    fn unix_may_send(&self, other: UnixKey, k: UnixKey) -> bool {
        self.unixes[other].peer.is_none_or(|p| p == k)
    }

    /// `unix_dgram_connect`: sets the default peer. A new peer drops the queued datagrams
    /// (`unix_dgram_disconnected`), giving the old peer `ECONNRESET` if it was connected back.
    pub(crate) fn unix_dgram_connect(&mut self, k: UnixKey, addr: &UnixAddr) -> SysResult<()> {
        addr.check()?;
        let other = self.unix_find(addr, SockType::Dgram)?;
        if !self.unix_may_send(other, k) {
            return Err(Errno::EPERM);
        }
        let old = self.unixes[k].peer.replace(other);
        self.unixes[k].peer_name = self.unixes[other].name.clone();
        if let Some(old) = old.filter(|&o| o != other) {
            if !self.unixes[k].queue.is_empty() {
                self.unix_purge(k);
                if let Some(o) = self.unixes.get_mut(old) {
                    if o.peer == Some(k) {
                        o.error = Some(Errno::ECONNRESET);
                        self.wake_unix(old, EPOLLERR);
                    }
                }
            }
        }
        Ok(())
    }

    /// `unix_dgram_sendmsg`: one datagram to `addr` or the default peer.
    pub(crate) fn unix_dgram_send(
        &mut self,
        k: UnixKey,
        src: &Src<'_, '_>,
        addr: Option<&UnixAddr>,
    ) -> SysResult<usize> {
        if let Some(addr) = addr {
            addr.check()?;
        }
        let len = src.total();
        if len > WMEM_DEFAULT - 32 {
            return Err(Errno::EMSGSIZE);
        }
        let sock = &mut self.unixes[k];
        if let Some(e) = sock.error.take() {
            return Err(e);
        }
        if sock.snd_shutdown {
            return Err(Errno::EPIPE);
        }
        if sock.wmem >= WMEM_DEFAULT {
            return Err(Errno::EAGAIN);
        }
        let sent = self.unix_dgram_deliver(k, src, addr, len);
        if sent.is_err() && self.unixes[k].writable(WMEM_DEFAULT) {
            // The skb allocated for it is freed (`sock_wfree` → `unix_write_space`): a
            // failed send wakes its sender for EPOLLOUT (measured on 6.18; conformance
            // `a_datagram_send_that_fails_after_allocating_wakes_the_sender`).
            self.wake_unix(k, EPOLLOUT);
        }
        sent
    }

    /// The part of `unix_dgram_sendmsg` after the skb is allocated: the destination, and
    /// the datagram queued there.
    fn unix_dgram_deliver(
        &mut self,
        k: UnixKey,
        src: &Src<'_, '_>,
        addr: Option<&UnixAddr>,
        len: usize,
    ) -> SysResult<usize> {
        let sock = &self.unixes[k];
        // 6.18 looks for the default peer after allocating the skb: an unconnected socket
        // shut for writing is EPIPE, not ENOTCONN (measured; conformance
        // `an_unconnected_datagram_socket_shut_for_writing_is_epipe`).
        let other = match addr {
            Some(addr) => self.unix_find(addr, SockType::Dgram)?,
            None => {
                let peer = sock.peer.ok_or(Errno::ENOTCONN)?;
                if !self.unixes.contains_key(peer) {
                    // The peer closed: disconnect, once; what was queued here is lost
                    // (`unix_dgram_disconnected`).
                    self.unixes[k].peer = None;
                    if !self.unixes[k].queue.is_empty() {
                        self.unix_purge(k);
                        self.unix_wake_senders(k);
                    }
                    return Err(Errno::ECONNREFUSED);
                }
                peer
            }
        };
        if !self.unix_may_send(other, k) {
            return Err(Errno::EPERM);
        }
        let receiver = &self.unixes[other];
        if receiver.rcv_shutdown {
            return Err(Errno::EPIPE);
        }
        // Never full to itself (`other != sk` in `unix_dgram_sendmsg`).
        if other != k && receiver.peer != Some(k) && receiver.recvq_full() {
            return Err(Errno::EAGAIN);
        }
        let mut data = VecDeque::with_capacity(len);
        src.copy_to(0, len, &mut data);
        let charge = truesize(len, false);
        let from = self.unixes[k].name.clone();
        self.unixes[k].wmem += charge;
        self.unixes[other].queue.push_back(Skb {
            data: data.into(),
            read: 0,
            sender: k,
            from,
            charge,
        });
        self.wake_unix(other, EPOLLIN);
        self.unix_check_wmem(k);
        Ok(len)
    }

    /// `unix_dgram_recvmsg`: the pending error, else one whole datagram (what fits is copied; `MSG_TRUNC` returns its
    /// real length; `MSG_PEEK` leaves it) and its sender's name.
    pub(crate) fn unix_dgram_recv(
        &mut self,
        k: UnixKey,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> SysResult<(usize, UnixAddr)> {
        let sock = &mut self.unixes[k];
        // `__skb_try_recv_datagram`: a pending error first, even with datagrams queued.
        if let Some(e) = sock.error.take() {
            return Err(e);
        }
        let skb = sock.queue.front().ok_or(Errno::EAGAIN)?;
        let n = skb.data.len().min(buf.len());
        buf[..n].copy_from_slice(&skb.data[..n]);
        let len = skb.data.len();
        let from = skb.from.clone();
        if !flags.contains(MsgFlags::PEEK) {
            let was_full = sock.recvq_full();
            let skb = sock.queue.pop_front().expect("the datagram just read");
            self.unix_uncharge(skb.sender, skb.charge);
            if was_full {
                self.unix_wake_senders(k);
            }
        }
        Ok((
            if flags.contains(MsgFlags::TRUNC) {
                len
            } else {
                n
            },
            from,
        ))
    }

    /// A datagram left `k`'s full queue: wake the sockets connected to it (`peer_wait`),
    /// which lost `EPOLLOUT` to it.
    pub(crate) fn unix_wake_senders(&mut self, k: UnixKey) {
        let senders: Vec<UnixKey> = self
            .unixes
            .iter()
            .filter(|(s, sock)| *s != k && sock.peer == Some(k) && sock.ty == SockType::Dgram)
            .map(|(s, _)| s)
            .collect();
        for s in senders {
            self.wake_unix(s, EPOLLOUT);
        }
    }

    /// Drops every skb queued at `k`, freeing their senders' charges.
    pub(crate) fn unix_purge(&mut self, k: UnixKey) {
        let queue = std::mem::take(&mut self.unixes[k].queue);
        for skb in queue {
            self.unix_uncharge(skb.sender, skb.charge);
        }
    }
}
