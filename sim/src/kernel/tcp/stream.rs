//! The data path of a socket: `read`, `write`, `close`, and sending segments.
//!
//! `read` and `write` check in `tcp_recvmsg`/`tcp_sendmsg` order. A read returns queued data
//! first; with none it returns 0 after the peer's FIN, then the pending error (once), then 0
//! after any shutdown of the receive side, `ENOTCONN` when unconnected, else `EAGAIN`. A write
//! outside `ESTABLISHED`/`CLOSE_WAIT` returns the pending error, else `EAGAIN` while
//! connecting, else `EPIPE`; inside, it returns the pending error, then copies what fits.
//!
//! Window updates: a read that makes room while the peer's data waits for it sends a window
//! update; the waiting data resumes one drawn latency later (the update's trip), at an
//! `advance`, never inside the read.
//!
//! `WriteLen` freedom: a write that does not fit whole accepts between half the free space
//! (rounded up) and all of it, drawn from `Choices`; with `Config::write_len_freedom` off it
//! fills the free space, as Linux does.

use super::net::{latency, Event};
use super::socket::Listener;
use super::{ConnKey, Owner, SegKind, Side, SocketKey, State};
use crate::kernel::choices::{draw, Choice, Choices};
use crate::kernel::io::Src;
use crate::kernel::Kernel;
use simkern_poller::sys::epoll::EPOLLOUT;
use simkern_poller::sys::{Errno, MsgFlags, SysResult};

impl Kernel {
    /// `read` on a socket.
    pub(crate) fn tcp_read(
        &mut self,
        s: SocketKey,
        buf: &mut [u8],
        now: u64,
        ch: &mut dyn Choices,
    ) -> SysResult<usize> {
        if buf.is_empty() {
            return Ok(0); // sock_read_iter: a zero-length read succeeds before any check
        }
        self.tcp_recv(s, buf, MsgFlags::EMPTY, now, ch)
    }

    /// `recvfrom` on a socket (`tcp_recvmsg`): `MSG_PEEK` copies without taking (and sends
    /// no window update); `MSG_TRUNC` takes without copying. A 0-byte buffer returns 0 when
    /// data is queued, else the errors an empty queue gives (unlike `read`).
    pub(crate) fn tcp_recv(
        &mut self,
        s: SocketKey,
        buf: &mut [u8],
        flags: MsgFlags,
        now: u64,
        ch: &mut dyn Choices,
    ) -> SysResult<usize> {
        let sock = &mut self.sockets[s];
        if matches!(sock.state, State::Listen(_)) {
            return Err(Errno::ENOTCONN);
        }
        if let Some((c, side)) = sock.conn {
            let flow = &mut self.conns[c].flows[side.peer().idx()];
            if flow.readable() > 0 {
                if flags.contains(MsgFlags::PEEK) {
                    return Ok(flow.peek(buf));
                }
                let n = if flags.contains(MsgFlags::TRUNC) {
                    let mut scratch = vec![0; buf.len().min(flow.readable())];
                    flow.read(&mut scratch)
                } else {
                    flow.read(buf)
                };
                if flow.blocked {
                    flow.blocked = false;
                    let at = now.saturating_add(latency(&self.config, ch));
                    let flow = &mut self.conns[c].flows[side.peer().idx()];
                    // An earlier pending event (an RST's) finds the room just as well.
                    if flow.scheduled.is_none_or(|t| t > at) {
                        flow.scheduled = Some(at);
                        let event = Event::Flow {
                            conn: c,
                            side: side.peer(),
                        };
                        self.net.schedule(at, event);
                    }
                }
                return Ok(n);
            }
        }
        if sock.done {
            return Ok(0);
        }
        if let Some(e) = sock.error.take() {
            return Err(e);
        }
        if sock.rcv_shutdown {
            return Ok(0);
        }
        match sock.state {
            State::Closed => Err(Errno::ENOTCONN),
            _ => Err(Errno::EAGAIN),
        }
    }

    /// `write`/`writev` on a socket (`MSG_NOSIGNAL`).
    pub(crate) fn tcp_write(
        &mut self,
        s: SocketKey,
        src: &Src<'_, '_>,
        now: u64,
        ch: &mut dyn Choices,
    ) -> SysResult<usize> {
        let sock = &mut self.sockets[s];
        let sending = matches!(sock.state, State::Established) && !sock.snd_shutdown;
        if let Some(e) = sock.error.take() {
            return Err(e);
        }
        if !sending {
            return match sock.state {
                State::SynSent | State::SynRecv { .. } => Err(Errno::EAGAIN),
                _ => Err(Errno::EPIPE),
            };
        }
        let total = src.total();
        if total == 0 {
            return Ok(0);
        }
        let (c, side) = sock
            .conn
            .expect("an established socket without a connection");
        let unsent = self.conns[c].flows[side.idx()].unsent();
        let free = self.config.sndbuf.saturating_sub(unsent);
        let sock = &mut self.sockets[s];
        if free == 0 {
            sock.nospace = true;
            return Err(Errno::EAGAIN);
        }
        let n = if total <= free {
            total
        } else if self.config.write_len_freedom {
            let least = free.div_ceil(2);
            least + draw(ch, Choice::WriteLen, (free - least + 1) as u64) as usize
        } else {
            free
        };
        if n < total {
            sock.nospace = true;
        }
        self.send(c, side, SegKind::Data, Some((src, n)), now, ch);
        Ok(n)
    }

