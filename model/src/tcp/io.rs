//! `read` and `write` on TCP sockets: how much each may take or find near the buffer bounds
//! (the freedoms the module docs of `tcp` name), and committing what was chosen.

use crate::errno::{EAGAIN, ENOTCONN, EPIPE};
use crate::file::SockId;
use crate::model::{Branch, Io};
use crate::net::Seg;
use crate::op::Outcome;
use crate::socket::Tcp;
use crate::world::World;

impl World {
    /// `tcp_recvmsg` on a nonblocking socket. With data waiting, a read returns up to what
    /// was sent; past `stream_buf_min` pending bytes, only that much is surely in the receive
    /// queue (the rest may still wait in the sender's queue for the window), so any count
    /// from there up is allowed.
    pub(crate) fn socket_read(&self, s: SockId, len: usize) -> Vec<Branch> {
        self.socket_recv(s, len, Io::Read)
    }

    /// `socket_read`, or with `Io::Peek` a `recv(MSG_PEEK)`: the same answers, the bytes
    /// left queued (a pending error is taken all the same, as `tcp_recvmsg` does).
    pub(crate) fn socket_recv(&self, s: SockId, len: usize, io: Io) -> Vec<Branch> {
        let sock = self.sock(s);
        if len > 0 && sock.tcp != Tcp::Listen && sock.unread > 0 {
            let most = len.min(sock.unread);
            let sure = sock.unread - sock.lossy;
            let least = most.min(self.cfg.stream_buf_min.min(sure).max(1));
            let mut branches = vec![Branch::Count {
                min: least,
                max: most,
                world: self.clone(),
                sock: s,
                io,
            }];
            if sure == 0 {
                // Only lossy bytes are left: they may never come (the peer's abort purged
                // them, or no window update lets them out), nor anything queued behind them.
                branches.extend(self.exact(|w| {
                    let sock = w.sock_mut(s);
                    sock.unread = 0;
                    sock.lossy = 0;
                    if let Some(p) = sock.peer {
                        let stuck = |seg: &Seg| {
                            matches!(
                                seg,
                                Seg::Data(_) | Seg::Nagle(_) | Seg::LossyData(_) | Seg::Fin
                            )
                        };
                        w.sock_mut(p).outbox.retain(|seg| !stuck(seg));
                    }
                    w.socket_read_nothing(s, len)
                }));
            }
            return branches;
        }
        self.exact(|w| w.socket_read_nothing(s, len))
    }

    /// The read of `n` bytes the implementation made; the window update goes out.
    pub(crate) fn commit_read(&mut self, s: SockId, n: usize) {
        let sock = self.sock_mut(s);
        assert!(n <= sock.unread, "tcp: read {n} bytes of {}", sock.unread);
        sock.unread -= n;
        sock.lossy = sock.lossy.min(sock.unread);
        if sock.tcp != Tcp::Close {
            match sock.outbox.back_mut() {
                Some(Seg::Window(pending)) => *pending += n,
                _ => sock.outbox.push_back(Seg::Window(n)),
            }
        }
    }

    /// `tcp_recvmsg` with no data to return: EOF, the pending error, or why not.
    fn socket_read_nothing(&mut self, s: SockId, len: usize) -> Result<Outcome, i32> {
        if len == 0 {
            return Ok(Outcome::Bytes(0)); // `sock_read_iter`: "Match SYS5 behaviour".
        }
        let sock = self.sock_mut(s);
        if sock.tcp == Tcp::Listen {
            return Err(ENOTCONN);
        }
        if sock.done {
            return Ok(Outcome::Bytes(0));
        }
        if let Some(err) = sock.take_err() {
            return Err(err);
        }
        if sock.rd_shut {
            return Ok(Outcome::Bytes(0));
        }
        match sock.tcp {
            Tcp::Close => Err(ENOTCONN),
            _ => Err(EAGAIN),
        }
    }

    /// `tcp_sendmsg` on a nonblocking socket. How much a write takes is certain up to
    /// `stream_buf_min` unacknowledged bytes and impossible past `stream_buf_max`; in between
    /// Linux's autotuned buffers decide, so any count from what surely fits (at least 1) to
    /// what could fit is allowed, and `EAGAIN` too when nothing surely fits.
    pub(crate) fn socket_write(&self, s: SockId, len: usize) -> Vec<Branch> {
        let mut w = self.clone();
        let sock = w.sock_mut(s);
        if !matches!(sock.tcp, Tcp::Established | Tcp::CloseWait) {
            // `sk_stream_wait_connect`.
            let result = match (sock.take_err(), sock.tcp) {
                (Some(err), _) => err,
                (None, Tcp::SynSent | Tcp::SynRecv) => EAGAIN,
                (None, _) => EPIPE,
            };
            return vec![Branch::Exact(Outcome::Err(result), w)];
        }
        if sock.err.is_some() || sock.wr_shut {
            let err = sock.take_err().unwrap_or(EPIPE);
            return vec![Branch::Exact(Outcome::Err(err), w)];
        }
        if len == 0 {
            return vec![Branch::Exact(Outcome::Bytes(0), w)];
        }
        let surely = self.cfg.stream_buf_min.saturating_sub(sock.sent);
        let at_most = self.cfg.stream_buf_max.saturating_sub(sock.sent);
        if len <= surely {
            return vec![Branch::Count {
                min: len,
                max: len,
                world: w,
                sock: s,
                io: Io::Write,
            }];
        }
        let mut branches = Vec::new();
        if at_most > 0 {
            branches.push(Branch::Count {
                min: surely.max(1),
                max: len.min(at_most),
                world: w.clone(),
                sock: s,
                io: Io::Write,
            });
        }
        if surely == 0 {
            branches.push(Branch::Exact(Outcome::Err(EAGAIN), w));
        }
        branches
    }

    /// The write of `n` bytes the implementation made.
    pub(crate) fn commit_write(&mut self, s: SockId, n: usize) {
        let sock = self.sock_mut(s);
        // Earlier data the peer has not read may be unacknowledged too: Nagle may hold this.
        let nagle = !sock.nodelay && sock.sent > 0;
        sock.sent += n;
        sock.outbox
            .push_back(if nagle { Seg::Nagle(n) } else { Seg::Data(n) });
    }
}
