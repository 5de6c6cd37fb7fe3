//! eventfd (`eventfd(init, EFD_NONBLOCK [| EFD_SEMAPHORE])`), as `fs/eventfd.c` keeps it.
//!
//! Owns: the 64-bit counter and its rules:
//! - `read` needs an 8-byte buffer (`EINVAL` below 8), fails with `EAGAIN` at 0, else returns
//!   the counter and zeroes it, or in semaphore mode returns 1 and decrements;
//! - `write` needs 8 bytes (`EINVAL` below; above, `EINVAL` since Linux 6.6 and the first 8
//!   bytes before: `World::branches` offers both, this body is the older rule), rejects
//!   `u64::MAX` (`EINVAL`), and fails with `EAGAIN` when the sum would reach `u64::MAX` (the
//!   counter tops out at `u64::MAX - 1`); writing 0 succeeds and still wakes readers.
//!
//! Readiness (`eventfd_poll`): `EPOLLIN` while the counter is above 0, `EPOLLOUT` while it is
//! below `u64::MAX - 1` (so a write of 1 would succeed), `EPOLLERR` at `u64::MAX` (reachable only
//! through kernel-side overflow, not modelled). Every successful read wakes writers (key
//! `EPOLLOUT`) and every successful write wakes readers (key `EPOLLIN`).
//! Does not model: blocking mode, `EFD_CLOEXEC` (always set), kernel-side `eventfd_signal`.

use crate::errno::{EAGAIN, EINVAL};
use crate::event::{Ready, EPOLLERR, EPOLLIN, EPOLLOUT};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct EventFd {
    pub(crate) count: u64,
    pub(crate) semaphore: bool,
}

impl EventFd {
    pub(crate) fn new(init: u32, semaphore: bool) -> EventFd {
        EventFd {
            count: u64::from(init),
            semaphore,
        }
    }

    /// `eventfd_read` with a `len`-byte buffer.
    pub(crate) fn read(&mut self, len: usize) -> Result<u64, i32> {
        if len < 8 {
            return Err(EINVAL);
        }
        if self.count == 0 {
            return Err(EAGAIN);
        }
        let value = if self.semaphore { 1 } else { self.count };
        self.count -= value;
        Ok(value)
    }

    /// `eventfd_write` of `value` from a `len`-byte buffer.
    pub(crate) fn write(&mut self, value: u64, len: usize) -> Result<usize, i32> {
        if len < 8 || value == u64::MAX {
            return Err(EINVAL);
        }
        if u64::MAX - self.count <= value {
            return Err(EAGAIN);
        }
        self.count += value;
        Ok(8)
    }

    pub(crate) fn poll(&self) -> Ready {
        let mut bits = 0;
        if self.count > 0 {
            bits |= EPOLLIN;
        }
        if self.count == u64::MAX {
            bits |= EPOLLERR;
        }
        if self.count < u64::MAX - 1 {
            bits |= EPOLLOUT;
        }
        Ready::sure(bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_read_returns_the_sum_of_writes_and_resets_it() {
        let mut e = EventFd::new(2, false);
        assert_eq!(e.write(5, 8), Ok(8));
        assert_eq!(e.read(8), Ok(7));
        assert_eq!(e.read(8), Err(EAGAIN));
    }

    #[test]
    fn a_semaphore_read_returns_one_at_a_time() {
        let mut e = EventFd::new(2, true);
        assert_eq!(e.read(8), Ok(1));
        assert_eq!(e.read(16), Ok(1));
        assert_eq!(e.read(8), Err(EAGAIN));
    }

    #[test]
    fn buffers_shorter_than_eight_bytes_are_einval() {
        let mut e = EventFd::new(1, false);
        assert_eq!(e.read(7), Err(EINVAL));
        assert_eq!(e.write(1, 4), Err(EINVAL));
        assert_eq!(e.count, 1, "nothing consumed or added");
    }

    #[test]
    fn the_counter_stops_below_u64_max_with_eagain_and_u64_max_is_einval() {
        let mut e = EventFd::new(0, false);
        assert_eq!(e.write(u64::MAX, 8), Err(EINVAL));
        assert_eq!(e.write(u64::MAX - 1, 8), Ok(8));
        assert_eq!(e.poll(), Ready::sure(EPOLLIN));
        assert_eq!(e.write(1, 8), Err(EAGAIN));
        assert_eq!(e.write(0, 8), Ok(8), "adding 0 always fits");
    }
}
