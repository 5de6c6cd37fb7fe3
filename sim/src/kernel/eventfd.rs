//! eventfd objects: a `u64` counter (eventfd(2)), always `EFD_NONBLOCK`.
//!
//! Semantics, as `fs/eventfd.c`:
//! - `read` needs at least 8 bytes (`EINVAL`), fails with `EAGAIN` while the counter is 0,
//!   and otherwise returns the counter and resets it to 0, or with `EFD_SEMAPHORE` returns 1
//!   and decrements; it wakes waiters with `EPOLLOUT`.
//! - `write` needs exactly 8 bytes (`EINVAL` otherwise: Linux 6.6's strict count check;
//!   older kernels took the first 8 bytes of a longer buffer, a version difference the model
//!   allows), a native-endian `u64`; `u64::MAX` is `EINVAL`; a sum above `EVENTFD_MAX` is
//!   `EAGAIN`; otherwise it adds and wakes waiters with `EPOLLIN` — even when adding 0 (a
//!   zero write is still a wakeup).
//! - `writev`: eventfd has `->write` but no `->write_iter`, so `vfs_writev` writes slice by
//!   slice (`do_loop_readv_writev`), each slice one `write` of its own: the 8 bytes are never
//!   gathered across slices, two 8-byte slices add twice (16 returned), and the first slice
//!   that fails ends the call (its error is the result only if nothing was written). A
//!   `writev` of 0 bytes in all returns 0 before any of that; a `write` of 0 is `EINVAL`.
//! - poll: `EPOLLIN` while the counter is above 0, `EPOLLOUT` while it is below `EVENTFD_MAX`.
//!
//! Extra bytes in a read buffer are left alone (a read of more than 8 returns 8).
//! Not modelled: blocking mode, `EFD_SEMAPHORE` being changed after creation (it cannot be).

use super::file::Kind;
use super::io::Src;
use super::Kernel;
use simkern_poller::sys::epoll::{EPOLLERR, EPOLLIN, EPOLLOUT};
use simkern_poller::sys::{Errno, Fd, SysResult};

/// The largest value the counter can hold (`ULLONG_MAX - 1`).
pub const EVENTFD_MAX: u64 = u64::MAX - 1;

/// An eventfd's state.
#[derive(Clone, Debug)]
pub(crate) struct EventFd {
    pub(crate) count: u64,
    pub(crate) semaphore: bool,
}

impl EventFd {
    pub(crate) fn poll(&self) -> u32 {
        let mut mask = 0;
        if self.count > 0 {
            mask |= EPOLLIN;
        }
        if self.count == u64::MAX {
            mask |= EPOLLERR; // unreachable through write; kept as Linux has it
        }
        if self.count < EVENTFD_MAX {
            mask |= EPOLLOUT;
        }
        mask
    }

    fn read(&mut self, buf: &mut [u8]) -> SysResult<usize> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        if self.count == 0 {
            return Err(Errno::EAGAIN);
        }
        let value = if self.semaphore { 1 } else { self.count };
        self.count -= value;
        buf[..8].copy_from_slice(&value.to_ne_bytes());
        Ok(8)
    }

    /// `strict`: Linux 6.6 and later refuse every count but 8 (`linux::EVENTFD_LONG_WRITE`);
    /// older kernels take the first 8 bytes of a longer buffer and answer 8.
    fn write(&mut self, src: &Src<'_, '_>, strict: bool) -> SysResult<usize> {
        let value = if strict {
            src.exactly_u64()
        } else {
            src.first_u64()
        };
        let value = value.ok_or(Errno::EINVAL)?;
        if value == u64::MAX {
            return Err(Errno::EINVAL);
        }
        if u64::MAX - self.count <= value {
            return Err(Errno::EAGAIN);
        }
        self.count += value;
        assert!(
            self.count <= EVENTFD_MAX,
            "eventfd counter passed EVENTFD_MAX"
        );
        Ok(8)
    }
}

impl Kernel {
    /// `eventfd(initval, EFD_NONBLOCK | EFD_CLOEXEC [| EFD_SEMAPHORE])`.
    pub fn eventfd(&mut self, initval: u32, semaphore: bool) -> SysResult<Fd> {
        if !self.fds.can_alloc(1) {
            return Err(Errno::EMFILE);
        }
        Ok(self.install(Kind::EventFd(EventFd {
            count: u64::from(initval),
            semaphore,
        })))
    }

    pub(crate) fn eventfd_read(
        &mut self,
        file: super::file::FileKey,
        buf: &mut [u8],
    ) -> SysResult<usize> {
        let Kind::EventFd(e) = &mut self.files[file].kind else {
            unreachable!("eventfd_read on another kind of file")
        };
        let n = e.read(buf)?;
        self.wake(file, EPOLLOUT);
        Ok(n)
    }

    /// `writev` on an eventfd: one `eventfd_write` per slice (see the module docs).
    pub(crate) fn eventfd_writev(
        &mut self,
        file: super::file::FileKey,
        src: &Src<'_, '_>,
    ) -> SysResult<usize> {
        if src.total() == 0 {
            return Ok(0); // vfs_writev: nothing to write, before any ->write
        }
        let mut done = 0;
        for slice in src.slices() {
            match self.eventfd_write(file, &slice) {
                // `do_loop_readv_writev` stops at the first slice written short.
                Ok(n) if n < slice.total() => {
                    done += n;
                    break;
                }
                Ok(n) => done += n,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(done)
    }

    pub(crate) fn eventfd_write(
        &mut self,
        file: super::file::FileKey,
        src: &Src<'_, '_>,
    ) -> SysResult<usize> {
        let Kind::EventFd(e) = &mut self.files[file].kind else {
            unreachable!("eventfd_write on another kind of file")
        };
        let n = e.write(src, self.config.linux.eventfd_long_write_einval)?;
        self.wake(file, EPOLLIN);
        Ok(n)
    }
}
