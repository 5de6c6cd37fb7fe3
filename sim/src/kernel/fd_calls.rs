//! `dup3`/`dup2`, `fcntl`'s fd and status flags, and `ioctl(FIONREAD)`.
//!
//! `dup3` is `ksys_dup3`: the new number is checked against `RLIMIT_NOFILE` (`EBADF`), the
//! file it named is put afterwards, exactly like a `close` of it (so an epoll entry keyed by
//! (that fd, that file) lives on while another fd names the file: the gotcha `file` keeps).
//! `fcntl` is `do_fcntl` for `F_GETFD`/`F_SETFD`/`F_GETFL`/`F_SETFL`: `F_SETFL` changes only
//! `SETFL_MASK`'s bits, of which `O_NONBLOCK` and `O_APPEND` are kept; `O_DIRECT` and
//! `O_NOATIME` are refused with `EINVAL` (not modelled; Linux may accept them). `F_GETFL`
//! adds the access mode each kind of file is opened with (`O_RDWR`; a pipe's ends `O_RDONLY`
//! and `O_WRONLY`).
//! The kernel itself never blocks: a call on a file whose `O_NONBLOCK` was cleared answers
//! `EAGAIN` here, and the scheduler turns that into a wait (`crate::blocking`).

use super::file::Kind;
use super::tcp::State;
use super::Kernel;
use simkern_poller::sys::fd_flags::{
    FD_CLOEXEC, O_ACCMODE, O_APPEND, O_CLOEXEC, O_DIRECT, O_NOATIME, O_NONBLOCK, O_RDONLY, O_RDWR,
    O_WRONLY, SETFL_MASK,
};
use simkern_poller::sys::{Dup3Flags, Errno, Fcntl, Fd, SysResult};

/// The status flags the simulated kernel keeps.
const KEPT: i32 = O_NONBLOCK | O_APPEND;

impl Kernel {
    /// `dup3`: see the module docs.
    pub fn dup3(
        &mut self,
        fd: Fd,
        newfd: Fd,
        flags: Dup3Flags,
        now: u64,
        ch: &mut dyn super::Choices,
    ) -> SysResult<Fd> {
        self.set_clock(now);
        if flags.0 & !O_CLOEXEC != 0 || fd == newfd {
            return Err(Errno::EINVAL);
        }
        let file = self.file_of(fd)?;
        let old = self.fds.install_at(newfd, file, flags.0 & O_CLOEXEC != 0)?;
        self.files[file].refs += 1;
        if let Some(old) = old {
            self.put_file(old, now, ch);
        }
        Ok(newfd)
    }

    /// `dup2`: `dup3` without flags, but `dup2(fd, fd)` is `fd` (or `EBADF`) and a no-op.
    pub fn dup2(
        &mut self,
        fd: Fd,
        newfd: Fd,
        now: u64,
        ch: &mut dyn super::Choices,
    ) -> SysResult<Fd> {
        if fd == newfd {
            self.file_of(fd)?;
            return Ok(fd);
        }
        self.dup3(fd, newfd, Dup3Flags::EMPTY, now, ch)
    }

    /// `fcntl` with one of `Fcntl`'s commands.
    pub fn fcntl(&mut self, fd: Fd, cmd: Fcntl) -> SysResult<i32> {
        let file = self.file_of(fd)?;
        match cmd {
            Fcntl::GetFd => Ok(if self.fds.cloexec(fd) { FD_CLOEXEC } else { 0 }),
            Fcntl::SetFd(arg) => {
                self.fds.set_cloexec(fd, arg & FD_CLOEXEC != 0);
                Ok(0)
            }
            Fcntl::GetFl => {
                let f = &self.files[file];
                let mode = match f.kind {
                    Kind::PipeRead(_) => O_RDONLY,
                    Kind::PipeWrite(_) => O_WRONLY,
                    _ => O_RDWR,
                };
                debug_assert_eq!(f.status & O_ACCMODE, 0, "status flags hold an access mode");
                Ok(mode | f.status)
            }
            Fcntl::SetFl(arg) => {
                let f = &mut self.files[file];
                if (arg ^ f.status) & (O_DIRECT | O_NOATIME) & SETFL_MASK != 0 {
                    return Err(Errno::EINVAL);
                }
                f.status = (f.status & !SETFL_MASK) | (arg & KEPT);
                Ok(0)
            }
        }
    }

    /// `ioctl(FIONREAD)`: the bytes a read could take now (see the trait's docs).
    pub fn fionread(&mut self, fd: Fd) -> SysResult<i32> {
        let file = self.file_of(fd)?;
        let n = match self.files[file].kind {
            Kind::Socket(s) => {
                let sock = &self.sockets[s];
                match (&sock.state, sock.conn) {
                    (State::Listen(_), _) => return Err(Errno::EINVAL),
                    // tcp_inq: nothing before the handshake completes.
                    (State::SynSent | State::SynRecv { .. }, _) => 0,
                    (_, Some((c, side))) => self.conns[c].flows[side.peer().idx()].readable(),
                    (_, None) => 0,
                }
            }
            Kind::Udp(u) => self.udps[u].queue.front().map_or(0, |d| d.data.len()),
            Kind::Unix(k) => self.unixes[k].inq_len()?,
            Kind::PipeRead(p) | Kind::PipeWrite(p) => self.pipes[p].len(),
            Kind::EventFd(_) => return Err(Errno::ENOTTY),
            // `linux::EPOLL_IOCTL`: epoll has an ioctl since 6.9, which refuses FIONREAD.
            Kind::Epoll(_) if self.config.linux.epoll_ioctl_einval => return Err(Errno::EINVAL),
            Kind::Epoll(_) => return Err(Errno::ENOTTY),
        };
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}
