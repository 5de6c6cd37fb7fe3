//! Pipes (`pipe2(O_NONBLOCK)`), as `fs/pipe.c` keeps them: a ring of page-sized slots.
//!
//! Owns: the bytes in the pipe as pages (offset, length), which ends are still open, and the
//! rules of `pipe_read`/`pipe_write` for nonblocking files:
//! - capacity is `Config::pipe_pages` slots of one page each (16 × 4096 = 65536 bytes by
//!   default). A write first merges into the last page if the write's tail (`len % 4096`) fits
//!   there whole; the rest goes into fresh pages. So the byte capacity depends on the pattern
//!   of writes, exactly as on Linux (sixteen 1-byte writes separated by reads fill nothing;
//!   sixteen 4095-byte writes fill the pipe at 65520 bytes).
//! - a write of at most `PIPE_BUF` (4096) bytes is atomic: all of it, or `EAGAIN`; a larger
//!   write takes the pages that fit (a short count) or fails with `EAGAIN` if none does;
//! - `EPIPE` once the read end is closed; `read` returns 0 once the write end is closed and
//!   the pipe is empty, `EAGAIN` while it is open and empty; a zero-length read or write
//!   returns 0 before any other check.
//!
//! Readiness (`pipe_poll`): read end `EPOLLIN` while not empty, `EPOLLHUP` once the write end
//! is closed; write end `EPOLLOUT` while a slot is free, `EPOLLERR` once the read end is closed.
//! Wakeups: a read that frees a slot of a full pipe wakes writers; a write wakes readers
//! (see `Pipe::write` for the kernel-version freedom); closing one end wakes the other.
//! Does not model: `F_SETPIPE_SZ`, the per-user page limits that shrink new pipes to 2 slots
//! (`pipe-user-pages-soft`), packet mode (`O_DIRECT`), `splice`, blocking.

use crate::epoll::Edge;
use crate::errno::{EAGAIN, EPIPE};
use crate::event::{Ready, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDNORM, EPOLLWRNORM};
use crate::file::FileId;
use std::collections::VecDeque;

/// Linux's `PAGE_SIZE` on x86_64 and 4 KiB-page arm64; one pipe slot holds one page.
pub(crate) const PAGE_SIZE: usize = 4096;
/// `PIPE_BUF` (pipe(7)): writes up to this size are atomic. Equal to `PAGE_SIZE` on Linux.
pub(crate) const PIPE_BUF: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Page {
    offset: usize,
    len: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pipe {
    pages: VecDeque<Page>,
    slots: usize,
    /// The read-end file, until it is released.
    pub(crate) read_end: Option<FileId>,
    /// The write-end file, until it is released.
    pub(crate) write_end: Option<FileId>,
}

/// The result of one read or write and the wakeups it causes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Io {
    pub(crate) result: Result<usize, i32>,
    /// Wakeup of the read end's waiters (key `EPOLLIN`).
    pub(crate) wake_readers: Edge,
    /// Wakeup of the write end's waiters (key `EPOLLOUT`).
    pub(crate) wake_writers: Edge,
}

impl Io {
    fn quiet(result: Result<usize, i32>) -> Io {
        Io {
            result,
            wake_readers: Edge::None,
            wake_writers: Edge::None,
        }
    }
}

impl Pipe {
    pub(crate) fn new(slots: usize, read_end: FileId, write_end: FileId) -> Pipe {
        assert!(slots > 0, "Config::pipe_pages must be at least 1");
        Pipe {
            pages: VecDeque::new(),
            slots,
            read_end: Some(read_end),
            write_end: Some(write_end),
        }
    }

    /// Bytes in the pipe.
    pub(crate) fn len(&self) -> usize {
        self.pages.iter().map(|page| page.len).sum()
    }

    fn full(&self) -> bool {
        self.pages.len() >= self.slots
    }

    /// `pipe_read` on a nonblocking read end.
    pub(crate) fn read(&mut self, len: usize) -> Io {
        if len == 0 {
            return Io::quiet(Ok(0));
        }
        if self.pages.is_empty() {
            return Io::quiet(match self.write_end {
                None => Ok(0),
                Some(_) => Err(EAGAIN),
            });
        }
        let mut got = 0;
        let mut wake_writers = Edge::None;
        while got < len {
            let Some(page) = self.pages.front_mut() else {
                break;
            };
            let take = page.len.min(len - got);
            page.offset += take;
            page.len -= take;
            got += take;
            if page.len == 0 {
                // `wake_writer |= pipe_full(..)` before the slot is released: only a read
                // that turns a full pipe writable wakes writers.
                if self.full() {
                    wake_writers = Edge::Must;
                }
                self.pages.pop_front();
            }
        }
        Io {
            result: Ok(got),
            wake_readers: Edge::None,
            wake_writers,
        }
    }

