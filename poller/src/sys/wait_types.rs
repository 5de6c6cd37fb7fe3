//! The typed arguments of the waiting calls beyond `epoll_wait`: `poll`/`ppoll`'s `PollFd`
//! and its bits, and the flags `pipe2` and `eventfd` take. Values are Linux's (x86_64 and
//! aarch64 share them: `include/uapi/asm-generic/poll.h`, `fcntl.h`, `linux/eventfd.h`).

use super::fd_flags::{O_CLOEXEC, O_DIRECT, O_NONBLOCK};
use super::Fd;
use std::fmt;

/// `poll(2)`'s event bits.
pub mod pollbits {
    pub const POLLIN: i16 = 0x001;
    pub const POLLPRI: i16 = 0x002;
    pub const POLLOUT: i16 = 0x004;
    /// Reported whether asked or not.
    pub const POLLERR: i16 = 0x008;
    /// Reported whether asked or not.
    pub const POLLHUP: i16 = 0x010;
    /// The fd is not open: reported alone, whatever was asked.
    pub const POLLNVAL: i16 = 0x020;
    pub const POLLRDHUP: i16 = 0x2000;
}

/// One `struct pollfd`, layout-compatible with the kernel's so the real backend hands the
/// caller's slice to `poll` without copying. A negative `fd` is skipped (its `revents` is 0),
/// as Linux does.
#[repr(C)]
#[derive(Copy, Clone, PartialEq, Eq)]
pub struct PollFd {
    pub fd: i32,
    pub events: i16,
    pub revents: i16,
}

impl PollFd {
    /// Asks for `events` on `fd`, `revents` cleared.
    pub const fn new(fd: Fd, events: i16) -> PollFd {
        PollFd {
            fd: fd.0,
            events,
            revents: 0,
        }
    }
}

impl fmt::Debug for PollFd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PollFd {{ fd: {}, events: {:#x}, revents: {:#x} }}",
            self.fd, self.events, self.revents
        )
    }
}

/// `flags` of `pipe2`: `O_NONBLOCK`, `O_CLOEXEC` and `O_DIRECT` (packet mode, which the
/// simulated kernel refuses with `EINVAL` rather than model); any other bit is `EINVAL`, as
/// Linux. `pipe2()` without flags is `NONBLOCK | CLOEXEC`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct PipeFlags(pub i32);

impl PipeFlags {
    pub const EMPTY: PipeFlags = PipeFlags(0);
    pub const NONBLOCK: PipeFlags = PipeFlags(O_NONBLOCK);
    pub const CLOEXEC: PipeFlags = PipeFlags(O_CLOEXEC);
    /// What `Sys::pipe2` passes.
    pub const DEFAULT: PipeFlags = PipeFlags(O_NONBLOCK | O_CLOEXEC);
    /// The bits Linux accepts (`O_NOTIFICATION_PIPE` aside, which needs a kernel option).
    pub const VALID: i32 = O_NONBLOCK | O_CLOEXEC | O_DIRECT;

    /// Whether `O_DIRECT` (packet mode) is asked for.
    pub const fn contains_direct(self) -> bool {
        self.0 & O_DIRECT != 0
    }
}

impl std::ops::BitOr for PipeFlags {
    type Output = PipeFlags;
    fn bitor(self, rhs: PipeFlags) -> PipeFlags {
        PipeFlags(self.0 | rhs.0)
    }
}

/// `flags` of `eventfd`: `EFD_SEMAPHORE`, `EFD_NONBLOCK`, `EFD_CLOEXEC`; any other bit is
/// `EINVAL`, as Linux. `eventfd(n, false)` is `NONBLOCK | CLOEXEC`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct EfdFlags(pub i32);

impl EfdFlags {
    pub const EMPTY: EfdFlags = EfdFlags(0);
    pub const SEMAPHORE: EfdFlags = EfdFlags(1);
    pub const NONBLOCK: EfdFlags = EfdFlags(O_NONBLOCK);
    pub const CLOEXEC: EfdFlags = EfdFlags(O_CLOEXEC);
    /// What `Sys::eventfd(n, false)` passes.
    pub const DEFAULT: EfdFlags = EfdFlags(O_NONBLOCK | O_CLOEXEC);
    pub const VALID: i32 = 1 | O_NONBLOCK | O_CLOEXEC;

    pub const fn contains(self, other: EfdFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for EfdFlags {
    type Output = EfdFlags;
    fn bitor(self, rhs: EfdFlags) -> EfdFlags {
        EfdFlags(self.0 | rhs.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pollfd_prints_its_fd_and_both_masks() {
        let mut p = PollFd::new(Fd(4), pollbits::POLLIN);
        p.revents = pollbits::POLLIN;
        assert_eq!(
            format!("{p:?}"),
            "PollFd { fd: 4, events: 0x1, revents: 0x1 }"
        );
    }

    #[test]
    fn pipe_and_eventfd_flags_combine_as_sets() {
        let pipe = PipeFlags::NONBLOCK | PipeFlags::CLOEXEC;
        assert_eq!(pipe, PipeFlags::DEFAULT);
        assert_eq!(
            pipe | PipeFlags::NONBLOCK,
            pipe,
            "a flag set twice is still set once"
        );
        let efd = EfdFlags::NONBLOCK | EfdFlags::CLOEXEC;
        assert_eq!(efd, EfdFlags::DEFAULT);
        assert_eq!(
            efd | EfdFlags::CLOEXEC,
            efd,
            "a flag set twice is still set once"
        );
        assert!((efd | EfdFlags::SEMAPHORE).contains(EfdFlags::SEMAPHORE));
    }
}
