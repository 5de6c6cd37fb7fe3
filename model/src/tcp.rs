//! Socket syscalls: `socket`, `bind`, `listen`, `connect`, `accept4`, `SO_ERROR`, `shutdown`,
//! and `read`/`write`/`close` on sockets.
//!
//! Owns: the checks and effects of each call in Linux's order (`__sys_*`, `inet_*`,
//! `tcp_recvmsg`, `tcp_sendmsg`, `tcp_close`), as the nonblocking `Sys` trait issues them.
//! Notable rules: nonblocking `connect` on loopback always answers `EINPROGRESS` (the
//! handshake completes after the call has decided, in `release_sock`); a second `connect`
//! answers `EALREADY` while in progress, 0 once established (then `EISCONN`), and reports the
//! error once it failed; `write` on a never-connected socket is `EPIPE`, `read` is `ENOTCONN`;
//! unread data at `close` sends RST instead of FIN; `accept4` checks `EMFILE` before taking a
//! connection, so the connection stays queued. How much a `write` takes near the buffer
//! bounds, and how much a `read` finds when more than `Config::stream_buf_min` bytes are
//! pending, are freedoms (see `World::socket_write`, `World::socket_read`).
//! `setsockopt` records `SO_REUSEADDR` (bind conflicts, see `net`) and `SO_LINGER` 0 (the last
//! close aborts with RST, `tcp_close` → `tcp_disconnect`).
//! Does not model: a second connection attempt on one socket, connecting to the socket's own
//! port, `SO_LINGER` with a timeout, `MSG_*` flags other than `MSG_NOSIGNAL`, `getsockname`.
//!
//! Child: `io` (`read`/`write` on sockets: the freedoms and their commits).

use crate::epoll::Edge;
use crate::errno::{
    EADDRINUSE, EAGAIN, EALREADY, ECONNABORTED, EINPROGRESS, EINVAL, EISCONN, EMFILE, ENOTCONN,
    ENOTSOCK,
};
use crate::event::{EPOLLERR, KEY_ALL};
use crate::file::{Kind, SockId};
use crate::model::Branch;
use crate::net::Seg;
use crate::op::{Fd, Outcome, Port, Shut, SockOpt};
use crate::socket::{Backlog, Bound, Socket, Ss, Tcp};
use crate::world::World;
use std::collections::VecDeque;

mod io;

impl World {
    /// The socket behind `fd`: `EBADF`, or `ENOTSOCK` for other files.
    pub(crate) fn sock_of(&self, fd: Fd) -> Result<SockId, i32> {
        match self.file(self.file_of(fd)?).kind {
            Kind::Socket(s) => Ok(s),
            Kind::PipeRead(_)
            | Kind::PipeWrite(_)
            | Kind::EventFd(_)
            | Kind::Epoll(_)
            | Kind::Udp(_)
            | Kind::Unix(_) => Err(ENOTSOCK),
        }
    }

    pub(crate) fn socket(&mut self) -> Result<Outcome, i32> {
        self.fds.lowest_free().ok_or(EMFILE)?;
        let s = self.new_sock(Socket::new(None, Tcp::Close));
        let (fd, file) = self.open(Kind::Socket(s))?;
        let reuse = self.cfg.reuse_addr;
        let sock = self.sock_mut(s);
        sock.file = Some(file);
        sock.reuse = reuse;
        Ok(Outcome::Fd(fd))
    }

    /// `sock_setsockopt`/`do_tcp_setsockopt` for the options in `SockOpt`: any state.
    pub(crate) fn setsockopt(&mut self, fd: Fd, opt: SockOpt) -> Result<Outcome, i32> {
        let s = self.sock_of(fd)?;
        let sock = self.sock_mut(s);
        match opt {
            SockOpt::ReuseAddr(on) => sock.reuse = on,
            SockOpt::NoDelay(on) => sock.nodelay = on,
            SockOpt::Linger(linger) => sock.linger0 = linger == Some(0),
            SockOpt::Ttl(ttl) => sock.ttl = crate::op::ttl_arg(ttl)?,
            SockOpt::Broadcast(on) => sock.broadcast = on,
            // `do_ip_setsockopt` refuses a `SOCK_STREAM` socket before it reads the value.
            SockOpt::MulticastTtl(_) => return Err(crate::errno::EINVAL),
            SockOpt::MulticastLoop(on) => sock.mc_loop = on,
        }
        Ok(Outcome::Ok)
    }

