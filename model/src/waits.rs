//! `poll`/`ppoll` and the `epoll_pwait` forms with a zero timeout, and the flagged `pipe2` and
//! `eventfd`, as `fs/select.c` `do_pollfd`, `fs/eventpoll.c`, `fs/pipe.c` `__do_pipe_flags`
//! and `fs/eventfd.c` answer them.
//!
//! `poll` reports, per entry, the file's mask limited to what was asked plus `POLLERR` and
//! `POLLHUP`; a negative fd is skipped (0), a closed one is `POLLNVAL`. Where the file's mask is
//! uncertain (bytes in flight), each entry may show any mask Linux could (`Ready::masks`), and
//! the model answers every combination. Flags are checked before any fd is made (`EINVAL`).
//! Does not model: nonzero timeouts and flags without `O_NONBLOCK` (they would block: ops
//! naming them are unsupported), `O_DIRECT` pipes.

use crate::errno::EINVAL;
use crate::fcntl::{O_CLOEXEC, O_DIRECT, O_NONBLOCK};
use crate::model::Branch;
use crate::op::{Fd, Outcome};
use crate::world::World;

/// The bits `pipe2` accepts (`O_NOTIFICATION_PIPE` aside: a kernel option).
pub(crate) const PIPE2_VALID: i32 = O_CLOEXEC | O_NONBLOCK | O_DIRECT;
/// `EFD_SEMAPHORE`.
pub(crate) const EFD_SEMAPHORE: i32 = 1;
/// The bits `eventfd` accepts (`EFD_FLAGS_SET`).
pub(crate) const EFD_VALID: i32 = O_CLOEXEC | O_NONBLOCK | EFD_SEMAPHORE;

const POLLERR: i16 = 0x008;
const POLLHUP: i16 = 0x010;
const POLLNVAL: i16 = 0x020;

/// Why a flagged `pipe2` is outside the model, if it is (flags Linux refuses are inside).
pub(crate) fn pipe2_unsupported(flags: i32) -> Option<&'static str> {
    if flags & !PIPE2_VALID != 0 {
        None
    } else if flags & O_NONBLOCK == 0 {
        Some("pipe2 without O_NONBLOCK: the ends would block")
    } else if flags & O_DIRECT != 0 {
        Some("pipe2 with O_DIRECT (packet mode)")
    } else {
        None
    }
}

/// Why a flagged `eventfd` is outside the model, if it is.
pub(crate) fn eventfd_unsupported(flags: i32) -> Option<&'static str> {
    (flags & !EFD_VALID == 0 && flags & O_NONBLOCK == 0)
        .then_some("eventfd without EFD_NONBLOCK: it would block")
}

impl World {
    pub(crate) fn pipe2_flags(&self, flags: i32) -> Vec<Branch> {
        if flags & !PIPE2_VALID != 0 {
            return self.fail(EINVAL);
        }
        self.exact(|w| {
            let made = w.pipe()?;
            if let Outcome::Pair(r, wr) = made {
                w.fds.set_cloexec(r, flags & O_CLOEXEC != 0);
                w.fds.set_cloexec(wr, flags & O_CLOEXEC != 0);
            }
            Ok(made)
        })
    }

    pub(crate) fn eventfd_flags(&self, init: u32, flags: i32) -> Vec<Branch> {
        if flags & !EFD_VALID != 0 {
            return self.fail(EINVAL);
        }
        self.exact(|w| {
            let made = w.eventfd(init, flags & EFD_SEMAPHORE != 0)?;
            if let Outcome::Fd(fd) = made {
                w.fds.set_cloexec(fd, flags & O_CLOEXEC != 0);
            }
            Ok(made)
        })
    }

    /// `poll(fds, n, 0)`: one branch per combination of masks Linux could report, each
    /// leaving the state as it was (polling changes nothing the model tracks).
    pub(crate) fn poll_fds(&self, fds: &[(Fd, i16)]) -> Vec<Branch> {
        let mut combos: Vec<Vec<i16>> = vec![Vec::new()];
        for &(fd, events) in fds {
            let options: Vec<i16> = if fd.0 < 0 {
                vec![0]
            } else {
                match self.fds.get(fd) {
                    None => vec![POLLNVAL],
                    Some(file) => {
                        let asked = events as u16 as u32 | (POLLERR | POLLHUP) as u32;
                        let ready = self.poll(file, 0).mask(asked);
                        let mut o: Vec<i16> = if ready.may == 0 {
                            Vec::new()
                        } else {
                            ready.masks().into_iter().map(|m| m as u16 as i16).collect()
                        };
                        if ready.sure == 0 {
                            o.push(0);
                        }
                        o
                    }
                }
            };
            combos = combos
                .into_iter()
                .flat_map(|c| {
                    options.iter().map(move |&o| {
                        let mut c = c.clone();
                        c.push(o);
                        c
                    })
                })
                .collect();
        }
        combos
            .into_iter()
            .map(|revents| Branch::Exact(Outcome::Revents(revents), self.clone()))
            .collect()
    }
}
