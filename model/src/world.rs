//! `World`: one concrete state of the modelled kernel, and what each op does to it.
//!
//! Owns: the fd table, open files, pipes, sockets (including kernel-only ones), TIME_WAIT
//! entries, and the dispatch from `Op` to the syscall bodies in `tcp`, `epoll`, `pipe` and
//! `eventfd`. A `World` is deterministic; the choices Linux leaves open are expressed as
//! several `Branch`es, and the network's progress by `net::closure`/`net::settle`.
//! Keeps: every fd names a live file; every file's `refs` equals the fds naming it; epoll
//! entries name live files (`forget` runs on release). Checked by `assert_consistent`.
//! Does not model: threads, signals, `fork`, memory limits.

use crate::config::Config;
use crate::epoll::Edge;
use crate::errno::{EBADF, EINVAL, EMFILE};
use crate::event::{EPOLLIN, EPOLLOUT, EPOLLRDNORM, EPOLLWRNORM, KEY_ALL};
use crate::eventfd::EventFd;
use crate::fd_table::Table;
use crate::file::{File, FileId, Kind, PipeId, SockId};
use crate::model::Branch;
use crate::op::{outcome, Fd, Op, Outcome, SockOpt};
use crate::pipe::{Io, Pipe};
use crate::socket::{Bound, Socket, Ss, Tcp};
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct World {
    pub(crate) cfg: Config,
    pub(crate) fds: Table,
    pub(crate) files: BTreeMap<FileId, File>,
    pub(crate) pipes: BTreeMap<PipeId, Pipe>,
    pub(crate) sockets: BTreeMap<SockId, Socket>,
    pub(crate) udps: BTreeMap<crate::file::UdpId, crate::udp::Udp>,
    pub(crate) unixes: BTreeMap<crate::file::UnixId, crate::unix::Unix>,
    /// Bound Unix names (`unix::name_key`): a path's socket (`None` once it closed: the file
    /// stays until `unlink`), an abstract name's (one per socket type).
    pub(crate) unix_names: BTreeMap<(crate::op::UnixName, bool), Option<crate::file::UnixId>>,
    /// TIME_WAIT entries per (harness port, `SO_REUSEADDR` of the socket that left them):
    /// they never expire within a test.
    pub(crate) time_wait: BTreeMap<(crate::op::Port, bool), u32>,
    /// A socket that has just aborted (sent RST) with data in flight: `split` turns it into
    /// the states where the RST does or does not overtake the unsent part. `None` in every
    /// state the model keeps.
    pub(crate) abort: Option<SockId>,
    /// Other states the last arrival may equally have led to (a SYN dropped or answered):
    /// `split` returns them beside this one. Empty in every state the model keeps.
    pub(crate) forks: Vec<World>,
    next_id: u32,
}

impl World {
    pub(crate) fn new(cfg: Config) -> World {
        World {
            fds: Table::new(cfg.first_fd, cfg.fd_limit),
            cfg,
            files: BTreeMap::new(),
            pipes: BTreeMap::new(),
            sockets: BTreeMap::new(),
            udps: BTreeMap::new(),
            unixes: BTreeMap::new(),
            unix_names: BTreeMap::new(),
            time_wait: BTreeMap::new(),
            abort: None,
            forks: Vec::new(),
            next_id: 1,
        }
    }

    pub(crate) fn file(&self, id: FileId) -> &File {
        self.files
            .get(&id)
            .unwrap_or_else(|| panic!("world: {id:?} is referenced but not open"))
    }

    pub(crate) fn file_mut(&mut self, id: FileId) -> &mut File {
        self.files
            .get_mut(&id)
            .unwrap_or_else(|| panic!("world: {id:?} is referenced but not open"))
    }

    pub(crate) fn sock(&self, id: SockId) -> &Socket {
        &self.sockets[&id]
    }

    pub(crate) fn sock_mut(&mut self, id: SockId) -> &mut Socket {
        self.sockets
            .get_mut(&id)
            .expect("socket ids are never removed")
    }

    fn pipe_mut(&mut self, id: PipeId) -> &mut Pipe {
        self.pipes.get_mut(&id).expect("pipe ids are never removed")
    }

    /// The file behind `fd`, or `EBADF`.
    pub(crate) fn file_of(&self, fd: Fd) -> Result<FileId, i32> {
        self.fds.get(fd).ok_or(EBADF)
    }

