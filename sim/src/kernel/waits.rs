//! What the scheduler asks of the kernel for threads that wait outside `epoll_wait`: an fd's
//! poll mask in any process (`poll`/`ppoll`, blocking I/O), whether a file blocks, and the
//! flagged forms of `pipe2` and `eventfd`, whose fds may be blocking or inheritable.
//!
//! Not modelled: `O_DIRECT` pipes (packet mode) are refused with `EINVAL`.

use super::file::Kind;
use super::{Kernel, Pid};
use simkern_poller::sys::fd_flags::{O_CLOEXEC, O_NONBLOCK};
use simkern_poller::sys::{EfdFlags, Errno, Fd, PipeFlags, SysResult};

impl Kernel {
    /// `fd`'s poll mask in process `pid` (`epoll` bits, which are `poll`'s), `None` when it
    /// is not open there. No side effects.
    pub fn poll_in(&self, pid: Pid, fd: Fd) -> Option<u32> {
        let file = self.table(pid).get(fd)?;
        Some(self.poll_file(file, 0))
    }

    /// `poll`'s view of one fd of the active process: its mask, with `tcp_poll`'s side effect
    /// (an unwritable socket is marked so freed space wakes it), as `do_pollfd` leaves it.
    pub fn poll_and_note(&mut self, fd: Fd) -> Option<u32> {
        let file = self.fds.get(fd)?;
        let mask = self.poll_file(file, 0);
        self.note_polled(file, mask);
        Some(mask)
    }

    /// Whether I/O on open `fd` blocks: its file's `O_NONBLOCK` is clear. An epoll is never
    /// read or written, so its flag (clear from `epoll_create1`) does not count.
    pub fn is_blocking(&self, fd: Fd) -> bool {
        let Some(file) = self.fds.get(fd) else {
            return false;
        };
        let f = &self.files[file];
        !matches!(f.kind, Kind::Epoll(_)) && f.status & O_NONBLOCK == 0
    }

    /// `pipe2(flags)`.
    pub fn pipe2_flags(&mut self, flags: PipeFlags) -> SysResult<(Fd, Fd)> {
        if flags.0 & !PipeFlags::VALID != 0 || flags.contains_direct() {
            return Err(Errno::EINVAL);
        }
        let (r, w) = self.pipe2()?;
        self.apply_open_flags(r, flags.0);
        self.apply_open_flags(w, flags.0);
        Ok((r, w))
    }

    /// `eventfd(initval, flags)`.
    pub fn eventfd_flags(&mut self, initval: u32, flags: EfdFlags) -> SysResult<Fd> {
        if flags.0 & !EfdFlags::VALID != 0 {
            return Err(Errno::EINVAL);
        }
        let fd = self.eventfd(initval, flags.contains(EfdFlags::SEMAPHORE))?;
        self.apply_open_flags(fd, flags.0);
        Ok(fd)
    }

    /// A new fd's `O_NONBLOCK` and `FD_CLOEXEC` as `flags` asks (it was made with both).
    fn apply_open_flags(&mut self, fd: Fd, flags: i32) {
        let file = self.fds.get(fd).expect("a file just installed");
        if flags & O_NONBLOCK == 0 {
            self.files[file].status &= !O_NONBLOCK;
        }
        if flags & O_CLOEXEC == 0 {
            self.fds.set_cloexec(fd, false);
        }
    }
}
