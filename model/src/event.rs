//! epoll event bits (Linux's values, `<sys/epoll.h>`), the `Event` that `epoll_wait` returns, and
//! `Ready`: what a file's poll says, when the model cannot be sure of every bit.
//!
//! Owns: bit constants, wakeup keys (the `key` a file passes to its wait queue, which decides
//! which epoll entries the wakeup reaches), and the readiness pair (certain bits, possible bits).
//! Does not model: `EPOLLPRI` sources (urgent data), `EPOLLMSG`, `EPOLLWAKEUP` (suspend blocking).

use std::fmt;
use std::ops::BitOr;

pub const EPOLLIN: u32 = 0x001;
pub const EPOLLPRI: u32 = 0x002;
pub const EPOLLOUT: u32 = 0x004;
pub const EPOLLERR: u32 = 0x008;
pub const EPOLLHUP: u32 = 0x010;
pub const EPOLLRDNORM: u32 = 0x040;
pub const EPOLLRDBAND: u32 = 0x080;
pub const EPOLLWRNORM: u32 = 0x100;
pub const EPOLLWRBAND: u32 = 0x200;
pub const EPOLLMSG: u32 = 0x400;
pub const EPOLLRDHUP: u32 = 0x2000;
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
pub const EPOLLWAKEUP: u32 = 1 << 29;
pub const EPOLLONESHOT: u32 = 1 << 30;
pub const EPOLLET: u32 = 1 << 31;

/// `EPOLLEXCLUSIVE_OK_BITS` (fs/eventpoll.c): the only bits `EPOLLEXCLUSIVE` may come with.
pub(crate) const EXCLUSIVE_OK: u32 =
    EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

/// Wakeup key of `sk_data_ready` and of a pipe write: reaches entries interested in input.
pub(crate) const KEY_IN: u32 = EPOLLIN | EPOLLPRI | EPOLLRDNORM | EPOLLRDBAND;
/// Wakeup key of `sk_write_space` and of a pipe read: reaches entries interested in output.
pub(crate) const KEY_OUT: u32 = EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
/// Key 0 (`wake_up_interruptible_all`, `sk_state_change`): reaches every armed entry.
pub(crate) const KEY_ALL: u32 = 0;

/// One `struct epoll_event` as `epoll_wait` fills it in: the `data` given at ADD/MOD and the
/// events that were ready.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Event {
    pub data: u64,
    pub events: u32,
}

impl Event {
    pub fn new(data: u64, events: u32) -> Event {
        Event { data, events }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.data, describe(self.events))
    }
}

/// Names the bits of an event mask: `"IN|OUT|HUP"`.
pub fn describe(events: u32) -> String {
    const NAMES: &[(u32, &str)] = &[
        (EPOLLIN, "IN"),
        (EPOLLPRI, "PRI"),
        (EPOLLOUT, "OUT"),
        (EPOLLERR, "ERR"),
        (EPOLLHUP, "HUP"),
        (EPOLLRDNORM, "RDNORM"),
        (EPOLLRDBAND, "RDBAND"),
        (EPOLLWRNORM, "WRNORM"),
        (EPOLLWRBAND, "WRBAND"),
        (EPOLLMSG, "MSG"),
        (EPOLLRDHUP, "RDHUP"),
        (EPOLLEXCLUSIVE, "EXCLUSIVE"),
        (EPOLLWAKEUP, "WAKEUP"),
        (EPOLLONESHOT, "ONESHOT"),
        (EPOLLET, "ET"),
    ];
    let names: Vec<&str> = NAMES
        .iter()
        .filter(|(bit, _)| events & bit != 0)
        .map(|&(_, name)| name)
        .collect();
    let known = NAMES.iter().fold(0, |all, (bit, _)| all | bit);
    match (names.is_empty(), events & !known) {
        (true, 0) => "0".to_string(),
        (_, 0) => names.join("|"),
        (_, unknown) => format!("{}|{unknown:#x}", names.join("|")),
    }
}

/// What a file's poll reports, as far as the model can tell: `sure` bits are set on Linux now;
/// `may` bits might be (a socket's `EPOLLOUT` when its send buffer is between the bounds of
/// `Config`). Invariant: `sure` is a subset of `may`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ready {
    pub(crate) sure: u32,
    pub(crate) may: u32,
}

impl Ready {
    pub(crate) const NONE: Ready = Ready { sure: 0, may: 0 };

    pub(crate) fn sure(bits: u32) -> Ready {
        Ready {
            sure: bits,
            may: bits,
        }
    }

    pub(crate) fn maybe(bits: u32) -> Ready {
        Ready { sure: 0, may: bits }
    }

    /// Only the bits in `interest`.
    pub(crate) fn mask(self, interest: u32) -> Ready {
        Ready {
            sure: self.sure & interest,
            may: self.may & interest,
        }
    }

    /// Every mask Linux could report: `sure` plus any subset of the uncertain bits, never 0.
    /// Uncertain bits come in pairs (`EPOLLOUT|EPOLLWRNORM`, `EPOLLIN|EPOLLRDNORM`), so whole
    /// groups are switched together, never half of a pair.
    pub(crate) fn masks(self) -> Vec<u32> {
        assert_eq!(
            self.sure & !self.may,
            0,
            "Ready: sure bits must be possible"
        );
        let groups = [EPOLLIN | EPOLLRDNORM, EPOLLOUT | EPOLLWRNORM];
        let uncertain = self.may & !self.sure;
        let mut masks = vec![self.sure];
        for group in groups {
            if uncertain & group != 0 {
                let more: Vec<u32> = masks.iter().map(|m| m | (uncertain & group)).collect();
                masks.extend(more);
            }
        }
        let rest = uncertain & !(groups[0] | groups[1]);
        if rest != 0 {
            let more: Vec<u32> = masks.iter().map(|m| m | rest).collect();
            masks.extend(more);
        }
        masks.retain(|&m| m != 0);
        masks.sort_unstable();
        masks.dedup();
        masks
    }
}

impl BitOr for Ready {
    type Output = Ready;

    fn bitor(self, other: Ready) -> Ready {
        Ready {
            sure: self.sure | other.sure,
            may: self.may | other.may,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncertain_output_gives_two_masks_and_certain_bits_one() {
        let ready = Ready::sure(EPOLLIN | EPOLLRDNORM) | Ready::maybe(EPOLLOUT | EPOLLWRNORM);
        assert_eq!(
            ready.masks(),
            vec![
                EPOLLIN | EPOLLRDNORM,
                EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM
            ]
        );
        assert_eq!(Ready::sure(EPOLLHUP).masks(), vec![EPOLLHUP]);
        assert!(Ready::NONE.masks().is_empty());
    }

    #[test]
    fn event_masks_print_with_linux_names() {
        assert_eq!(describe(EPOLLIN | EPOLLRDHUP), "IN|RDHUP");
        assert_eq!(describe(0), "0");
        assert_eq!(describe(EPOLLOUT | 0x10000), "OUT|0x10000");
    }
}
