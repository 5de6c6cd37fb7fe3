//! `epoll_create1`, `epoll_ctl`, the nesting loop check, and releasing an epoll on close.
//!
//! `epoll_ctl` checks in Linux's order (`do_epoll_ctl`): `EBADF` for either fd; `EINVAL` when
//! `epfd` is not an epoll or is the target itself; `EINVAL` for `EPOLLEXCLUSIVE` with `MOD`,
//! on a nested epoll, or with bits outside `EPOLLIN|OUT|ERR|HUP|WAKEUP|ET`; `ELOOP` when adding
//! an epoll would close a cycle or nest deeper than `EP_MAX_NESTS`; then `EEXIST`/`ENOENT`;
//! and `EINVAL` for `MOD` of an entry added with `EPOLLEXCLUSIVE`. Every file here can be
//! polled, so `EPERM` never happens. A `None` event for `ADD`/`MOD` is the all-zero event, as
//! the real backend passes it.
//!
//! Freedom taken: `EPOLLEXCLUSIVE` wakes every watching entry, never just one. Linux wakes
//! exclusive entries until one whose epoll has a blocked waiter takes the wakeup; which epoll
//! that is depends on threads the kernel does not see. Waking all is within the documented
//! contract ("one or more of the epoll file descriptors will receive an event").
//! Not modelled: `max_user_watches` (`ENOSPC`), the wakeup-path count limit of
//! `reverse_path_check`, `EPOLLWAKEUP` suspend blocking.

use super::{Entry, EntryKey, Epoll, EpollKey};
use crate::kernel::file::{Kind, Watcher};
use crate::kernel::Kernel;
use simkern_poller::sys::epoll::{EPOLLERR, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLIN, EPOLLOUT};
use simkern_poller::sys::{EpollEvent, EpollOp, Errno, Fd, SysResult};

/// `EP_MAX_NESTS`: the longest chain of epolls watching epolls, counted in edges. Linux bounds
/// it to keep wakeup recursion shallow; since the 2025 fix for unbounded recursion it counts
/// the depth above the inserting epoll too, as here (older kernels only looked down).
pub(crate) const EP_MAX_NESTS: u32 = 4;

/// `EPOLLEXCLUSIVE_OK_BITS`: the only bits allowed beside `EPOLLEXCLUSIVE` on `ADD`.
const EPOLLEXCLUSIVE_OK_BITS: u32 =
    EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | super::EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

impl Kernel {
    /// `epoll_create1(EPOLL_CLOEXEC)`.
    pub fn epoll_create(&mut self) -> SysResult<Fd> {
        if !self.fds.can_alloc(1) {
            return Err(Errno::EMFILE);
        }
        // The epoll needs its file's key and the file its epoll's: make the epoll with a
        // placeholder, install, then point it at its file.
        let ep = self.epolls.insert(Epoll::new(Default::default()));
        let fd = self.install(Kind::Epoll(ep));
        self.epolls[ep].file = self.fds.get(fd).expect("just installed");
        Ok(fd)
    }

    /// `epoll_ctl`; `event` is ignored for `EpollOp::Del`.
    pub fn epoll_ctl(
        &mut self,
        epfd: Fd,
        op: EpollOp,
        fd: Fd,
        event: Option<EpollEvent>,
    ) -> SysResult<()> {
        let ep_file = self.file_of(epfd)?;
        let target = self.file_of(fd)?;
        let ep = match self.files[ep_file].kind {
            Kind::Epoll(ep) if ep_file != target => ep,
            _ => return Err(Errno::EINVAL),
        };
        let target_ep = match self.files[target].kind {
            Kind::Epoll(t) => Some(t),
            _ => None,
        };
        let ev = event.unwrap_or_default();
        if op != EpollOp::Del && ev.events() & EPOLLEXCLUSIVE != 0 {
            if op == EpollOp::Mod {
                return Err(Errno::EINVAL);
            }
            if target_ep.is_some() || ev.events() & !EPOLLEXCLUSIVE_OK_BITS != 0 {
                return Err(Errno::EINVAL);
            }
        }
        if let (EpollOp::Add, Some(to)) = (op, target_ep) {
            if self.epoll_would_loop(ep, to) {
                return Err(Errno::ELOOP);
            }
        }
        let item = (fd, target);
        let exists = self.epolls[ep].interest.contains_key(&item);
        let result = match op {
            EpollOp::Add if exists => Err(Errno::EEXIST),
            EpollOp::Add => {
                let id = self.epolls[ep].insert(item, ev.events() | EPOLLERR | EPOLLHUP, ev.data());
                self.files[target].watchers.push(Watcher {
                    epoll: ep,
                    fd,
                    entry: id,
                });
                self.requeue_if_ready(ep, id);
                Ok(())
            }
            EpollOp::Mod | EpollOp::Del if !exists => Err(Errno::ENOENT),
            EpollOp::Mod => {
                let id = self.epolls[ep].interest[&item];
                let entry = &mut self.epolls[ep].entries[id];
                if entry.events & EPOLLEXCLUSIVE != 0 {
                    Err(Errno::EINVAL)
                } else {
                    entry.events = ev.events() | EPOLLERR | EPOLLHUP;
                    entry.data = ev.data();
                    self.requeue_if_ready(ep, id);
                    Ok(())
                }
            }
            EpollOp::Del => {
                let id = self.epolls[ep].interest[&item];
                self.epolls[ep].remove(item);
                let watchers = &mut self.files[target].watchers;
                let at = watchers
                    .iter()
                    .position(|w| {
                        *w == Watcher {
                            epoll: ep,
                            fd,
                            entry: id,
                        }
                    })
                    .expect("an interest entry without its watcher");
                watchers.remove(at);
                Ok(())
            }
        };
        self.epolls[ep].check();
        result
    }

