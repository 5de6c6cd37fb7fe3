//! `World::branches`: the dispatch from `Op` to the syscall bodies in `tcp`, `epoll`, `pipe`,
//! `eventfd`, `udp` and `unix`, each body run on a copy of the world per allowed outcome.

use super::World;
use crate::errno::EINVAL;
use crate::model::Branch;
use crate::op::{Fd, Op};
use crate::socket::{Bound, Ss, Tcp};

impl World {
    /// Every way this state can carry out `op`, the network standing still. `Settle` is the
    /// model's business (`net::settle`), not a syscall.
    pub(crate) fn branches(&self, op: &Op) -> Vec<Branch> {
        // Before UDP's: `udp_branches` answers `getsockopt` of every socket but a Unix one.
        if let Some(branches) = self.unix_branches(op) {
            return branches;
        }
        if let Some(branches) = self.udp_branches(op) {
            return branches;
        }
        match *op {
            Op::Socket => self.exact(World::socket),
            Op::Bind { fd, port } => self.exact(|w| w.bind(fd, port)),
            Op::Listen { fd, backlog } => {
                let exact = self.exact(|w| w.listen(fd, backlog));
                let attempted = matches!(self.sock_of(fd), Ok(s) if self.sock(s).attempted);
                match (attempted, self.cfg.linux) {
                    (false, _) => exact,
                    // 6.18.44 refuses to listen on a socket that once attempted a connection;
                    // an earlier 6.18 did not (FREEDOMS.md, 7; `linux::LISTEN_AFTER_CONNECT`).
                    (true, None) => [self.listen_refused(fd), exact].concat(),
                    (true, Some(b)) if b.listen_after_connect_einval => self.listen_refused(fd),
                    (true, Some(_)) => exact,
                }
            }
            Op::Connect { fd, port } => {
                let exact = self.exact(|w| w.connect(fd, port));
                let starts = self.sock_of(fd).is_ok_and(|s| {
                    let s = self.sock(s);
                    s.listened && s.ss == Ss::Unconnected && s.tcp == Tcp::Close
                });
                match (starts, self.cfg.linux) {
                    (false, _) => exact,
                    // 6.18.44 refuses to connect from a socket that once listened; an earlier
                    // 6.18 did not (FREEDOMS.md, 7; `linux::CONNECT_AFTER_LISTEN`).
                    (true, None) => [self.fail(EINVAL), exact].concat(),
                    (true, Some(b)) if b.connect_after_listen_einval => self.fail(EINVAL),
                    (true, Some(_)) => exact,
                }
            }
            Op::Accept { fd } => self.accept(fd),
            Op::SoError { fd } => self.exact(|w| w.so_error(fd)),
            Op::SetSockOpt { fd, opt } => self.exact(|w| w.setsockopt(fd, opt)),
            Op::Shutdown { fd, how } => self.exact(|w| w.shutdown(fd, how)),
            Op::Read { fd, len } => self.read(fd, len),
            Op::Write { fd, len } => self.write(fd, len),
            Op::Close { fd } => {
                let closed = self.exact(|w| w.close(fd));
                let split = closed.into_iter().flat_map(|b| match b {
                    Branch::Exact(outcome, w) => (w.split().into_iter())
                        .map(|w| Branch::Exact(outcome.clone(), w))
                        .collect::<Vec<_>>(),
                    other => vec![other],
                });
                split.collect()
            }
            Op::Dup { fd } => self.exact(|w| w.dup(fd)),
            Op::Fcntl { fd, cmd } => self.exact(|w| w.fcntl(fd, cmd)),
            Op::Fionread { fd } => self.fionread(fd),
            Op::Dup3 { fd, newfd, flags } => self.dup3(fd, newfd, flags, false),
            Op::Dup2 { fd, newfd } => self.dup3(fd, newfd, 0, true),
            Op::Pipe => self.exact(World::pipe),
            Op::EventFd { init, semaphore } => self.exact(|w| w.eventfd(init, semaphore)),
            Op::EventFdRead { fd, len } => self.exact(|w| w.eventfd_read(fd, len)),
            Op::EventFdWrite { fd, value, len } => {
                let exact = self.exact(|w| w.eventfd_write(fd, value, len));
                if len > 8 && self.file_of(fd).is_ok() {
                    // Linux 6.6 ("eventfd: strictly check the count parameter of
                    // eventfd_write") refuses every count but 8; older kernels wrote the
                    // first 8 bytes of a longer buffer. Both are Linux (FREEDOMS.md, 7).
                    match self.cfg.linux {
                        None => [self.fail(EINVAL), exact].concat(),
                        Some(b) if b.eventfd_long_write_einval => self.fail(EINVAL),
                        Some(_) => exact,
                    }
                } else {
                    exact
                }
            }
            Op::EpollCreate => self.exact(World::epoll_create),
            Op::EpollCtl {
                epfd,
                op,
                fd,
                events,
                data,
            } => self.epoll_ctl(epfd, op, fd, events, data),
            Op::EpollWait { epfd, maxevents } => self.epoll_wait(epfd, maxevents),
            Op::EpollPwait {
                epfd, maxevents, ..
            } => self.epoll_wait(epfd, maxevents),
            Op::Pipe2 { flags } => self.pipe2_flags(flags),
            Op::EventFd2 { init, flags } => self.eventfd_flags(init, flags),
            Op::Poll { ref fds, .. } => self.poll_fds(fds),
            Op::Settle => panic!("world: Settle is the network's step, see Model"),
            Op::UdpSocket | Op::SendTo { .. } | Op::RecvFrom { .. } | Op::GetSockOpt { .. } => {
                unreachable!("udp_branches answers {op:?}")
            }
            Op::UnixSocket { .. }
            | Op::SocketPair { .. }
            | Op::UnixBind { .. }
            | Op::UnixConnect { .. }
            | Op::UnixAccept { .. }
            | Op::UnixSendTo { .. }
            | Op::UnixRecvFrom { .. }
            | Op::GetUnixName { .. }
            | Op::Unlink { .. } => unreachable!("unix_branches answers {op:?}"),
        }
    }

    /// `listen` on a socket that once attempted a connection, as 6.18.44 answers it: `EINVAL`
    /// after the autobind, so an unbound socket keeps the ephemeral port it took (a later
    /// `bind` is `EINVAL`; measured).
    fn listen_refused(&self, fd: Fd) -> Vec<Branch> {
        self.exact(|w| {
            let s = w.sock_of(fd)?;
            let sock = w.sock_mut(s);
            if sock.ss == Ss::Unconnected && sock.tcp == Tcp::Close && sock.bound == Bound::No {
                sock.bound = Bound::Ephemeral;
            }
            Err(EINVAL)
        })
    }
}