    pub(crate) fn bind(&mut self, fd: Fd, port: Port) -> Result<Outcome, i32> {
        let s = self.sock_of(fd)?;
        let sock = self.sock(s);
        if sock.bound != Bound::No || sock.tcp != Tcp::Close {
            return Err(EINVAL);
        }
        if self.port_in_use(port, s) {
            return Err(EADDRINUSE);
        }
        self.sock_mut(s).bound = Bound::Port(port);
        Ok(Outcome::Ok)
    }

    pub(crate) fn listen(&mut self, fd: Fd, backlog: i32) -> Result<Outcome, i32> {
        let s = self.sock_of(fd)?;
        // `__sys_listen`: `if ((unsigned int)backlog > somaxconn) backlog = somaxconn`.
        let max = u32::try_from(backlog).map_or(self.cfg.somaxconn, |b| b.min(self.cfg.somaxconn));
        let sock = self.sock(s);
        if sock.ss != Ss::Unconnected || !matches!(sock.tcp, Tcp::Close | Tcp::Listen) {
            return Err(EINVAL);
        }
        if sock.tcp == Tcp::Listen {
            self.sock_mut(s).backlog.as_mut().expect("listener").max = max;
            return Ok(Outcome::Ok);
        }
        if let Some(port) = sock.port() {
            // With SO_REUSEADDR two sockets may share a port until one listens: the listen
            // re-check (`inet_csk_get_port` from `inet_csk_listen_start`, same rule as bind)
            // then conflicts with another listener. Without it, `bind` already made the port
            // ours alone.
            if self.port_in_use(port, s) {
                return Err(EADDRINUSE);
            }
        }
        let sock = self.sock_mut(s);
        sock.set_tcp(Tcp::Listen);
        sock.listened = true;
        sock.backlog = Some(Backlog {
            max,
            queue: VecDeque::new(),
        });
        if sock.bound == Bound::No {
            sock.bound = Bound::Ephemeral;
        }
        Ok(Outcome::Ok)
    }

    /// `__inet_stream_connect` for a nonblocking socket.
    pub(crate) fn connect(&mut self, fd: Fd, port: Port) -> Result<Outcome, i32> {
        let s = self.sock_of(fd)?;
        let sock = self.sock_mut(s);
        match (sock.ss, sock.tcp) {
            (Ss::Connected, _) => Err(EISCONN),
            (Ss::Disconnecting, _) => Err(EINVAL),
            (Ss::Connecting, Tcp::SynSent | Tcp::SynRecv) => Err(EALREADY),
            (Ss::Connecting, Tcp::Close) => {
                // The attempt failed: report it once and reset (`tcp_disconnect`: it purges
                // the receive and write queues and ends with `sk_error_report`, a wakeup
                // with key `EPOLLERR`).
                let err = sock.take_err().unwrap_or(ECONNABORTED);
                sock.ss = Ss::Unconnected;
                sock.rd_shut = false;
                sock.wr_shut = false;
                sock.done = false;
                sock.unread = 0;
                sock.sent = 0;
                self.wake_sock(s, EPOLLERR, Edge::Must);
                Err(err)
            }
            (Ss::Connecting, _) => {
                sock.ss = Ss::Connected;
                Ok(Outcome::Ok)
            }
            (Ss::Unconnected, Tcp::Close) => {
                sock.set_tcp(Tcp::SynSent);
                sock.ss = Ss::Connecting;
                sock.dest = Some(port);
                sock.attempted = true;
                if sock.bound == Bound::No {
                    sock.bound = Bound::Ephemeral;
                }
                sock.outbox.push_back(Seg::Syn { retry: false });
                let mut half = Socket::new(None, Tcp::Unborn);
                half.peer = Some(s);
                let half = self.new_sock(half);
                self.sock_mut(s).peer = Some(half);
                Err(EINPROGRESS)
            }
            (Ss::Unconnected, _) => Err(EISCONN),
        }
    }

