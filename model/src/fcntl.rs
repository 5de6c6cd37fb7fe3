//! `fcntl`'s fd flag (`FD_CLOEXEC`, per fd) and status flags (`O_NONBLOCK`, `O_APPEND`, per
//! open file), as `fs/fcntl.c` `do_fcntl` and `setfl` keep them.
//!
//! `F_GETFL` is the access mode the file was opened with (`O_RDWR` for sockets, eventfds and
//! epolls, `O_RDONLY`/`O_WRONLY` for a pipe's ends: `sock_alloc_file`, `create_pipe_files`,
//! anon inodes) with the status flags. `F_SETFL` changes only `SETFL_MASK`
//! (`O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME`) and ignores every other bit.
//! Does not model: `O_DIRECT` (packet pipes) and `O_NOATIME` (ownership checks): ops setting
//! them are unsupported; clearing `O_NONBLOCK` (blocking I/O): unsupported too.

use crate::errno::EBADF;
use crate::file::Kind;
use crate::op::{Fcntl, Fd, Outcome};
use crate::world::World;

pub(crate) const O_WRONLY: i32 = 0o1;
pub(crate) const O_RDWR: i32 = 0o2;
pub(crate) const O_APPEND: i32 = 0o2000;
pub(crate) const O_NONBLOCK: i32 = 0o4000;
pub(crate) const O_DIRECT: i32 = 0o40000;
pub(crate) const O_NOATIME: i32 = 0o1000000;
/// `O_CLOEXEC` (`EFD_CLOEXEC`, `SOCK_CLOEXEC` are the same bit), as `dup3`, `pipe2` and
/// `eventfd` take it.
pub(crate) const O_CLOEXEC: i32 = 0o2000000;
const SETFL_MASK: i32 = O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME;
const FD_CLOEXEC: i32 = 1;

/// A new file's status flags: every file the trait makes is nonblocking but an epoll
/// (`epoll_create1` takes no `O_NONBLOCK`).
pub(crate) fn initial_status(kind: &Kind) -> i32 {
    match kind {
        Kind::Epoll(_) => 0,
        _ => O_NONBLOCK,
    }
}

/// Why an `fcntl` is outside the model, if it is.
pub(crate) fn unsupported(cmd: Fcntl) -> Option<&'static str> {
    match cmd {
        Fcntl::SetFl(arg) if arg & O_NONBLOCK == 0 => {
            Some("F_SETFL without O_NONBLOCK: the fd would block")
        }
        Fcntl::SetFl(arg) if arg & (O_DIRECT | O_NOATIME) != 0 => {
            Some("F_SETFL with O_DIRECT or O_NOATIME")
        }
        _ => None,
    }
}

impl World {
    pub(crate) fn fcntl(&mut self, fd: Fd, cmd: Fcntl) -> Result<Outcome, i32> {
        let file = self.fds.get(fd).ok_or(EBADF)?;
        let value = match cmd {
            Fcntl::GetFd => i32::from(self.fds.cloexec(fd)) * FD_CLOEXEC,
            Fcntl::SetFd(arg) => {
                self.fds.set_cloexec(fd, arg & FD_CLOEXEC != 0);
                0
            }
            Fcntl::GetFl => {
                let f = self.file(file);
                let mode = match f.kind {
                    Kind::PipeRead(_) => 0,
                    Kind::PipeWrite(_) => O_WRONLY,
                    _ => O_RDWR,
                };
                mode | f.status
            }
            Fcntl::SetFl(arg) => {
                let f = self.file_mut(file);
                f.status = (f.status & !SETFL_MASK) | (arg & (O_NONBLOCK | O_APPEND));
                0
            }
        };
        Ok(Outcome::Int(value))
    }
}
