//! `read`, `write`, `writev` and `close`, dispatched by the kind of file; and `Src`, the
//! gathered source of a write.
//!
//! Errors common to every kind: `EBADF` for an fd that is not open, or a pipe end used in the
//! wrong direction; `EINVAL` to read or write an epoll. Kind-specific semantics live with each
//! kind (`tcp::stream`, `udp`, `pipe`, `eventfd`); on a UDP socket `read` and `write` are
//! `recv` and `send` (one datagram each). A `writev` of more than `UIO_MAXIOV` slices writes
//! only the first `UIO_MAXIOV`, as the real backend does (it caps `msg_iovlen`). `writev`'s
//! `limit` caps the bytes taken (a fault plan's short write); the kernel sees a shorter write.
//! Sockets and pipes gather a `writev`'s slices into one write (`sendmsg`, `write_iter`); an
//! eventfd has no `write_iter`, so `vfs_writev` writes it slice by slice (see `eventfd`).

use super::choices::Choices;
use super::file::Kind;
use super::Kernel;
use simkern_poller::sys::{Errno, Fd, MsgFlags, SysResult};
use std::collections::VecDeque;
use std::io::IoSlice;

/// `UIO_MAXIOV`: the most slices one `writev` takes.
pub const UIO_MAXIOV: usize = 1024;

/// The bytes of one write: up to `UIO_MAXIOV` caller slices, read in place (no copy until the
/// bytes land in a kernel buffer).
pub(crate) struct Src<'a, 'b> {
    bufs: &'a [IoSlice<'b>],
    total: usize,
}

impl<'a, 'b> Src<'a, 'b> {
    /// The first `limit` bytes of the first `UIO_MAXIOV` slices.
    pub(crate) fn new(bufs: &'a [IoSlice<'b>], limit: usize) -> Self {
        let bufs = &bufs[..bufs.len().min(UIO_MAXIOV)];
        let total = bufs.iter().map(|b| b.len()).sum::<usize>().min(limit);
        Src { bufs, total }
    }

    pub(crate) fn total(&self) -> usize {
        self.total
    }

    /// Appends source bytes `[from, from + n)` to `dst`.
    pub(crate) fn copy_to(&self, mut from: usize, mut n: usize, dst: &mut VecDeque<u8>) {
        assert!(
            from + n <= self.total,
            "copying bytes {from}..{} of a {}-byte write",
            from + n,
            self.total
        );
        for b in self.bufs {
            if n == 0 {
                break;
            }
            if from >= b.len() {
                from -= b.len();
                continue;
            }
            let k = (b.len() - from).min(n);
            dst.extend(&b[from..from + k]);
            from = 0;
            n -= k;
        }
    }

    /// The slices one at a time, each a source of its own (together `total` bytes; a slice
    /// of 0 bytes before the end is a source of 0 bytes).
    pub(crate) fn slices(&self) -> impl Iterator<Item = Src<'a, 'b>> + '_ {
        let mut left = self.total;
        self.bufs.iter().map_while(move |b| {
            if left == 0 {
                return None;
            }
            let total = b.len().min(left);
            left -= total;
            Some(Src {
                bufs: std::slice::from_ref(b),
                total,
            })
        })
    }

    /// The bytes as a native-endian `u64`, or `None` unless there are exactly 8.
    pub(crate) fn exactly_u64(&self) -> Option<u64> {
        if self.total != 8 {
            return None; // also when `limit` cut it short
        }
        self.first_u64()
    }

    /// The first 8 bytes as a native-endian `u64`, or `None` when there are fewer.
    pub(crate) fn first_u64(&self) -> Option<u64> {
        if self.total < 8 {
            return None;
        }
        let mut word = [0u8; 8];
        let mut got = 0;
        for b in self.bufs {
            let k = b.len().min(8 - got);
            word[got..got + k].copy_from_slice(&b[..k]);
            got += k;
            if got == 8 {
                break;
            }
        }
        Some(u64::from_ne_bytes(word))
    }
}