    fn next(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    /// A fresh id (or sequence number) for any object.
    pub(crate) fn next_id(&mut self) -> u32 {
        self.next()
    }

    pub(crate) fn new_sock(&mut self, socket: Socket) -> SockId {
        let id = SockId(self.next());
        self.sockets.insert(id, socket);
        id
    }

    /// A new open file of `kind` at the lowest free fd, or `EMFILE`.
    pub(crate) fn open(&mut self, kind: Kind) -> Result<(Fd, FileId), i32> {
        self.fds.lowest_free().ok_or(EMFILE)?;
        let id = FileId(self.next());
        let status = crate::fcntl::initial_status(&kind);
        self.files.insert(
            id,
            File {
                refs: 1,
                kind,
                status,
            },
        );
        let fd = self.fds.install(id).expect("a free fd was just checked");
        Ok((fd, id))
    }

    /// One branch: the op fails with `errno` and changes nothing.
    pub(crate) fn fail(&self, errno: i32) -> Vec<Branch> {
        vec![Branch::Exact(Outcome::Err(errno), self.clone())]
    }

    /// One branch: run a deterministic syscall body on a copy.
    pub(crate) fn exact(
        &self,
        body: impl FnOnce(&mut World) -> Result<Outcome, i32>,
    ) -> Vec<Branch> {
        let mut w = self.clone();
        let result = outcome(body(&mut w));
        w.assert_consistent();
        vec![Branch::Exact(result, w)]
    }

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

    /// Why `op` is outside the model in this state, if it is.
    pub(crate) fn unsupported(&self, op: &Op) -> Option<&'static str> {
        let fds: &[Fd] = match op {
            Op::EpollCtl { epfd, fd, .. } => &[*epfd, *fd],
            Op::Dup3 { fd, newfd, .. } | Op::Dup2 { fd, newfd } => &[*fd, *newfd],
            Op::Bind { fd, .. }
            | Op::Listen { fd, .. }
            | Op::Connect { fd, .. }
            | Op::Accept { fd }
            | Op::SoError { fd }
            | Op::SetSockOpt { fd, .. }
            | Op::Shutdown { fd, .. }
            | Op::Read { fd, .. }
            | Op::Write { fd, .. }
            | Op::Close { fd }
            | Op::Dup { fd }
            | Op::Fcntl { fd, .. }
            | Op::Fionread { fd }
            | Op::EventFdRead { fd, .. }
            | Op::EventFdWrite { fd, .. }
            | Op::EpollWait { epfd: fd, .. }
            | Op::EpollPwait { epfd: fd, .. }
            | Op::SendTo { fd, .. }
            | Op::RecvFrom { fd, .. }
            | Op::GetSockOpt { fd, .. }
            | Op::UnixBind { fd, .. }
            | Op::UnixConnect { fd, .. }
            | Op::UnixAccept { fd }
            | Op::UnixSendTo { fd, .. }
            | Op::UnixRecvFrom { fd, .. }
            | Op::GetUnixName { fd, .. } => std::slice::from_ref(fd),
            Op::UnixSocket { .. } | Op::SocketPair { .. } | Op::Unlink { .. } => &[],
            Op::Poll { .. } => &[],
            Op::Socket
            | Op::UdpSocket
            | Op::Pipe
            | Op::Pipe2 { .. }
            | Op::EventFd { .. }
            | Op::EventFd2 { .. }
            | Op::EpollCreate
            | Op::Settle => &[],
        };
        if fds.iter().any(|&fd| self.fds.is_reserved(fd)) {
            return Some("the op names an fd below Config::first_fd, which the harness owns");
        }
        if let Some(why) = self.unix_unsupported(op) {
            return Some(why);
        }
        let kind = |fd: Fd| self.fds.get(fd).map(|file| &self.file(file).kind);
        match *op {
            Op::SetSockOpt {
                opt: SockOpt::Linger(Some(secs)),
                ..
            } if secs > 0 => Some("SO_LINGER with a timeout: the last close would block"),
            Op::Dup3 { fd, newfd, .. } | Op::Dup2 { fd, newfd }
                if fd != newfd && kind(newfd).is_none() && (newfd.0 >= 0 || kind(fd).is_none()) =>
            {
                // The harness maps every closed model fd to real -1.
                Some("dup2/dup3 onto a free fd (on Linux the number may be another test's), or of a closed fd onto -1")
            }
            Op::Pipe2 { flags } if crate::waits::pipe2_unsupported(flags).is_some() => {
                crate::waits::pipe2_unsupported(flags)
            }
            Op::EventFd2 { flags, .. } if crate::waits::eventfd_unsupported(flags).is_some() => {
                crate::waits::eventfd_unsupported(flags)
            }
            Op::Poll { ref fds, .. }
                if fds
                    .iter()
                    .any(|&(fd, _)| fd.0 >= 0 && self.fds.is_reserved(fd)) =>
            {
                Some("the op names an fd below Config::first_fd, which the harness owns")
            }
            Op::Poll { ref fds, .. }
                if fds.iter().any(|&(fd, _)| fd.0 >= 0 && kind(fd).is_none()) =>
            {
                // The harness maps every closed model fd to real -1, which poll skips.
                Some("poll of a closed fd (the harness passes -1 for it)")
            }
            Op::Fionread { fd } if matches!(kind(fd), Some(Kind::Socket(_))) => {
                Some("FIONREAD on TCP (tcp_inq under the receive-window freedom)")
            }
            Op::Fcntl { cmd, .. } if crate::fcntl::unsupported(cmd).is_some() => {
                crate::fcntl::unsupported(cmd)
            }
            Op::Read { fd, .. } | Op::Write { fd, .. }
                if matches!(kind(fd), Some(Kind::EventFd(_))) =>
            {
                Some("Read/Write on an eventfd: use EventFdRead/EventFdWrite")
            }
            Op::EventFdRead { fd, .. } | Op::EventFdWrite { fd, .. }
                if kind(fd).is_some_and(|k| !matches!(k, Kind::EventFd(_))) =>
            {
                Some("EventFdRead/EventFdWrite on a file that is not an eventfd")
            }
            Op::RecvFrom { fd, len: 0, .. } if matches!(kind(fd), Some(Kind::Socket(_))) => {
                Some("recvfrom of 0 bytes on TCP (0 with data queued, which may be in flight)")
            }
            Op::GetSockOpt {
                fd,
                opt: crate::op::SockOptGet::SndBuf | crate::op::SockOptGet::RcvBuf,
            } if matches!(kind(fd), Some(Kind::Socket(_))) => {
                Some("a TCP socket's buffer sizes grow with the connection (tcp_sndbuf_expand)")
            }
            Op::Connect { fd, port } => match kind(fd) {
                Some(Kind::Socket(s)) => {
                    let s = self.sock(*s);
                    let starts = s.ss == Ss::Unconnected && s.tcp == Tcp::Close;
                    if !starts {
                        None
                    } else if s.attempted {
                        Some("a second connection attempt on one socket")
                    } else if s.rd_shut || s.wr_shut {
                        Some("connect after shutdown of an unconnected socket")
                    } else if s.port() == Some(port) {
                        Some("connect to the socket's own port (TCP self-connect)")
                    } else {
                        None
                    }
                }
                _ => None,
            },
            _ => None,
        }
    }

