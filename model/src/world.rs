//! `World`: one concrete state of the modelled kernel, and what each op does to it.
//!
//! Owns: the fd table, open files, pipes, sockets (including kernel-only ones), TIME_WAIT
//! entries, and the dispatch from `Op` to the syscall bodies in `tcp`, `epoll`, `pipe` and
//! `eventfd`. A `World` is deterministic; the choices Linux leaves open are expressed as
//! several `Branch`es, and the network's progress by `net::closure`/`net::settle`.
//! Keeps: every fd names a live file; every file's `refs` equals the fds naming it; epoll
//! entries name live files (`forget` runs on release). Checked by `assert_consistent`.
//! Does not model: threads, signals, `fork`, memory limits.
//!
//! Children: `dispatch` (`branches`), `unsupported`, `pipe_io` (pipe and eventfd bodies),
//! `describe` (the state as text).

use crate::config::Config;
use crate::epoll::Edge;
use crate::errno::{EBADF, EMFILE};
use crate::event::KEY_ALL;
use crate::fd_table::Table;
use crate::file::{File, FileId, Kind, PipeId, SockId};
use crate::model::Branch;
use crate::op::{outcome, Fd, Outcome};
use crate::pipe::Pipe;
use crate::socket::Socket;
use std::collections::BTreeMap;

mod describe;
mod dispatch;
mod pipe_io;
mod unsupported;

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
}