impl Kernel {
    /// `read` at `now`. A socket read that reopens a full receive window sends a window
    /// update, which takes a drawn latency to let the held-back data through (see `tcp`).
    pub fn read(
        &mut self,
        fd: Fd,
        buf: &mut [u8],
        now: u64,
        ch: &mut dyn Choices,
    ) -> SysResult<usize> {
        self.set_clock(now);
        let file = self.file_of(fd)?;
        match self.files[file].kind {
            Kind::Socket(s) => self.tcp_read(s, buf, now, ch),
            // sock_read_iter: a zero-length read returns 0 before the protocol looks.
            Kind::Udp(_) if buf.is_empty() => Ok(0),
            Kind::Udp(u) => self.udp_recvfrom(u, buf, MsgFlags::EMPTY).map(|(n, _)| n),
            Kind::Unix(_) if buf.is_empty() => Ok(0),
            Kind::Unix(k) => self.unix_recv(k, buf, MsgFlags::EMPTY).map(|(n, _)| n),
            Kind::PipeRead(p) => self.pipe_read(p, buf),
            Kind::EventFd(_) => self.eventfd_read(file, buf),
            Kind::PipeWrite(_) => Err(Errno::EBADF),
            Kind::Epoll(_) => Err(Errno::EINVAL),
        }
    }

    /// `write` (`send(MSG_NOSIGNAL)` on sockets: a dead peer is `EPIPE`, never `SIGPIPE`).
    pub fn write(
        &mut self,
        fd: Fd,
        buf: &[u8],
        now: u64,
        ch: &mut dyn Choices,
    ) -> SysResult<usize> {
        self.write_bufs(fd, &[IoSlice::new(buf)], usize::MAX, false, now, ch)
    }

    /// `writev` (`sendmsg(MSG_NOSIGNAL)` on sockets) of at most `limit` bytes of `bufs`
    /// (`usize::MAX`: all of them).
    pub fn writev(
        &mut self,
        fd: Fd,
        bufs: &[IoSlice<'_>],
        limit: usize,
        now: u64,
        ch: &mut dyn Choices,
    ) -> SysResult<usize> {
        self.write_bufs(fd, bufs, limit, true, now, ch)
    }

    /// `write` (`vectored` false) or `writev`: they differ only on an eventfd.
    fn write_bufs(
        &mut self,
        fd: Fd,
        bufs: &[IoSlice<'_>],
        limit: usize,
        vectored: bool,
        now: u64,
        ch: &mut dyn Choices,
    ) -> SysResult<usize> {
        self.set_clock(now);
        let file = self.file_of(fd)?;
        let src = Src::new(bufs, limit);
        match self.files[file].kind {
            Kind::Socket(s) => self.tcp_write(s, &src, now, ch),
            Kind::Udp(u) => self.udp_sendto(u, &src, None, now, ch),
            Kind::Unix(k) => self.unix_send(k, &src, None),
            Kind::PipeWrite(p) => self.pipe_write(p, &src),
            Kind::EventFd(_) if vectored => self.eventfd_writev(file, &src),
            Kind::EventFd(_) => self.eventfd_write(file, &src),
            Kind::PipeRead(_) => Err(Errno::EBADF),
            Kind::Epoll(_) => Err(Errno::EINVAL),
        }
    }

    /// A stream write on `fd` is about to be cut short by an injected fault. On Linux a
    /// nonblocking stream write is short only when the buffer fills, and that arms the
    /// writer's next `EPOLLOUT` wakeup: `SOCK_NOSPACE` on a TCP socket (`sk_stream_write_space`
    /// once the data drains), a full pipe's next read (`pipe_read`'s `was_full`). Armed here
    /// too, or an edge-triggered writer that waits for that wakeup after a short write (tokio
    /// drops its write readiness on one) would wait forever for an edge Linux sends. A Unix
    /// stream needs nothing: its writer is woken whenever the peer frees an skb.
    pub fn found_short_of_space(&mut self, fd: Fd) {
        let Ok(file) = self.file_of(fd) else {
            return;
        };
        match self.files[file].kind {
            Kind::Socket(s) => self.sockets[s].nospace = true,
            Kind::PipeWrite(p) => self.pipes[p].writer_waits = true,
            _ => {}
        }
    }

    /// `close`: the fd goes at once; the file goes with its last fd (see `file`). A socket's
    /// last close may send FIN or RST at `now`.
    pub fn close(&mut self, fd: Fd, now: u64, ch: &mut dyn Choices) -> SysResult<()> {
        self.set_clock(now);
        let file = self.fds.remove(fd)?;
        self.put_file(file, now, ch);
        Ok(())
    }
}