    fn close(&mut self, fd: Fd) -> Result<Outcome, i32> {
        let file = self.fds.remove(fd).ok_or(EBADF)?;
        let f = self.file_mut(file);
        f.refs -= 1;
        if f.refs == 0 {
            self.release(file);
        }
        Ok(Outcome::Ok)
    }

    fn dup(&mut self, fd: Fd) -> Result<Outcome, i32> {
        let file = self.file_of(fd)?;
        let new = self.fds.install(file)?;
        self.file_mut(file).refs += 1;
        Ok(Outcome::Fd(new))
    }

    /// `__fput`: the last reference is gone. epoll forgets the file first
    /// (`eventpoll_release`), then the file's own `release` runs.
    pub(crate) fn release(&mut self, file: FileId) {
        self.forget(file);
        let released = self.files.remove(&file).expect("released file is open");
        match released.kind {
            Kind::PipeRead(p) => {
                let pipe = self.pipe_mut(p);
                pipe.read_end = None;
                if let Some(other) = pipe.write_end {
                    self.wake(other, KEY_ALL, Edge::Must);
                }
            }
            Kind::PipeWrite(p) => {
                let pipe = self.pipe_mut(p);
                pipe.write_end = None;
                if let Some(other) = pipe.read_end {
                    self.wake(other, KEY_ALL, Edge::Must);
                }
            }
            Kind::Socket(s) => self.socket_release(s),
            Kind::Udp(u) => self.udp_release(u),
            Kind::Unix(u) => self.unix_release(u, false),
            Kind::EventFd(_) | Kind::Epoll(_) => {}
        }
    }