    /// Queues a segment from `side` of `c` (data: the first `n` bytes of `src`) arriving after
    /// a drawn latency, and makes sure the flow has a delivery event.
    pub(crate) fn send(
        &mut self,
        c: ConnKey,
        side: Side,
        kind: SegKind,
        data: Option<(&Src<'_, '_>, usize)>,
        now: u64,
        ch: &mut dyn Choices,
    ) {
        let at = now.saturating_add(latency(&self.config, ch));
        let flow = &mut self.conns[c].flows[side.idx()];
        let at = flow.push(at, kind, data);
        // A blocked or held flow is restarted by a read or a heal, not by a new segment;
        // an RST gets an event even behind blocked data, because it does not wait for room.
        let wanted =
            flow.scheduled.is_none() && !flow.held && (!flow.blocked || kind == SegKind::Rst);
        if wanted {
            flow.scheduled = Some(at);
            self.net.schedule(at, Event::Flow { conn: c, side });
        }
    }

    /// Data left `s`'s send buffer: wake it with `EPOLLOUT` if it saw the buffer full and is
    /// writable again (`sk_stream_write_space`).
    pub(crate) fn tcp_space_freed(&mut self, s: SocketKey) {
        match self.sockets.get(s) {
            Some(sock) if sock.nospace => {}
            _ => return,
        }
        if self.tcp_writeable(s) {
            self.sockets[s].nospace = false;
            self.wake_socket(s, EPOLLOUT);
        }
    }

    /// `tcp_close`: the socket's last fd is gone (its file already is).
    pub(crate) fn tcp_close(&mut self, s: SocketKey, now: u64, ch: &mut dyn Choices) {
        let sock = &mut self.sockets[s];
        sock.owner = Owner::Orphan;
        match sock.state {
            State::Listen(_) => {
                self.listen_stop(s, now, ch);
                self.free_socket(s);
            }
            State::Closed | State::SynSent => self.free_socket(s),
            State::SynRecv { .. } => unreachable!("closing a socket no fd named"),
            State::Established => {
                let (c, side) = sock
                    .conn
                    .expect("an established socket without a connection");
                let unread = self.conns[c].flows[side.peer().idx()].readable() > 0;
                let sock = &mut self.sockets[s];
                // SO_LINGER 0 resets what `tcp_need_reset` names: not LAST_ACK or CLOSING
                // (both FINs sent), which only wait for an ACK.
                let last_ack = sock.done && sock.fin_queued;
                let linger0 = sock.linger == Some(0) && !last_ack;
                sock.rcv_shutdown = true;
                sock.snd_shutdown = true;
                if unread || linger0 {
                    // Abortive close: RST instead of FIN (tcp_close's data_was_unread, or
                    // SO_LINGER with a zero timeout).
                    sock.state = State::Closed;
                    self.send(c, side, SegKind::Rst, None, now, ch);
                    self.free_socket(s);
                } else {
                    if !sock.fin_queued {
                        sock.fin_queued = true;
                        self.send(c, side, SegKind::Fin, None, now, ch);
                    }
                    self.maybe_free_orphan(s);
                }
            }
        }
    }

    /// `inet_csk_listen_stop`: the socket stops listening and every child, queued or
    /// mid-handshake, is reset; then CLOSE gives back a port the kernel chose.
    pub(crate) fn listen_stop(&mut self, l: SocketKey, now: u64, ch: &mut dyn Choices) {
        let sock = &mut self.sockets[l];
        let State::Listen(listener) = std::mem::replace(&mut sock.state, State::Closed) else {
            unreachable!("listen_stop on a socket that is not listening")
        };
        let port = sock.local.expect("a listener without an address").port();
        self.net.remove_listener(port, l);
        let Listener {
            queue, syn_recv, ..
        } = listener;
        for child in queue.into_iter().chain(syn_recv) {
            let sock = &mut self.sockets[child];
            assert_eq!(
                sock.owner,
                Owner::Listener(l),
                "child of {l:?} owned elsewhere"
            );
            sock.owner = Owner::Orphan;
            sock.state = State::Closed;
            if let Some((c, side)) = sock.conn {
                self.send(c, side, SegKind::Rst, None, now, ch);
            }
            self.free_socket(child);
        }
        self.tcp_put_port(l);
    }
}
