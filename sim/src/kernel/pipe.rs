//! Pipes (pipe(7)), always `O_NONBLOCK`: a ring of page buffers between a read end and a
//! write end, each end its own open file.
//!
//! Kept as `fs/pipe.c` does, because poll and atomicity depend on buffers, not bytes:
//! - capacity is `Config::pipe_capacity / PAGE_SIZE` page buffers (16 by default: 65536
//!   bytes). A write first merges its `len % PAGE_SIZE` leading bytes into the last buffer if
//!   they fit whole there, then fills fresh pages; so writes of at most `PIPE_BUF` bytes are
//!   atomic (all or `EAGAIN`) and larger ones may be partial.
//! - the write end is `EPOLLOUT` while a buffer is free, `EPOLLERR` once no reader is left; a
//!   write then fails with `EPIPE` (no `SIGPIPE` here; the real backend's Rust runtime ignores
//!   it too). A zero-length write returns 0 before any check.
//! - the read end is `EPOLLIN` while data is queued, `EPOLLHUP` once no writer is left; a read
//!   then drains the data and returns 0; with a writer and no data it is `EAGAIN`. A read
//!   returns as much as asked for if that much is queued.
//! - wakeups: every write wakes the read end (`EPOLLIN`, the `poll_usage` rule since 5.14, so
//!   edge-triggered readers see each write); a read that started with the pipe full wakes the
//!   write end (`EPOLLOUT`); closing one end while the other is open wakes it (key 0).
//!
//! Not modelled: `F_SETPIPE_SZ`, `O_DIRECT` packet mode, splice, the per-user pipe page limit.

use super::config::PAGE_SIZE;
use super::file::{FileKey, Kind};
use super::io::Src;
use super::Kernel;
use simkern_poller::sys::epoll::{EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT};
use simkern_poller::sys::{Errno, Fd, SysResult};
use std::collections::VecDeque;

slotmap::new_key_type! {
    /// A pipe (`struct pipe_inode_info`).
    pub(crate) struct PipeKey;
}

/// One page buffer: `len` bytes starting `offset` bytes into its page.
#[derive(Copy, Clone, Debug)]
struct Buf {
    offset: usize,
    len: usize,
}

/// A pipe's state.
pub(crate) struct Pipe {
    /// The queued bytes of all buffers, in order.
    bytes: VecDeque<u8>,
    bufs: VecDeque<Buf>,
    max_bufs: usize,
    /// The read end's file, while open.
    pub(crate) reader: Option<FileKey>,
    /// The write end's file, while open.
    pub(crate) writer: Option<FileKey>,
    /// A write was cut short as if the pipe had filled: the next read wakes the writer as a
    /// read of a full pipe does (`Kernel::found_short_of_space`).
    pub(crate) writer_waits: bool,
}

impl Pipe {
    fn is_full(&self) -> bool {
        self.bufs.len() >= self.max_bufs
    }

    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    pub(crate) fn poll_read(&self) -> u32 {
        let mut mask = 0;
        if !self.bytes.is_empty() {
            mask |= EPOLLIN;
        }
        if self.writer.is_none() {
            mask |= EPOLLHUP;
        }
        mask
    }

    pub(crate) fn poll_write(&self) -> u32 {
        let mut mask = 0;
        if !self.is_full() {
            mask |= EPOLLOUT;
        }
        if self.reader.is_none() {
            mask |= EPOLLERR;
        }
        mask
    }

    /// `pipe_write` in nonblocking mode.
    fn write(&mut self, src: &Src<'_, '_>) -> SysResult<usize> {
        let total = src.total();
        if total == 0 {
            return Ok(0);
        }
        if self.reader.is_none() {
            return Err(Errno::EPIPE);
        }
        let mut done = 0;
        let chars = total % PAGE_SIZE;
        if chars != 0 {
            if let Some(last) = self.bufs.back_mut() {
                if last.offset + last.len + chars <= PAGE_SIZE {
                    src.copy_to(0, chars, &mut self.bytes);
                    last.len += chars;
                    done = chars;
                }
            }
        }
        while done < total && !self.is_full() {
            let n = (total - done).min(PAGE_SIZE);
            src.copy_to(done, n, &mut self.bytes);
            self.bufs.push_back(Buf { offset: 0, len: n });
            done += n;
        }
        self.check();
        if done == 0 {
            Err(Errno::EAGAIN)
        } else {
            Ok(done)
        }
    }

