//! Steps for the waits with a zero timeout (`poll`, `ppoll`, `epoll_pwait`, `epoll_pwait2`)
//! and the flagged `pipe2`/`eventfd`. Flags always keep `O_NONBLOCK` (a blocking fd would
//! hang the harness on Linux) and sometimes add a bit Linux refuses (`EINVAL`).

use super::Gen;
use crate::step::{Pick, Step, Want};

use simkern::poller::sys::fd_flags::{O_CLOEXEC, O_NONBLOCK};
use simkern::poller::sys::pollbits::{POLLIN, POLLOUT, POLLPRI, POLLRDHUP};

impl Gen {
    /// `poll`/`ppoll` over one to three fds (now and then a skipped -1), each with events
    /// from what event loops ask.
    pub(super) fn poll(&mut self) -> Step {
        let n = 1 + self.rng.below(3) as usize;
        let fds = (0..n)
            .map(|_| {
                let fd = if self.rng.odds(1, 12) {
                    Pick::Fd(-1)
                } else {
                    let want = self.rng.pick(&[Want::Any, Want::Readable, Want::Writable]);
                    self.pick(want)
                };
                let events = self.rng.pick(&[
                    POLLIN,
                    POLLOUT,
                    POLLIN | POLLOUT,
                    POLLIN | POLLRDHUP,
                    POLLPRI,
                    0,
                ]);
                (fd, events)
            })
            .collect();
        Step::Poll {
            fds,
            ppoll: self.rng.odds(1, 2),
        }
    }

    pub(super) fn epoll_pwait(&mut self) -> Step {
        Step::EpollPwait {
            epfd: self.pick(Want::Epoll),
            maxevents: self.rng.pick(&[1, 2, 4, 8, 0]),
            pwait2: self.rng.odds(1, 2),
        }
    }

    /// `pipe2` or `eventfd` with flags: `O_CLOEXEC` or not, `EFD_SEMAPHORE`, or a bit the
    /// call refuses (`O_WRONLY`, `O_CREAT` for `pipe2`; `O_RDWR` for `eventfd`).
    pub(super) fn flagged_open(&mut self) -> Step {
        if self.rng.odds(1, 2) {
            let extra = self.rng.pick(&[0, O_CLOEXEC, O_CLOEXEC, 0o1, 0o100]);
            Step::Pipe2 {
                flags: O_NONBLOCK | extra,
            }
        } else {
            let extra = self.rng.pick(&[0, O_CLOEXEC, 1, O_CLOEXEC | 1, 0o2]);
            Step::EventFd2 {
                init: self.rng.pick(&[0, 1, 3]),
                flags: O_NONBLOCK | extra,
            }
        }
    }
}