    pub(crate) fn pipe(&mut self) -> Result<Outcome, i32> {
        if !self.fds.free_at_least(2) {
            return Err(EMFILE);
        }
        let p = PipeId(self.next());
        let (read_fd, read_file) = self.open(Kind::PipeRead(p))?;
        let (write_fd, write_file) = self.open(Kind::PipeWrite(p))?;
        let pipe = Pipe::new(self.cfg.pipe_pages, read_file, write_file);
        self.pipes.insert(p, pipe);
        Ok(Outcome::Pair(read_fd, write_fd))
    }

    fn pipe_wakes(&mut self, p: PipeId, io: &Io) {
        let pipe = &self.pipes[&p];
        let (readers, writers) = (pipe.read_end, pipe.write_end);
        if let Some(file) = readers {
            self.wake(file, EPOLLIN | EPOLLRDNORM, io.wake_readers);
        }
        if let Some(file) = writers {
            self.wake(file, EPOLLOUT | EPOLLWRNORM, io.wake_writers);
        }
    }

    fn read(&self, fd: Fd, len: usize) -> Vec<Branch> {
        let file = match self.file_of(fd) {
            Ok(file) => file,
            Err(errno) => return self.fail(errno),
        };
        match &self.file(file).kind {
            Kind::PipeRead(p) => {
                let p = *p;
                self.exact(|w| {
                    let io = w.pipe_mut(p).read(len);
                    w.pipe_wakes(p, &io);
                    io.result.map(Outcome::Bytes)
                })
            }
            Kind::Socket(s) => self.socket_read(*s, len),
            Kind::Udp(_) => unreachable!("udp_branches reads UDP sockets"),
            Kind::Unix(_) => unreachable!("unix_branches reads Unix sockets"),
            Kind::PipeWrite(_) => self.fail(EBADF),
            Kind::Epoll(_) => self.fail(EINVAL),
            Kind::EventFd(_) => panic!("world: Read on an eventfd is unsupported (checked)"),
        }
    }

    fn write(&self, fd: Fd, len: usize) -> Vec<Branch> {
        let file = match self.file_of(fd) {
            Ok(file) => file,
            Err(errno) => return self.fail(errno),
        };
        match &self.file(file).kind {
            Kind::Socket(s) => self.socket_write(*s, len),
            Kind::Udp(_) => unreachable!("udp_branches writes UDP sockets"),
            Kind::Unix(_) => unreachable!("unix_branches writes Unix sockets"),
            Kind::PipeWrite(p) => {
                let p = *p;
                self.exact(|w| {
                    let io = w.pipe_mut(p).write(len);
                    w.pipe_wakes(p, &io);
                    io.result.map(Outcome::Bytes)
                })
            }
            Kind::PipeRead(_) => self.fail(EBADF),
            Kind::Epoll(_) => self.fail(EINVAL),
            Kind::EventFd(_) => panic!("world: Write on an eventfd is unsupported (checked)"),
        }
    }

    pub(crate) fn eventfd(&mut self, init: u32, semaphore: bool) -> Result<Outcome, i32> {
        let (fd, _) = self.open(Kind::EventFd(EventFd::new(init, semaphore)))?;
        Ok(Outcome::Fd(fd))
    }

    fn eventfd_mut(&mut self, fd: Fd) -> Result<(FileId, &mut EventFd), i32> {
        let file = self.file_of(fd)?;
        match &mut self.file_mut(file).kind {
            Kind::EventFd(e) => Ok((file, e)),
            _ => panic!("world: eventfd op on another file is unsupported (checked)"),
        }
    }

    fn eventfd_read(&mut self, fd: Fd, len: usize) -> Result<Outcome, i32> {
        let (file, e) = self.eventfd_mut(fd)?;
        let value = e.read(len)?;
        self.wake(file, EPOLLOUT, Edge::Must);
        Ok(Outcome::Value(value))
    }

    fn eventfd_write(&mut self, fd: Fd, value: u64, len: usize) -> Result<Outcome, i32> {
        let (file, e) = self.eventfd_mut(fd)?;
        let n = e.write(value, len)?;
        self.wake(file, EPOLLIN, Edge::Must);
        Ok(Outcome::Bytes(n))
    }