    /// Copies out up to `buf.len()` bytes, releasing drained buffers.
    fn read(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.bytes.len());
        let (a, b) = self.bytes.as_slices();
        let from_a = n.min(a.len());
        buf[..from_a].copy_from_slice(&a[..from_a]);
        buf[from_a..n].copy_from_slice(&b[..n - from_a]);
        self.bytes.drain(..n);
        let mut left = n;
        while left > 0 {
            let front = self.bufs.front_mut().expect("pipe bytes without a buffer");
            let k = left.min(front.len);
            front.offset += k;
            front.len -= k;
            left -= k;
            if front.len == 0 {
                self.bufs.pop_front();
            }
        }
        self.check();
        n
    }

    /// Buffers account for exactly the queued bytes, within capacity.
    fn check(&self) {
        assert!(
            self.bufs.len() <= self.max_bufs,
            "pipe holds {} buffers, capacity {}",
            self.bufs.len(),
            self.max_bufs
        );
        debug_assert_eq!(
            self.bufs.iter().map(|b| b.len).sum::<usize>(),
            self.bytes.len(),
            "pipe buffers disagree with the queued bytes"
        );
    }
}

impl Kernel {
    /// `pipe2(O_NONBLOCK | O_CLOEXEC)`: `(read end, write end)`.
    pub fn pipe2(&mut self) -> SysResult<(Fd, Fd)> {
        if !self.fds.can_alloc(2) {
            return Err(Errno::EMFILE);
        }
        let p = self.pipes.insert(Pipe {
            bytes: VecDeque::new(),
            bufs: VecDeque::new(),
            max_bufs: self.config.pipe_capacity / PAGE_SIZE,
            reader: None,
            writer: None,
            writer_waits: false,
        });
        let r = self.install(Kind::PipeRead(p));
        let w = self.install(Kind::PipeWrite(p));
        self.pipes[p].reader = self.fds.get(r);
        self.pipes[p].writer = self.fds.get(w);
        Ok((r, w))
    }

    pub(crate) fn pipe_read(&mut self, p: PipeKey, buf: &mut [u8]) -> SysResult<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let pipe = &mut self.pipes[p];
        let was_full = pipe.is_full() || pipe.writer_waits;
        let n = pipe.read(buf);
        if n == 0 {
            return if pipe.writer.is_none() {
                Ok(0)
            } else {
                Err(Errno::EAGAIN)
            };
        }
        pipe.writer_waits = false;
        if was_full {
            if let Some(w) = pipe.writer {
                self.wake(w, EPOLLOUT);
            }
        }
        Ok(n)
    }

    pub(crate) fn pipe_write(&mut self, p: PipeKey, src: &Src<'_, '_>) -> SysResult<usize> {
        let n = self.pipes[p].write(src)?;
        if n > 0 {
            let reader = self.pipes[p]
                .reader
                .expect("wrote to a pipe with no reader");
            self.wake(reader, EPOLLIN);
        }
        Ok(n)
    }

    /// `pipe_release`: one end's file died.
    pub(crate) fn pipe_release(&mut self, p: PipeKey, read_end: bool) {
        let pipe = &mut self.pipes[p];
        let other = if read_end {
            assert!(pipe.reader.take().is_some(), "pipe read end released twice");
            pipe.writer
        } else {
            assert!(
                pipe.writer.take().is_some(),
                "pipe write end released twice"
            );
            pipe.reader
        };
        match other {
            Some(file) => self.wake(file, 0),
            None => {
                self.pipes.remove(p);
            }
        }
    }
}
