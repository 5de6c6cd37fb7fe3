//! The stream half of Unix sockets: `listen`, `connect`, `accept4`, and the byte stream's
//! `write` and `read` (`unix_stream_sendmsg`, `unix_stream_read_generic`). Errors in Linux's
//! order for each call; see `unix` for the semantics.

use super::skb::{truesize, Skb, STREAM_SKB_MAX};
use super::socket::{Socket, State, UnixKey};
use crate::kernel::io::Src;
use crate::kernel::{Kernel, WMEM_DEFAULT};
use simkern_poller::sys::epoll::{EPOLLIN, EPOLLOUT};
use simkern_poller::sys::{Errno, MsgFlags, SockType, SysResult, UnixAddr};
use std::collections::VecDeque;

impl Kernel {
    /// `unix_listen`.
    pub(crate) fn unix_listen(&mut self, k: UnixKey, backlog: i32) -> SysResult<()> {
        let somaxconn = self.config.somaxconn;
        let backlog = u32::try_from(backlog).map_or(somaxconn, |b| b.min(somaxconn));
        let sock = &mut self.unixes[k];
        if sock.ty != SockType::Stream {
            return Err(Errno::EOPNOTSUPP);
        }
        if sock.name == UnixAddr::Unnamed {
            return Err(Errno::EINVAL);
        }
        match &mut sock.state {
            State::Listen { backlog: b, .. } => *b = backlog,
            State::Unconnected => {
                sock.state = State::Listen {
                    backlog,
                    queue: VecDeque::new(),
                }
            }
            State::Connected => return Err(Errno::EINVAL),
        }
        Ok(())
    }

    /// `unix_stream_connect`: completes at once (an embryo on the listener's queue) or fails.
    pub(crate) fn unix_stream_connect(&mut self, k: UnixKey, addr: &UnixAddr) -> SysResult<()> {
        addr.check()?;
        let other = self.unix_find(addr, SockType::Stream)?;
        let listener = &self.unixes[other];
        if !matches!(listener.state, State::Listen { .. }) || listener.rcv_shutdown {
            return Err(Errno::ECONNREFUSED);
        }
        if listener.recvq_full() {
            return Err(Errno::EAGAIN);
        }
        match self.unixes[k].state {
            State::Unconnected => {}
            State::Connected => return Err(Errno::EISCONN),
            State::Listen { .. } => return Err(Errno::EINVAL),
        }
        let mut embryo = Socket::new(SockType::Stream);
        embryo.name = self.unixes[other].name.clone();
        embryo.state = State::Connected;
        embryo.peer = Some(k);
        embryo.peer_name = self.unixes[k].name.clone();
        let embryo = self.unixes.insert(embryo);
        let listener_name = self.unixes[other].name.clone();
        let sock = &mut self.unixes[k];
        sock.state = State::Connected;
        sock.peer = Some(embryo);
        sock.peer_name = listener_name;
        let State::Listen { queue, .. } = &mut self.unixes[other].state else {
            unreachable!("checked listening above");
        };
        queue.push_back(embryo);
        self.wake_unix(other, EPOLLIN);
        // The connecting socket's mask changed (no more EPOLLHUP), but Linux wakes only the
        // listener (`sk_data_ready`): an edge-triggered entry on the client sees nothing new
        // (measured on 6.18; conformance `a_stream_connect_wakes_the_listener_and_not_the_client`).
        Ok(())
    }

    /// `unix_accept`: the oldest embryo and its peer's name. The caller checked `EMFILE`.
    pub(crate) fn unix_accept(&mut self, k: UnixKey) -> SysResult<(UnixKey, UnixAddr)> {
        let sock = &mut self.unixes[k];
        if sock.ty != SockType::Stream {
            return Err(Errno::EOPNOTSUPP);
        }
        let State::Listen { queue, .. } = &mut sock.state else {
            return Err(Errno::EINVAL);
        };
        let child = queue.pop_front().ok_or(Errno::EAGAIN)?;
        let peer_name = self.unixes[child].peer_name.clone();
        Ok((child, peer_name))
    }

