//! Open file descriptions (`struct file`): what an fd points at, shared by `dup`.
//!
//! Owns the reference count (one per fd naming the file; `dup` adds one, `close` drops one,
//! the file dies with its last reference) and the file's wait queue as epoll sees it: the list
//! of epoll interest entries watching it (`file->f_ep`). When the last reference goes, the
//! file is first removed from every epoll interest list (`eventpoll_release`), then its object
//! is released (`f_op->release`). Closing one fd of a dup'ed file therefore leaves epoll
//! registrations made through that fd alive and reporting — the classic epoll gotcha, kept on
//! purpose.
//!
//! Invariant, checked on `dup` and `close`: a file's `refs` equals the number of fds naming it.
//! Not modelled: references held by in-flight syscalls (an `epoll_wait` blocked on an epoll
//! whose fd another thread closes keeps it alive on Linux; here the harvest sees `EBADF`).

use super::epoll::{EntryKey, EpollKey};
use super::eventfd::EventFd;
use super::pipe::PipeKey;
use super::tcp::SocketKey;
use super::udp::UdpKey;
use super::unix::UnixKey;
use super::Kernel;
use simkern_poller::sys::{Errno, Fd, SysResult};

slotmap::new_key_type! {
    /// An open file description.
    pub(crate) struct FileKey;
}

/// What kind of object a file is, and which one.
pub(crate) enum Kind {
    Epoll(EpollKey),
    Socket(SocketKey),
    Udp(UdpKey),
    Unix(UnixKey),
    PipeRead(PipeKey),
    PipeWrite(PipeKey),
    EventFd(EventFd),
}

/// One epoll interest entry watching a file: the epoll and the fd it was registered under.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Watcher {
    pub(crate) epoll: EpollKey,
    pub(crate) fd: Fd,
    /// The interest entry in `epoll` this watcher feeds.
    pub(crate) entry: EntryKey,
}

/// An open file description.
pub(crate) struct File {
    /// fds naming this file.
    pub(crate) refs: u32,
    pub(crate) kind: Kind,
    /// Epoll interest entries watching this file, in registration order.
    pub(crate) watchers: Vec<Watcher>,
    /// The status flags `F_SETFL` changes (`O_NONBLOCK`, `O_APPEND`), shared by every fd of
    /// the file. Without `O_NONBLOCK` the scheduler makes I/O wait (`crate::blocking`).
    pub(crate) status: i32,
}

impl Kernel {
    /// Whether `fd` is a byte stream (a TCP or Unix stream socket, or a pipe end), where Linux may accept part of
    /// a write. An eventfd write is all or nothing, so a short-write fault must never hit one.
    pub fn is_stream(&self, fd: Fd) -> bool {
        self.file_of(fd)
            .ok()
            .and_then(|f| self.files.get(f))
            .is_some_and(|f| match f.kind {
                Kind::Socket(_) | Kind::PipeRead(_) | Kind::PipeWrite(_) => true,
                Kind::Unix(k) => self.unixes[k].ty == simkern_poller::sys::SockType::Stream,
                _ => false,
            })
    }

    /// The file behind `fd`, or `EBADF`.
    #[inline]
    pub(crate) fn file_of(&self, fd: Fd) -> SysResult<FileKey> {
        self.fds.get(fd).ok_or(Errno::EBADF)
    }

    /// Creates a file of `kind` and installs it at the lowest free fd. The caller has checked
    /// `fds.can_alloc`, so creating the object first and failing afterwards cannot happen.
    pub(crate) fn install(&mut self, kind: Kind) -> Fd {
        // Every file the trait creates is nonblocking but an epoll (`epoll_create1` takes
        // no `O_NONBLOCK`).
        let status = match kind {
            Kind::Epoll(_) => 0,
            _ => simkern_poller::sys::fd_flags::O_NONBLOCK,
        };
        let file = self.files.insert(File {
            refs: 1,
            kind,
            watchers: Vec::new(),
            status,
        });
        self.fds
            .alloc(file)
            .expect("install: caller checked that an fd is free")
    }

    /// `dup`: a new fd for the same file.
    pub fn dup(&mut self, fd: Fd) -> SysResult<Fd> {
        let file = self.file_of(fd)?;
        let new = self.fds.alloc(file)?;
        self.files[file].refs += 1;
        self.check_refs(file);
        Ok(new)
    }

    /// Drops one reference to `file` (an fd naming it was closed); releases it with the last.
    pub(crate) fn put_file(&mut self, file: FileKey, now: u64, ch: &mut dyn super::Choices) {
        let refs = &mut self.files[file].refs;
        assert!(*refs >= 1, "file {file:?} closed with no references left");
        *refs -= 1;
        if *refs > 0 {
            self.check_refs(file);
            return;
        }
        // eventpoll_release: out of every interest list first, so no harvest can see it.
        let watchers = std::mem::take(&mut self.files[file].watchers);
        for w in &watchers {
            self.epolls[w.epoll].remove((w.fd, file));
        }
        let File { kind, .. } = self.files.remove(file).expect("file vanished mid-close");
        match kind {
            Kind::Epoll(ep) => self.epoll_release(ep),
            Kind::Socket(s) => self.tcp_close(s, now, ch),
            Kind::Udp(u) => self.udp_close(u),
            Kind::Unix(k) => self.unix_close(k),
            Kind::PipeRead(p) => self.pipe_release(p, true),
            Kind::PipeWrite(p) => self.pipe_release(p, false),
            Kind::EventFd(_) => {}
        }
    }

    /// Debug check: `refs` equals the number of fds naming the file.
    fn check_refs(&self, file: FileKey) {
        debug_assert_eq!(
            self.files[file].refs as usize,
            self.fds.iter().filter(|&(_, f)| f == file).count(),
            "file {file:?}: reference count differs from the fds naming it"
        );
    }
}