    /// The file's `poll` (`vfs_poll`), as far as the model can know it.
    pub(crate) fn poll(&self, file: FileId, depth: usize) -> crate::event::Ready {
        match &self.file(file).kind {
            Kind::PipeRead(p) => self.pipes[p].poll_read_end(),
            Kind::PipeWrite(p) => self.pipes[p].poll_write_end(),
            Kind::EventFd(e) => e.poll(),
            Kind::Socket(s) => self.sock(*s).poll(&self.cfg),
            Kind::Udp(u) => self.udps[u].poll(),
            Kind::Unix(u) => self.unix_poll(*u),
            Kind::Epoll(_) => self.epoll_poll(file, depth),
        }
    }

    /// The fd table and file invariants (see the module docs).
    pub(crate) fn assert_consistent(&self) {
        let mut refs: BTreeMap<FileId, u32> = BTreeMap::new();
        for (fd, file) in self.fds.iter() {
            assert!(
                self.files.contains_key(&file),
                "world: {fd:?} names closed {file:?}"
            );
            *refs.entry(file).or_insert(0) += 1;
        }
        for (id, file) in &self.files {
            assert_eq!(
                refs.get(id).copied().unwrap_or(0),
                file.refs,
                "world: {id:?} counts {} references\n{}",
                file.refs,
                self.describe()
            );
            if let Kind::Epoll(epoll) = &file.kind {
                for key in epoll.entries.keys() {
                    assert!(
                        self.files.contains_key(&key.file),
                        "world: epoll {id:?} watches released {:?}",
                        key.file
                    );
                }
            }
        }
    }

    /// The fd table, the epoll interest lists and the sockets, for failure messages.
    pub(crate) fn describe(&self) -> String {
        let mut out = String::from("fd table:\n");
        for (fd, file) in self.fds.iter() {
            let f = self.file(file);
            let _ = write!(out, "  {fd:?} -> {file:?} (refs {}): ", f.refs);
            match &f.kind {
                Kind::PipeRead(p) => {
                    let _ = writeln!(out, "read end of {p:?}, {} bytes", self.pipes[p].len());
                }
                Kind::PipeWrite(p) => {
                    let _ = writeln!(out, "write end of {p:?}, {} bytes", self.pipes[p].len());
                }
                Kind::EventFd(e) => {
                    let _ = writeln!(out, "eventfd count {} semaphore {}", e.count, e.semaphore);
                }
                Kind::Socket(s) => {
                    let _ = writeln!(out, "{s:?}");
                }
                Kind::Udp(u) => {
                    let _ = writeln!(out, "{u:?}");
                }
                Kind::Unix(u) => {
                    let _ = writeln!(out, "{u:?}");
                }
                Kind::Epoll(epoll) => {
                    let _ = writeln!(out, "epoll");
                    for (key, e) in &epoll.entries {
                        let _ = writeln!(
                            out,
                            "      fd{} {:?}: {} data {} pending {:?}{}",
                            key.fd,
                            key.file,
                            crate::event::describe(e.events),
                            e.data,
                            e.pending,
                            if e.armed { "" } else { " disarmed" }
                        );
                    }
                }
            }
        }
        out.push_str("sockets:\n");
        for (id, s) in &self.sockets {
            let _ = writeln!(
                out,
                "  {id:?} {:?} {:?} {:?} peer {:?} unread {}{} sent {} done {} shut rd {} wr {} \
                 err {:?} in flight {:?}{}",
                s.tcp,
                s.ss,
                s.bound,
                s.peer,
                s.unread,
                if s.lossy > 0 {
                    format!(" ({} lossy)", s.lossy)
                } else {
                    String::new()
                },
                s.sent,
                s.done,
                s.rd_shut,
                s.wr_shut,
                s.err.map(crate::errno::describe),
                s.outbox,
                s.backlog
                    .as_ref()
                    .map(|b| format!(" queue {:?} (max {})", b.queue, b.max))
                    .unwrap_or_default()
            );
        }
        self.describe_udp(&mut out);
        self.describe_unix(&mut out);
        if !self.time_wait.is_empty() {
            let _ = writeln!(out, "TIME_WAIT: {:?}", self.time_wait);
        }
        out
    }
}