    /// `unix_stream_sendmsg` without an address: skbs of at most `STREAM_SKB_MAX` bytes
    /// while the send charge is under `sndbuf`; the bytes taken, or the first error.
    pub(crate) fn unix_stream_write(&mut self, k: UnixKey, src: &Src<'_, '_>) -> SysResult<usize> {
        let sock = &self.unixes[k];
        let peer = match (&sock.state, sock.peer) {
            (State::Connected, Some(p)) => p,
            _ => return Err(Errno::ENOTCONN),
        };
        if sock.snd_shutdown {
            return Err(Errno::EPIPE);
        }
        let from = sock.name.clone();
        let mut sent = 0;
        while sent < src.total() {
            let sock = &mut self.unixes[k];
            if let Some(e) = sock.error.take() {
                return if sent > 0 { Ok(sent) } else { Err(e) };
            }
            if sock.wmem >= WMEM_DEFAULT {
                return if sent > 0 {
                    Ok(sent)
                } else {
                    Err(Errno::EAGAIN)
                };
            }
            let alive = self.unixes.get(peer).is_some_and(|p| !p.rcv_shutdown);
            if !alive {
                return if sent > 0 {
                    Ok(sent)
                } else {
                    Err(Errno::EPIPE)
                };
            }
            let n = (src.total() - sent).min(STREAM_SKB_MAX);
            let mut data = VecDeque::with_capacity(n);
            src.copy_to(sent, n, &mut data);
            let charge = truesize(n, true);
            self.unixes[k].wmem += charge;
            self.unixes[peer].queue.push_back(Skb {
                data: data.into(),
                read: 0,
                sender: k,
                from: from.clone(),
                charge,
            });
            sent += n;
            self.wake_unix(peer, EPOLLIN);
        }
        self.unix_check_wmem(k);
        Ok(sent)
    }

    /// `unix_stream_read_generic`: bytes across skbs up to `buf`'s length (`MSG_PEEK` leaves
    /// them; `MSG_TRUNC` is ignored, as Linux does on a stream), and the name of the first
    /// skb's sender. Empty queue: the pending error, else 0 after `SHUT_RD` or peer close,
    /// else `EAGAIN`.
    pub(crate) fn unix_stream_read(
        &mut self,
        k: UnixKey,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> SysResult<(usize, UnixAddr)> {
        // A zero-length `recvfrom` reaches here (a `read` does not: `sock_read_iter`): it
        // answers as any other, with 0 bytes when something is queued.
        let sock = &mut self.unixes[k];
        if !matches!(sock.state, State::Connected) {
            return Err(Errno::EINVAL);
        }
        if sock.queue.is_empty() {
            if let Some(e) = sock.error.take() {
                return Err(e);
            }
            return if sock.rcv_shutdown {
                Ok((0, UnixAddr::Unnamed))
            } else {
                Err(Errno::EAGAIN)
            };
        }
        let from = sock.queue[0].from.clone();
        let peek = flags.contains(MsgFlags::PEEK);
        let mut copied = 0;
        let mut freed = Vec::new();
        let mut i = 0;
        while copied < buf.len() && i < sock.queue.len() {
            let skb = &mut sock.queue[i];
            let avail = &skb.data[skb.read..];
            let n = avail.len().min(buf.len() - copied);
            buf[copied..copied + n].copy_from_slice(&avail[..n]);
            copied += n;
            if peek {
                i += 1;
                continue;
            }
            skb.read += n;
            if skb.read == skb.data.len() {
                let skb = sock.queue.pop_front().expect("the skb just read");
                freed.push((skb.sender, skb.charge));
            }
        }
        for (sender, charge) in freed {
            self.unix_uncharge(sender, charge);
        }
        Ok((copied, from))
    }

    /// An skb of `sender` worth `charge` was freed: `sock_wfree`, and `unix_write_space`
    /// wakes the sender with `EPOLLOUT` once it is writable.
    pub(crate) fn unix_uncharge(&mut self, sender: UnixKey, charge: usize) {
        let Some(s) = self.unixes.get_mut(sender) else {
            return; // the sender closed; its charge went with it
        };
        assert!(
            s.wmem >= charge,
            "unix socket {sender:?}: freeing {charge} bytes of a {}-byte charge",
            s.wmem
        );
        s.wmem -= charge;
        if s.writable(WMEM_DEFAULT) {
            self.wake_unix(sender, EPOLLOUT);
        }
    }
}