    /// `accept4`: every queued child at the head may be the one returned.
    pub(crate) fn accept(&self, fd: Fd) -> Vec<Branch> {
        let file = match self.file_of(fd) {
            Ok(file) => file,
            Err(e) => return self.fail(e),
        };
        let no_fd = self.fds.lowest_free().is_none();
        let s = match (&self.file(file).kind, no_fd) {
            (Kind::Socket(s), false) => *s,
            (Kind::Socket(_), true) => return self.fail(EMFILE),
            // Recent kernels take the fd before looking at the file (`__sys_accept4_file`,
            // then `do_accept`); older ones looked at the file first. Both are Linux.
            (_, true) => return [self.fail(EMFILE), self.fail(ENOTSOCK)].concat(),
            (_, false) => return self.fail(ENOTSOCK),
        };
        let Some(backlog) = self.sock(s).backlog.as_ref() else {
            return self.fail(EINVAL);
        };
        let Some(first) = backlog.queue.front() else {
            return self.fail(EAGAIN);
        };
        let mut branches = Vec::new();
        for &child in first {
            let mut w = self.clone();
            let queue = &mut w.sock_mut(s).backlog.as_mut().expect("listener").queue;
            queue[0].remove(&child);
            if queue[0].is_empty() {
                queue.pop_front();
            }
            let (fd, file) = w.open(Kind::Socket(child)).expect("a free fd was checked");
            let c = w.sock_mut(child);
            c.file = Some(file);
            c.ss = Ss::Connected;
            branches.push(Branch::Exact(Outcome::Fd(fd), w));
        }
        branches
    }

    pub(crate) fn so_error(&mut self, fd: Fd) -> Result<Outcome, i32> {
        let s = self.sock_of(fd)?;
        Ok(Outcome::SoError(self.sock_mut(s).take_err().unwrap_or(0)))
    }

    /// `inet_shutdown`.
    pub(crate) fn shutdown(&mut self, fd: Fd, how: Shut) -> Result<Outcome, i32> {
        let s = self.sock_of(fd)?;
        let (rd, wr) = how.bits();
        let min = self.cfg.stream_buf_min;
        let sock = self.sock_mut(s);
        if sock.ss == Ss::Connecting {
            sock.ss = match sock.tcp {
                Tcp::SynSent | Tcp::SynRecv | Tcp::Close => Ss::Disconnecting,
                Tcp::Established | Tcp::CloseWait | Tcp::FinWait | Tcp::LastAck | Tcp::Closing => {
                    Ss::Connected
                }
                state @ (Tcp::Unborn | Tcp::Listen) => {
                    panic!("tcp: a connecting socket is never {state:?}")
                }
            };
        }
        let result = match sock.tcp {
            Tcp::Close => {
                // Not connected, but the bits are set anyway ("hack to wake up other
                // listeners, who can poll for EPOLLHUP").
                sock.rd_shut |= rd;
                sock.wr_shut |= wr;
                Err(ENOTCONN)
            }
            Tcp::Listen if !rd => Ok(Outcome::Ok),
            Tcp::Listen => {
                // `tcp_disconnect`, which also clears `sk_shutdown` (a `SHUT_RD` made before
                // `listen` is forgotten).
                self.listen_stop(s);
                let sock = self.sock_mut(s);
                sock.set_tcp(Tcp::Close);
                sock.ss = Ss::Unconnected;
                sock.rd_shut = false;
                sock.wr_shut = false;
                Ok(Outcome::Ok)
            }
            Tcp::SynSent => {
                // `tcp_disconnect`: abandon the attempt; the error says so; `sk_shutdown` is
                // cleared (`how` is not applied). A SYN already on the wire still arrives; a
                // dropped one is never retransmitted.
                sock.outbox.retain(|seg| *seg != Seg::Syn { retry: true });
                sock.set_tcp(Tcp::Close);
                sock.err = Some(crate::errno::ECONNRESET);
                sock.ss = Ss::Unconnected;
                sock.rd_shut = false;
                sock.wr_shut = false;
                Ok(Outcome::Ok)
            }
            Tcp::Established | Tcp::CloseWait | Tcp::FinWait | Tcp::LastAck | Tcp::Closing => {
                sock.rd_shut |= rd;
                sock.wr_shut |= wr;
                if rd {
                    // No more window updates may go out (`tcp_cleanup_rbuf` sends none once
                    // RCV_SHUTDOWN is set, unless an ACK is due anyway): data beyond what
                    // surely arrived may never come.
                    sock.lossy = sock.lossy.max(sock.unread.saturating_sub(min));
                }
                if wr {
                    self.send_fin(s);
                }
                Ok(Outcome::Ok)
            }
            state @ (Tcp::Unborn | Tcp::SynRecv) => {
                panic!("tcp: a socket with a file is never {state:?}")
            }
        };
        self.wake_sock(s, KEY_ALL, Edge::Must);
        result
    }

