//! The harvest half of `epoll_wait`, and `epoll_is_ready`.
//!
//! The kernel never blocks: `epoll_harvest` is `epoll_wait` with timeout 0, and the scheduler
//! parks a thread that found nothing, asking `epoll_is_ready` (or watching `wake_count`) to
//! learn when a harvest would find something.
//!
//! A harvest is Linux's `ep_send_events`: take entries off the ready list, re-poll each file,
//! and report it only if `(current mask & requested events) != 0`; entries that poll empty
//! are dropped (a stale edge-triggered wakeup). A reported level-triggered entry goes back on
//! the ready list behind the entries not scanned yet (so `maxevents` rotates fairly); an
//! edge-triggered one stays off until its file's next wakeup; a `EPOLLONESHOT` one is disabled
//! until `EPOLL_CTL_MOD`. `EPOLLERR` and `EPOLLHUP` are reported even when not requested.
//!
//! Freedom taken (`Config::permute_ready`, on by default): Linux scans the ready list in FIFO
//! order of wakeups. Here each next entry to scan is chosen among those left
//! (`Choice::ReadyOrder`), so any order of ready events can be reported; FIFO is the choice
//! of always 0. Oracles comparing with Linux compare ready sets, not orders.

use super::{EpollKey, EP_PRIVATE_BITS};
use crate::kernel::choices::{draw, Choice, Choices};
use crate::kernel::file::Kind;
use crate::kernel::Kernel;
use simkern_poller::sys::epoll::{EPOLLET, EPOLLONESHOT};
use simkern_poller::sys::{EpollEvent, Errno, Fd, SysResult};

/// `EP_MAX_EVENTS`: the largest `maxevents` Linux accepts, `INT_MAX / sizeof(epoll_event)`.
pub const EP_MAX_EVENTS: usize = (i32::MAX as usize) / std::mem::size_of::<EpollEvent>();

impl Kernel {
    /// Fills up to `events.len()` ready events, as `epoll_wait(epfd, events, len, 0)`;
    /// `sources[i]` is set to the fd of the interest entry that produced `events[i]` (the
    /// registration's fd, which may have been closed since). Never blocks.
    pub fn epoll_harvest(
        &mut self,
        epfd: Fd,
        events: &mut [EpollEvent],
        sources: &mut Vec<Fd>,
        ch: &mut dyn Choices,
    ) -> SysResult<usize> {
        sources.clear();
        if events.is_empty() || events.len() > EP_MAX_EVENTS {
            return Err(Errno::EINVAL);
        }
        let ep = self.epoll_of(epfd)?;
        let mut tx = std::mem::take(&mut self.epolls[ep].ready);
        let mut again = std::mem::take(&mut self.requeue);
        again.clear();
        let mut n = 0;
        let mut scanned = 0;
        while n < events.len() && scanned < tx.len() {
            if self.config.permute_ready {
                let pick =
                    scanned + draw(ch, Choice::ReadyOrder, (tx.len() - scanned) as u64) as usize;
                tx.swap(scanned, pick);
            }
            let item = tx[scanned];
            scanned += 1;
            let mask = self.poll_file(item.1, 0);
            self.note_polled(item.1, mask);
            let entry = self.epolls[ep]
                .interest
                .get_mut(&item)
                .expect("a ready entry not in the interest list");
            entry.linked = false;
            let revents = mask & entry.events;
            if revents == 0 {
                continue;
            }
            events[n] = EpollEvent::new(revents, entry.data);
            sources.push(item.0);
            n += 1;
            if entry.events & EPOLLONESHOT != 0 {
                entry.events &= EP_PRIVATE_BITS;
            } else if entry.events & EPOLLET == 0 {
                entry.linked = true;
                again.push(item);
            }
        }
        // ep_done_scan: the unscanned rest first, then the level-triggered re-queues.
        tx.drain(..scanned);
        tx.extend(again.drain(..));
        self.epolls[ep].ready = tx;
        self.requeue = again;
        self.epolls[ep].check();
        Ok(n)
    }

    /// Whether a harvest of `epfd` would report at least one event now. `false` for an fd
    /// that is not an open epoll.
    pub fn epoll_is_ready(&self, epfd: Fd) -> bool {
        self.epoll_of(epfd)
            .is_ok_and(|ep| self.epoll_has_events(ep, 0))
    }

    /// Whether any ready-list entry of `ep` polls non-empty (also an epoll's own poll mask:
    /// `EPOLLIN` when it has events). `depth` bounds nested epolls.
    pub(crate) fn epoll_has_events(&self, ep: EpollKey, depth: u32) -> bool {
        assert!(
            depth <= super::EP_MAX_NESTS + 1,
            "epoll readiness nested deeper than EP_MAX_NESTS: the loop check failed"
        );
        let epoll = &self.epolls[ep];
        epoll.ready.iter().any(|item| {
            let events = epoll.interest[item].events;
            self.poll_file(item.1, depth) & events != 0
        })
    }

    /// The epoll behind `epfd`: `EBADF` if not open, `EINVAL` if not an epoll.
    fn epoll_of(&self, epfd: Fd) -> SysResult<EpollKey> {
        match self.files[self.file_of(epfd)?].kind {
            Kind::Epoll(ep) => Ok(ep),
            _ => Err(Errno::EINVAL),
        }
    }
}