    /// `ep_insert`/`ep_modify`: poll the file once; if it is ready, queue the entry and wake
    /// whoever watches this epoll.
    fn requeue_if_ready(&mut self, ep: EpollKey, id: EntryKey) {
        let Entry {
            events,
            item: (_, file),
            ..
        } = self.epolls[ep].entries[id];
        let mask = self.poll_file(file, 0);
        self.note_polled(file, mask);
        if mask & events != 0 {
            // Logged even when already queued: a MOD can make a queued entry reportable.
            self.woken.push(ep);
            let was_linked = self.epolls[ep].entries[id].linked;
            self.epolls[ep].link(id);
            if !was_linked {
                self.wake_count += 1;
                let file = self.epolls[ep].file;
                self.wake_nested(file, EPOLLIN, 1);
            }
        }
    }

    /// `ep_loop_check`: would making `ep` watch `to` close a cycle, or make a chain of nested
    /// epolls longer than `EP_MAX_NESTS`?
    fn epoll_would_loop(&self, ep: EpollKey, to: EpollKey) -> bool {
        match self.depth_below(to, ep) {
            None => true,
            Some(down) => down + 1 + self.depth_above(ep, 0) > EP_MAX_NESTS,
        }
    }

    /// Longest chain of epolls below `at`, or `None` if `target` is reachable (a cycle).
    /// Recursion is bounded: existing chains obey `EP_MAX_NESTS`, as asserted. (It had a depth
    /// guard that could never fire, since every chain it walks is an existing one.)
    fn depth_below(&self, at: EpollKey, target: EpollKey) -> Option<u32> {
        if at == target {
            return None;
        }
        let mut longest = 0;
        for &(_, file) in self.epolls[at].interest.keys() {
            if let Kind::Epoll(child) = self.files[file].kind {
                longest = longest.max(self.depth_below(child, target)? + 1);
            }
        }
        assert!(
            longest <= EP_MAX_NESTS,
            "a chain of {longest} epolls below {at:?}, more than EP_MAX_NESTS ({EP_MAX_NESTS}): the loop check failed"
        );
        Some(longest)
    }

    /// Longest chain of epolls above `at` (epolls watching it, transitively).
    fn depth_above(&self, at: EpollKey, depth: u32) -> u32 {
        assert!(
            depth <= EP_MAX_NESTS + 1,
            "epoll nesting deeper than EP_MAX_NESTS ({EP_MAX_NESTS}): the loop check failed"
        );
        let file = self.epolls[at].file;
        self.files[file]
            .watchers
            .iter()
            .map(|w| self.depth_above(w.epoll, depth + 1) + 1)
            .max()
            .unwrap_or(0)
    }

    /// `ep_free`: the epoll's last reference is gone; its entries leave their files' watcher
    /// lists. (Entries watching the epoll itself went first, in `put_file`.)
    pub(crate) fn epoll_release(&mut self, ep: EpollKey) {
        let epoll = self.epolls.remove(ep).expect("releasing a dead epoll");
        for (&(fd, file), &id) in &epoll.interest {
            let watchers = &mut self.files[file].watchers;
            let at = watchers
                .iter()
                .position(|w| {
                    *w == Watcher {
                        epoll: ep,
                        fd,
                        entry: id,
                    }
                })
                .expect("an interest entry without its watcher");
            watchers.remove(at);
        }
    }
}