    /// `pipe_write` on a nonblocking write end.
    pub(crate) fn write(&mut self, len: usize) -> Io {
        if len == 0 {
            return Io::quiet(Ok(0));
        }
        if self.read_end.is_none() {
            return Io::quiet(Err(EPIPE));
        }
        let was_empty = self.pages.is_empty();
        let mut written = 0;
        let tail = len % PAGE_SIZE;
        if tail > 0 && !was_empty {
            let last = self
                .pages
                .back_mut()
                .expect("a non-empty pipe has a last page");
            if last.offset + last.len + tail <= PAGE_SIZE {
                last.len += tail;
                written = tail;
            }
        }
        while written < len && !self.full() {
            let take = (len - written).min(PAGE_SIZE);
            self.pages.push_back(Page {
                offset: 0,
                len: take,
            });
            written += take;
        }
        assert!(
            len > PIPE_BUF || written == 0 || written == len,
            "pipe: a write of {len} <= PIPE_BUF bytes was split ({written} written)"
        );
        let result = if written == 0 {
            Err(EAGAIN)
        } else {
            Ok(written)
        };
        // Every write that gets past the EPIPE check wakes readers when the pipe was empty.
        // Since Linux 5.16 (`pipe->poll_usage`) it also does when the pipe was not empty, or
        // the write failed with EAGAIN, once anything has polled the pipe (any epoll entry);
        // older kernels do not. Both are Linux: an edge that may or may not happen.
        let wake_readers = if was_empty && written > 0 {
            Edge::Must
        } else {
            Edge::May
        };
        Io {
            result,
            wake_readers,
            wake_writers: Edge::None,
        }
    }

    /// `pipe_poll` for the read end.
    pub(crate) fn poll_read_end(&self) -> Ready {
        let mut bits = 0;
        if !self.pages.is_empty() {
            bits |= EPOLLIN | EPOLLRDNORM;
        }
        if self.write_end.is_none() {
            bits |= EPOLLHUP;
        }
        Ready::sure(bits)
    }

    /// `pipe_poll` for the write end.
    pub(crate) fn poll_write_end(&self) -> Ready {
        let mut bits = 0;
        if !self.full() {
            bits |= EPOLLOUT | EPOLLWRNORM;
        }
        if self.read_end.is_none() {
            bits |= EPOLLERR;
        }
        Ready::sure(bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipe() -> Pipe {
        Pipe::new(16, FileId(1), FileId(2))
    }

    #[test]
    fn an_empty_pipe_takes_exactly_65536_bytes_in_page_sized_writes() {
        let mut p = pipe();
        for _ in 0..16 {
            assert_eq!(p.write(PAGE_SIZE).result, Ok(PAGE_SIZE));
        }
        assert_eq!(p.len(), 65536);
        assert_eq!(p.write(1).result, Err(EAGAIN));
        assert_eq!(p.poll_write_end(), Ready::NONE);
    }

    #[test]
    fn small_writes_merge_into_the_last_page_when_they_fit_whole() {
        let mut p = pipe();
        assert_eq!(p.write(4095).result, Ok(4095));
        assert_eq!(p.write(1).result, Ok(1), "fits the last page exactly");
        assert_eq!(p.write(2).result, Ok(2), "a new page");
        assert_eq!(p.pages.len(), 2);
    }

    #[test]
    fn a_write_of_at_most_pipe_buf_is_all_or_eagain() {
        let mut p = pipe();
        for _ in 0..16 {
            assert_eq!(p.write(4095).result, Ok(4095));
        }
        // 65520 bytes in 16 slots: a 2-byte write fits nowhere whole.
        assert_eq!(p.write(2).result, Err(EAGAIN));
        assert_eq!(p.write(1).result, Ok(1));
    }

    #[test]
    fn a_large_write_takes_what_fits_page_by_page() {
        let mut p = pipe();
        for _ in 0..14 {
            assert_eq!(p.write(PAGE_SIZE).result, Ok(PAGE_SIZE));
        }
        assert_eq!(p.write(3 * PAGE_SIZE).result, Ok(2 * PAGE_SIZE));
    }

    #[test]
    fn reading_a_slot_out_of_a_full_pipe_wakes_writers_and_partial_reads_do_not() {
        let mut p = pipe();
        for _ in 0..16 {
            p.write(PAGE_SIZE);
        }
        let partial = p.read(10);
        assert_eq!((partial.result, partial.wake_writers), (Ok(10), Edge::None));
        let rest = p.read(PAGE_SIZE);
        assert_eq!(
            (rest.result, rest.wake_writers),
            (Ok(PAGE_SIZE), Edge::Must)
        );
        assert_eq!(p.read(1).wake_writers, Edge::None, "no longer full");
    }

    #[test]
    fn closing_an_end_gives_eof_epipe_hup_and_err() {
        let mut p = pipe();
        p.write(3);
        p.write_end = None;
        assert_eq!(p.read(10).result, Ok(3));
        assert_eq!(p.read(10).result, Ok(0));
        assert_eq!(p.poll_read_end(), Ready::sure(EPOLLHUP));
        p.read_end = None;
        assert_eq!(p.write(1).result, Err(EPIPE));
        assert_eq!(
            p.write(0).result,
            Ok(0),
            "a null write succeeds before the EPIPE check"
        );
    }
}