    /// `tcp_send_fin` where `tcp_close_state` allows it.
    pub(crate) fn send_fin(&mut self, s: SockId) {
        let sock = self.sock_mut(s);
        let next = match sock.tcp {
            Tcp::Established => Tcp::FinWait,
            Tcp::CloseWait => Tcp::LastAck,
            _ => return,
        };
        sock.set_tcp(next);
        sock.outbox.push_back(Seg::Fin);
    }

    /// `tcp_close` when the last file reference goes.
    pub(crate) fn socket_release(&mut self, s: SockId) {
        let sock = self.sock_mut(s);
        sock.file = None;
        sock.rd_shut = true;
        sock.wr_shut = true;
        match sock.tcp {
            Tcp::Listen => {
                self.listen_stop(s);
                self.sock_mut(s).set_tcp(Tcp::Close);
            }
            Tcp::SynSent => {
                sock.outbox.retain(|seg| *seg != Seg::Syn { retry: true });
                sock.set_tcp(Tcp::Close);
            }
            Tcp::Established | Tcp::CloseWait | Tcp::FinWait | Tcp::LastAck | Tcp::Closing
                if sock.unread > 0 =>
            {
                // Unread data: abort with RST rather than FIN (RFC 2525, `data_was_unread`).
                sock.unread = 0;
                sock.lossy = 0;
                sock.set_tcp(Tcp::Close);
                sock.outbox.push_back(Seg::Rst);
                self.abort = Some(s);
            }
            Tcp::Established | Tcp::CloseWait | Tcp::FinWait if sock.linger0 => {
                // SO_LINGER 0: `tcp_disconnect` resets the states `tcp_need_reset` names
                // (LAST_ACK only with unsent data, which loopback never keeps). Segments
                // already sent still arrive ahead of the RST.
                sock.set_tcp(Tcp::Close);
                sock.outbox.push_back(Seg::Rst);
                self.abort = Some(s);
            }
            Tcp::Established | Tcp::CloseWait => self.send_fin(s),
            Tcp::FinWait | Tcp::LastAck | Tcp::Closing | Tcp::Close => {}
            state @ (Tcp::Unborn | Tcp::SynRecv) => {
                panic!("tcp: a socket with a file is never {state:?}")
            }
        }
    }

    /// `inet_csk_listen_stop`: queued children are reset, pending requests dropped.
    pub(crate) fn listen_stop(&mut self, l: SockId) {
        let backlog = self
            .sock_mut(l)
            .backlog
            .take()
            .expect("listener has a queue");
        for child in backlog.queue.into_iter().flatten() {
            // `inet_child_forget` → `tcp_disconnect`: RST where `tcp_need_reset` says so
            // (a child born shut for sending is in FIN_WAIT).
            let c = self.sock_mut(child);
            if matches!(c.tcp, Tcp::Established | Tcp::CloseWait | Tcp::FinWait) {
                c.set_tcp(Tcp::Close);
                c.outbox.push_back(Seg::Rst);
            }
        }
        let requests: Vec<SockId> = self
            .sockets
            .iter()
            .filter(|(_, h)| h.tcp == Tcp::SynRecv && h.listener == Some(l))
            .map(|(&id, _)| id)
            .collect();
        for h in requests {
            self.sock_mut(h).set_tcp(Tcp::Close);
        }
    }
}
