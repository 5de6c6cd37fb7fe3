//! `Interest`: which readiness a registration asks for, and its epoll bits.

use simkern_poller::sys::epoll::{EPOLLET, EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP};
use std::num::NonZeroU8;
use std::{fmt, ops};

const READABLE: u8 = 0b0001;
const WRITABLE: u8 = 0b0010;
const AIO: u8 = 0b0100;
const LIO: u8 = 0b1000;
const PRIORITY: u8 = 0b1_0000;

/// Readiness interests (mio's `Interest`): never empty, combined with `|`.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interest(NonZeroU8);

impl Interest {
    pub const READABLE: Interest = Interest(NonZeroU8::new(READABLE).unwrap());
    pub const WRITABLE: Interest = Interest(NonZeroU8::new(WRITABLE).unwrap());
    /// Accepted for source compatibility; epoll has no AIO readiness, so it asks for nothing.
    pub const AIO: Interest = Interest(NonZeroU8::new(AIO).unwrap());
    /// Accepted for source compatibility; epoll has no LIO readiness, so it asks for nothing.
    pub const LIO: Interest = Interest(NonZeroU8::new(LIO).unwrap());
    pub const PRIORITY: Interest = Interest(NonZeroU8::new(PRIORITY).unwrap());

    /// Both sets (usable in `const`).
    pub const fn add(self, other: Interest) -> Interest {
        Interest(NonZeroU8::new(self.0.get() | other.0.get()).unwrap())
    }

    /// `self` without `other`, or `None` when nothing would be left.
    pub fn remove(self, other: Interest) -> Option<Interest> {
        NonZeroU8::new(self.0.get() & !other.0.get()).map(Interest)
    }

    pub const fn is_readable(self) -> bool {
        self.0.get() & READABLE != 0
    }
    pub const fn is_writable(self) -> bool {
        self.0.get() & WRITABLE != 0
    }
    pub const fn is_aio(self) -> bool {
        self.0.get() & AIO != 0
    }
    pub const fn is_lio(self) -> bool {
        self.0.get() & LIO != 0
    }
    pub const fn is_priority(self) -> bool {
        self.0.get() & PRIORITY != 0
    }

    /// The epoll event mask mio registers for these interests: always edge-triggered, and
    /// `EPOLLRDHUP` with readable so a peer's FIN shows as `is_read_closed`.
    pub(crate) fn epoll_bits(self) -> u32 {
        let mut bits = EPOLLET;
        if self.is_readable() {
            bits |= EPOLLIN | EPOLLRDHUP;
        }
        if self.is_writable() {
            bits |= EPOLLOUT;
        }
        if self.is_priority() {
            bits |= EPOLLPRI;
        }
        bits
    }
}

impl ops::BitOr for Interest {
    type Output = Interest;
    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl ops::BitOrAssign for Interest {
    fn bitor_assign(&mut self, other: Interest) {
        *self = *self | other;
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (self.is_readable(), "READABLE"),
            (self.is_writable(), "WRITABLE"),
            (self.is_aio(), "AIO"),
            (self.is_lio(), "LIO"),
            (self.is_priority(), "PRIORITY"),
        ];
        let mut first = true;
        for (_, name) in names.iter().filter(|(set, _)| *set) {
            if !first {
                f.write_str(" | ")?;
            }
            f.write_str(name)?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interests_combine_remove_and_map_to_edge_triggered_epoll_bits() {
        let both = Interest::READABLE | Interest::WRITABLE;
        assert!(both.is_readable() && both.is_writable() && !both.is_priority());
        assert_eq!(both.remove(Interest::WRITABLE), Some(Interest::READABLE));
        assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
        assert_eq!(format!("{both:?}"), "READABLE | WRITABLE");
        assert_eq!(
            both.epoll_bits(),
            EPOLLET | EPOLLIN | EPOLLRDHUP | EPOLLOUT,
            "mio registers edge-triggered, with EPOLLRDHUP beside EPOLLIN"
        );
        assert_eq!(Interest::PRIORITY.epoll_bits(), EPOLLET | EPOLLPRI);
    }
}
