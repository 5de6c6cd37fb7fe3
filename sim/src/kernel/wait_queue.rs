//! Readiness and wakeups: each file's poll mask (`f_op->poll`) and the wakeups that queue
//! epoll entries (`wake_up_poll` → `ep_poll_callback`).
//!
//! Owns the rule that makes edge-triggered epoll what it is on Linux: every state change a
//! file signals is a wakeup with a poll key (`EPOLLIN` for data arrival, `EPOLLOUT` for freed
//! space, 0 for "state changed", such as connect completing, FIN, RST, a pipe end closing),
//! and each wakeup whose key intersects an entry's events (or is 0) queues that entry again,
//! whether or not the earlier event was consumed. The harvest then re-polls. Who wakes with
//! which key is decided in the files' own modules (`tcp`, `pipe`, `eventfd`); this one
//! delivers. An epoll that queues an entry wakes, with `EPOLLIN`, the epolls watching it.
//!
//! `wake_count` counts wakeups that passed an entry's filters, so a scheduler can re-check
//! parked `epoll_wait`s only when it moves.
//!
//! Masks carry only the bits the `Sys` trait names (`EPOLLIN`, `OUT`, `ERR`, `HUP`, `RDHUP`;
//! never `EPOLLPRI`, as there is no urgent data). Linux also sets `EPOLLRDNORM`/`EPOLLWRNORM`
//! beside `EPOLLIN`/`EPOLLOUT`; epoll reports them only when asked for, and nobody here asks.

use super::epoll::EP_MAX_NESTS;
use super::file::{FileKey, Kind};
use super::Kernel;
use simkern_poller::sys::epoll::EPOLLIN;

impl Kernel {
    /// The file's current readiness mask. `depth` counts nested epolls above this poll.
    pub(crate) fn poll_file(&self, file: FileKey, depth: u32) -> u32 {
        match &self.files[file].kind {
            Kind::Epoll(ep) => {
                if self.epoll_has_events(*ep, depth + 1) {
                    EPOLLIN
                } else {
                    0
                }
            }
            Kind::Socket(s) => self.tcp_poll(*s),
            Kind::Udp(u) => self.udps[*u].poll(),
            Kind::Unix(k) => self.unix_poll(*k),
            Kind::PipeRead(p) => self.pipes[*p].poll_read(),
            Kind::PipeWrite(p) => self.pipes[*p].poll_write(),
            Kind::EventFd(e) => e.poll(),
        }
    }

    /// The side effect of polling: `tcp_poll` marks a socket it finds unwritable
    /// `SOCK_NOSPACE`, which is what later makes freed space wake it with `EPOLLOUT`.
    pub(crate) fn note_polled(&mut self, file: FileKey, mask: u32) {
        if let Kind::Socket(s) = self.files[file].kind {
            self.tcp_note_polled(s, mask);
        }
    }

    /// Wakes `file`'s wait queue with poll key `key` (0 wakes every entry).
    pub(crate) fn wake(&mut self, file: FileKey, key: u32) {
        self.wake_nested(file, key, 0);
    }

    /// `wake` at nesting depth `depth` (an epoll's own file being woken by its entries).
    pub(crate) fn wake_nested(&mut self, file: FileKey, key: u32, depth: u32) {
        assert!(
            depth <= EP_MAX_NESTS + 1,
            "wakeup nested deeper than EP_MAX_NESTS ({EP_MAX_NESTS}): the loop check failed"
        );
        for i in 0..self.files[file].watchers.len() {
            let w = self.files[file].watchers[i];
            if self.epolls[w.epoll].callback(w.entry, key) {
                self.wake_count += 1;
                self.woken.push(w.epoll);
                let outer = self.epolls[w.epoll].file;
                if !self.files[outer].watchers.is_empty() {
                    self.wake_nested(outer, EPOLLIN, depth + 1);
                }
            }
        }
    }
}
