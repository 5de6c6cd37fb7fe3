//! `Event`: one readiness event, an `epoll_event` read through mio's accessors.
//!
//! The mapping from epoll bits is mio's on Linux, so code that branches on `is_read_closed`
//! or `is_error` sees on the simulated kernel exactly what it would see on real epoll.

use super::super::Token;
use simkern_poller::sys::epoll::{EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP};
use simkern_poller::sys::EpollEvent;
use std::fmt;

/// A readiness event (mio's `Event`). Layout-identical to the kernel's `epoll_event`, so
/// `Events` hands its buffer to `epoll_wait` as is.
#[repr(transparent)]
#[derive(Clone)]
pub struct Event {
    inner: EpollEvent,
}

impl Event {
    pub(crate) fn empty() -> Event {
        Event {
            inner: EpollEvent::zeroed(),
        }
    }

    fn bits(&self) -> u32 {
        self.inner.events()
    }

    /// The token of the registration this event is for.
    pub fn token(&self) -> Token {
        Token(self.inner.data() as usize)
    }
    pub fn is_readable(&self) -> bool {
        self.bits() & (EPOLLIN | EPOLLPRI) != 0
    }
    pub fn is_writable(&self) -> bool {
        self.bits() & EPOLLOUT != 0
    }
    pub fn is_error(&self) -> bool {
        self.bits() & EPOLLERR != 0
    }
    /// The read half is closed: `EPOLLHUP`, or `EPOLLIN` with `EPOLLRDHUP` (the peer's FIN).
    pub fn is_read_closed(&self) -> bool {
        let bits = self.bits();
        bits & EPOLLHUP != 0 || (bits & EPOLLIN != 0 && bits & EPOLLRDHUP != 0)
    }
    /// The write half is closed: `EPOLLHUP`, `EPOLLOUT` with `EPOLLERR`, or `EPOLLERR` alone
    /// (a pipe whose reader is gone).
    pub fn is_write_closed(&self) -> bool {
        let bits = self.bits();
        bits & EPOLLHUP != 0 || (bits & EPOLLOUT != 0 && bits & EPOLLERR != 0) || bits == EPOLLERR
    }
    pub fn is_priority(&self) -> bool {
        self.bits() & EPOLLPRI != 0
    }
    /// Never on epoll.
    pub fn is_aio(&self) -> bool {
        false
    }
    /// Never on epoll.
    pub fn is_lio(&self) -> bool {
        false
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("token", &self.token())
            .field("readable", &self.is_readable())
            .field("writable", &self.is_writable())
            .field("error", &self.is_error())
            .field("read_closed", &self.is_read_closed())
            .field("write_closed", &self.is_write_closed())
            .field("priority", &self.is_priority())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(bits: u32) -> Event {
        Event {
            inner: EpollEvent::new(bits, 7),
        }
    }

    #[test]
    fn epoll_bits_read_as_mio_reads_them_on_linux() {
        let fin = event(EPOLLIN | EPOLLRDHUP);
        assert!(fin.is_readable() && fin.is_read_closed() && !fin.is_write_closed());
        assert_eq!(fin.token(), Token(7));
        let reset = event(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDHUP);
        assert!(reset.is_error() && reset.is_read_closed() && reset.is_write_closed());
        let reader_gone = event(EPOLLERR);
        assert!(reader_gone.is_write_closed() && !reader_gone.is_readable());
        let rdhup_alone = event(EPOLLRDHUP);
        assert!(
            !rdhup_alone.is_read_closed(),
            "mio needs EPOLLIN beside EPOLLRDHUP"
        );
        assert!(event(EPOLLPRI).is_readable() && event(EPOLLPRI).is_priority());
    }
}
