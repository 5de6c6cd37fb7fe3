//! `pipe`, and `read`/`write` on pipes and eventfds: the bodies `World::branches` dispatches to.

use super::World;
use crate::epoll::Edge;
use crate::errno::{EBADF, EINVAL, EMFILE};
use crate::event::{EPOLLIN, EPOLLOUT, EPOLLRDNORM, EPOLLWRNORM};
use crate::eventfd::EventFd;
use crate::file::{FileId, Kind, PipeId};
use crate::model::Branch;
use crate::op::{Fd, Outcome};
use crate::pipe::{Io, Pipe};

impl World {
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

    pub(super) fn read(&self, fd: Fd, len: usize) -> Vec<Branch> {
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

    pub(super) fn write(&self, fd: Fd, len: usize) -> Vec<Branch> {
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

    pub(super) fn eventfd_read(&mut self, fd: Fd, len: usize) -> Result<Outcome, i32> {
        let (file, e) = self.eventfd_mut(fd)?;
        let value = e.read(len)?;
        self.wake(file, EPOLLOUT, Edge::Must);
        Ok(Outcome::Value(value))
    }

    pub(super) fn eventfd_write(&mut self, fd: Fd, value: u64, len: usize) -> Result<Outcome, i32> {
        let (file, e) = self.eventfd_mut(fd)?;
        let n = e.write(value, len)?;
        self.wake(file, EPOLLIN, Edge::Must);
        Ok(Outcome::Bytes(n))
    }
}
