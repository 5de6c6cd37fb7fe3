//! `dup3` and `dup2` (`fs/file.c` `ksys_dup3`, `do_dup2`): `newfd` comes to name `fd`'s open
//! file, and the file it named before is put as by `close` (released with its last fd, so an
//! epoll entry keyed by (another fd, that file) lives on while a dup names it).
//!
//! Errors in Linux's order: `EINVAL` for a flag but `O_CLOEXEC` or `fd == newfd` (`dup3`),
//! `EBADF` for `newfd` outside `0..RLIMIT_NOFILE`, then `EBADF` for a closed `fd`. `dup2(fd,
//! fd)` is `fd` when open, `EBADF` when not, and changes nothing. The new fd has `FD_CLOEXEC`
//! only from `dup3(.., O_CLOEXEC)`.

use crate::errno::{EBADF, EINVAL};
use crate::model::Branch;
use crate::op::{Fd, Outcome};
use crate::world::World;

use crate::fcntl::O_CLOEXEC;

impl World {
    pub(crate) fn dup3(&self, fd: Fd, newfd: Fd, flags: i32, dup2: bool) -> Vec<Branch> {
        if dup2 && fd == newfd {
            return match self.file_of(fd) {
                Ok(_) => self.exact(|_| Ok(Outcome::Fd(fd))),
                Err(e) => self.fail(e),
            };
        }
        if flags & !O_CLOEXEC != 0 || fd == newfd {
            return self.fail(EINVAL);
        }
        if !(0..self.cfg.fd_limit).contains(&newfd.0) {
            return self.fail(EBADF);
        }
        let file = match self.file_of(fd) {
            Ok(file) => file,
            Err(e) => return self.fail(e),
        };
        let replaced = self.exact(|w| {
            let old = w.fds.install_at(newfd, file, flags & O_CLOEXEC != 0);
            w.file_mut(file).refs += 1;
            if let Some(old) = old {
                let f = w.file_mut(old);
                f.refs -= 1;
                if f.refs == 0 {
                    w.release(old);
                }
            }
            Ok(Outcome::Fd(newfd))
        });
        // A socket's last close may abort it: the same split as `close`.
        (replaced.into_iter())
            .flat_map(|b| match b {
                Branch::Exact(outcome, w) => (w.split().into_iter())
                    .map(|w| Branch::Exact(outcome.clone(), w))
                    .collect::<Vec<_>>(),
                other => vec![other],
            })
            .collect()
    }
}
