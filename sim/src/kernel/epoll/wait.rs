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
//! Freedom taken (`Config::permute_ready`, on by default): Linux reports in the ready list's
//! order, the order of wakeups, which depends on timing the simulation does not model. Here
//! the events of one harvest are reported in a drawn order (`Choice::ReadyOrder`; all zeros
//! is Linux's order). Which entries a harvest takes is never drawn: with a short `maxevents`
//! they are the first that poll non-empty, as `ep_send_events` takes them, and the
//! level-triggered ones go back behind the rest, so successive harvests round-robin through
//! the ready set as epoll_wait(2) promises (`level_triggered_entries_round_robin_*`).

use super::{EpollKey, EP_PRIVATE_BITS};
use crate::kernel::choices::{draw, Choice, Choices};
use crate::kernel::file::Kind;
use crate::kernel::Kernel;
use simkern_poller::sys::epoll::{EPOLLET, EPOLLONESHOT, REPORTABLE};
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
        let queued = self.epolls[ep].ready.len();
        if queued == 0 {
            return Ok(0); // the common harvest before a thread parks
        }
        // The scan works on the ready list in place: its first `scanned` entries are the ones
        // taken off it. Nothing polled during the scan reads this list (a nested epoll's poll
        // reads the lists below it, and the loop check keeps `ep` out of those).
        let mut again = std::mem::take(&mut self.requeue);
        again.clear();
        let mut n = 0;
        let mut scanned = 0;
        while n < events.len() && scanned < queued {
            let id = self.epolls[ep].ready[scanned];
            scanned += 1;
            let (fd, file) = self.epolls[ep].entries[id].item;
            let mask = self.poll_file(file, 0);
            assert_eq!(
                mask & !REPORTABLE,
                0,
                "{fd:?} polled bits epoll_wait never reports: {mask:#x}"
            );
            self.note_polled(file, mask);
            let entry = &mut self.epolls[ep].entries[id];
            entry.linked = false;
            let revents = mask & entry.events;
            if revents == 0 {
                continue;
            }
            events[n] = EpollEvent::new(revents, entry.data);
            sources.push(fd);
            n += 1;
            if entry.events & EPOLLONESHOT != 0 {
                entry.events &= EP_PRIVATE_BITS;
            } else if entry.events & EPOLLET == 0 {
                entry.linked = true;
                again.push(id);
            }
        }
        // ep_done_scan: the unscanned rest first, then the level-triggered re-queues.
        let epoll = &mut self.epolls[ep];
        // `pop_front` rather than `drain(..scanned)`: usually one entry, and a drain's set-up
        // and drop cost more than the pops.
        for _ in 0..scanned {
            epoll.ready.pop_front();
        }
        if !again.is_empty() {
            epoll.ready.extend(again.drain(..));
        }
        epoll.check();
        self.requeue = again;
        if self.config.permute_ready {
            // Fisher-Yates over what this harvest reports, never over which entries it takes:
            // the set is Linux's (the first `maxevents` that poll non-empty, in ready-list
            // order), so successive short harvests still round-robin through the ready list.
            for i in 0..n.saturating_sub(1) {
                let j = i + draw(ch, Choice::ReadyOrder, (n - i) as u64) as usize;
                events.swap(i, j);
                sources.swap(i, j);
            }
        }
        Ok(n)
    }

    /// `epoll_harvest` with the sources kept in the kernel, where `harvested` reads them until
    /// the next harvest: the scheduler's harvest, which records each source in the trace,
    /// allocates nothing.
    pub(crate) fn epoll_harvest_in_place(
        &mut self,
        epfd: Fd,
        events: &mut [EpollEvent],
        ch: &mut dyn Choices,
    ) -> SysResult<usize> {
        let mut sources = std::mem::take(&mut self.harvested);
        let result = self.epoll_harvest(epfd, events, &mut sources, ch);
        self.harvested = sources;
        result
    }

    /// The fd of the interest entry behind event `i` of the last `epoll_harvest_in_place`.
    pub(crate) fn harvested(&self, i: usize) -> Fd {
        self.harvested[i]
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
        epoll.ready.iter().any(|&id| {
            let entry = &epoll.entries[id];
            self.poll_file(entry.item.1, depth) & entry.events != 0
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
