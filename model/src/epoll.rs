//! epoll: interest lists, the ready list, wakeups, and what `epoll_wait` may return.
//!
//! Owns: each epoll instance's entries, keyed like Linux's `epoll_key` by (file, fd number),
//! so that an entry lives as long as its *file*: closing one of two fds of a file leaves the
//! entry (reported with its old `data`, removable by no fd number but the original), and only
//! the last close removes it (`eventpoll_release`). Each entry records whether it is on the
//! ready list (`pending`, an `Edge`) and whether `EPOLLONESHOT` has disarmed it.
//!
//! Rules (fs/eventpoll.c):
//! - `epoll_ctl` checks, in order: `EBADF` (epfd, then fd), `EPERM` (file cannot poll: never
//!   here), `EINVAL` (epfd not an epoll, or fd == epfd), `EINVAL` for `EPOLLEXCLUSIVE` with MOD,
//!   with an epoll target or with bits outside `EPOLLEXCLUSIVE_OK_BITS`, `ELOOP` (loop, or
//!   nesting deeper than `EP_MAX_NESTS`), then `EEXIST`/`ENOENT`, and `EINVAL` for MOD of an
//!   exclusive entry. ADD and MOD always add `EPOLLERR|EPOLLHUP` to the interest and poll the
//!   file: if it is ready the entry goes on the ready list.
//! - A wakeup from a file reaches each armed entry whose interest meets the wakeup's key (key
//!   0 reaches all) and puts it on the ready list; it also wakes epolls watching this one.
//! - `epoll_wait` polls each entry: level-triggered entries are reported while ready;
//!   edge-triggered ones only if on the ready list (a wakeup since they were last reported);
//!   the reported mask is the poll mask within the interest. Reported ET entries leave the
//!   ready list, LT ones stay, ONESHOT ones are disarmed until MOD. Entries found not ready are
//!   dropped from the list. With `maxevents` short, the rest stay on the list.
//! - An epoll is readable (`EPOLLIN`) while `epoll_wait` on it would report something.
//!
//! Freedoms: which entries fill a short `maxevents` (Linux: ready-list order, rotating LT
//! entries to the back; the model: any that may be reported, required ones first only in the
//! sense that a short answer must include them all); whether a wakeup that Linux sends only
//! sometimes happened (`Edge::May`); the depth limit, which differs across kernel versions.
//! `EPOLLEXCLUSIVE` changes nothing here: it limits which *sleeping* waiters wake, and with
//! `epoll_wait(.., 0)` nobody sleeps (`ep_poll_callback` only counts an exclusive wakeup as
//! done when `ep->wq` has a waiter), so every exclusive entry is reached.
//! Does not model: blocking waits and timeouts, `max_user_watches` (`ENOSPC`), the wakeup-path
//! limits of `reverse_path_check`, `EPOLLWAKEUP`, busy polling.
//!
//! Child: `wait` (`epoll_wait`, an epoll's readiness, the ready list after a wait).

use crate::errno::{EEXIST, EINVAL, ELOOP, ENOENT};
use crate::event::{Ready, EPOLLERR, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLWAKEUP, EXCLUSIVE_OK, KEY_ALL};
use crate::file::{FileId, Kind, SockId};
use crate::model::Branch;
use crate::op::{Ctl, Fd, Outcome};
use crate::world::World;
use std::collections::{BTreeMap, BTreeSet};

mod wait;

/// `EP_MAX_NESTS`: the longest chain of epolls inside epolls.
pub(crate) const EP_MAX_NESTS: usize = 4;
/// `EP_MAX_EVENTS`: `INT_MAX / sizeof(struct epoll_event)` (12 bytes, packed, on x86_64).
pub(crate) const EP_MAX_EVENTS: i32 = i32::MAX / 12;

/// Whether a wakeup happened (or an entry is on the ready list): surely, maybe, or not.
/// `May` is for wakeups Linux sends only under conditions the model does not track.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Edge {
    None,
    May,
    Must,
}

impl Edge {
    /// The edge a poll result gives when an entry is (re)queued by ADD or MOD.
    fn of(ready: Ready) -> Edge {
        match (ready.sure, ready.may) {
            (0, 0) => Edge::None,
            (0, _) => Edge::May,
            _ => Edge::Must,
        }
    }
}

/// `epoll_key`: an entry is the pair (file, fd number) it was added with.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    pub(crate) file: FileId,
    pub(crate) fd: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Entry {
    /// Interest plus mode bits, with `EPOLLERR|EPOLLHUP` always in.
    pub(crate) events: u32,
    pub(crate) data: u64,
    /// On the ready list.
    pub(crate) pending: Edge,
    /// Not disabled by `EPOLLONESHOT`.
    pub(crate) armed: bool,
}

/// One epoll instance.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Epoll {
    pub(crate) entries: BTreeMap<Key, Entry>,
}

impl World {
    fn epoll(&self, ep: FileId) -> &Epoll {
        match &self.file(ep).kind {
            Kind::Epoll(epoll) => epoll,
            kind => panic!("epoll: {ep:?} is {kind:?}"),
        }
    }

    fn epoll_mut(&mut self, ep: FileId) -> &mut Epoll {
        match &mut self.file_mut(ep).kind {
            Kind::Epoll(epoll) => epoll,
            kind => panic!("epoll: {ep:?} is {kind:?}"),
        }
    }

    fn is_epoll(&self, file: FileId) -> bool {
        self.file(file).kind.is_epoll()
    }

    pub(crate) fn epoll_create(&mut self) -> Result<Outcome, i32> {
        let (fd, _) = self.open(Kind::Epoll(Epoll::default()))?;
        Ok(Outcome::Fd(fd))
    }

    pub(crate) fn epoll_ctl(
        &self,
        epfd: Fd,
        op: Ctl,
        fd: Fd,
        events: u32,
        data: u64,
    ) -> Vec<Branch> {
        let mut w = self.clone();
        match w.ctl(epfd, op, fd, events, data) {
            Err(errno) => self.fail(errno),
            Ok(false) => vec![Branch::Exact(Outcome::Ok, w)],
            // Nested deeper than today's limit: current kernels refuse (the depth above the
            // target epoll is checked too); older ones only bounded the depth below it.
            Ok(true) => [self.fail(ELOOP), vec![Branch::Exact(Outcome::Ok, w)]].concat(),
        }
    }

    /// `do_epoll_ctl`. `Ok(true)`: done, but nesting is deeper than current Linux allows.
    fn ctl(&mut self, epfd: Fd, op: Ctl, fd: Fd, events: u32, data: u64) -> Result<bool, i32> {
        let ep = self.file_of(epfd)?;
        let target = self.file_of(fd)?;
        // EPERM: every kind of file in the model can be polled.
        if ep == target || !self.is_epoll(ep) {
            return Err(EINVAL);
        }
        // Without CAP_BLOCK_SUSPEND the kernel drops EPOLLWAKEUP; with it, the bit changes
        // nothing the model can see. Either way: gone.
        let events = events & !EPOLLWAKEUP;
        let target_is_epoll = self.is_epoll(target);
        let exclusive = op != Ctl::Del && events & EPOLLEXCLUSIVE != 0;
        if exclusive && (op == Ctl::Mod || target_is_epoll || events & !EXCLUSIVE_OK != 0) {
            return Err(EINVAL);
        }
        let mut deep = false;
        if op == Ctl::Add && target_is_epoll {
            if self.reaches(target, ep) {
                return Err(ELOOP);
            }
            deep = self.height(target) + 1 + self.height_above(ep) > EP_MAX_NESTS;
        }
        let key = Key {
            file: target,
            fd: fd.0,
        };
        let existing = self.epoll(ep).entries.get(&key).map(|e| e.events);
        match (op, existing) {
            (Ctl::Add, Some(_)) => return Err(EEXIST),
            (Ctl::Mod | Ctl::Del, None) => return Err(ENOENT),
            (Ctl::Mod, Some(old)) if old & EPOLLEXCLUSIVE != 0 => return Err(EINVAL),
            (Ctl::Add, None) => {
                let entry = Entry {
                    events: events | EPOLLERR | EPOLLHUP,
                    data,
                    pending: Edge::None,
                    armed: true,
                };
                self.epoll_mut(ep).entries.insert(key, entry);
                self.requeue(ep, key);
            }
            (Ctl::Mod, Some(_)) => {
                let entry = self.epoll_mut(ep).entries.get_mut(&key).expect("exists");
                entry.events = events | EPOLLERR | EPOLLHUP;
                entry.data = data;
                entry.armed = true;
                self.requeue(ep, key);
            }
            (Ctl::Del, Some(_)) => {
                self.epoll_mut(ep).entries.remove(&key);
            }
        }
        self.assert_entries(ep);
        Ok(deep)
    }

    /// The interest list's invariants, checked after every ctl and every wait.
    fn assert_entries(&self, ep: FileId) {
        for (key, entry) in &self.epoll(ep).entries {
            let fd = key.fd;
            assert!(
                self.files.contains_key(&key.file),
                "epoll {ep:?}: the entry for fd{fd} outlived its file {:?}",
                key.file
            );
            assert_eq!(
                entry.events & (EPOLLERR | EPOLLHUP),
                EPOLLERR | EPOLLHUP,
                "epoll {ep:?}: the entry for fd{fd} lost EPOLLERR|EPOLLHUP (ADD/MOD add them)"
            );
            assert!(
                entry.armed || entry.pending == Edge::None,
                "epoll {ep:?}: the disarmed (ONESHOT) entry for fd{fd} is on the ready list"
            );
        }
    }

    /// After ADD or MOD: poll the file; if ready, onto the ready list, and wake the epolls
    /// watching this one if the entry was not on it yet.
    fn requeue(&mut self, ep: FileId, key: Key) {
        let events = self.epoll(ep).entries[&key].events;
        let ready = Edge::of(self.poll(key.file, 1).mask(events));
        let entry = self
            .epoll_mut(ep)
            .entries
            .get_mut(&key)
            .expect("requeued entry");
        let newly = match entry.pending {
            Edge::None => ready,
            Edge::May => ready.min(Edge::May),
            Edge::Must => Edge::None,
        };
        entry.pending = entry.pending.max(ready);
        self.wake(ep, KEY_ALL, newly);
    }

    /// Does epoll `from` watch epoll `to`, directly or through others?
    fn reaches(&self, from: FileId, to: FileId) -> bool {
        self.epoll(from)
            .entries
            .keys()
            .any(|k| k.file == to || (self.is_epoll(k.file) && self.reaches(k.file, to)))
    }

    /// The longest chain of epolls below `ep`.
    fn height(&self, ep: FileId) -> usize {
        let children = self
            .epoll(ep)
            .entries
            .keys()
            .filter(|k| self.is_epoll(k.file));
        children.map(|k| self.height(k.file) + 1).max().unwrap_or(0)
    }

    /// The longest chain of epolls above `ep`.
    fn height_above(&self, ep: FileId) -> usize {
        let parents: BTreeSet<FileId> = self.watchers(ep).into_iter().collect();
        parents
            .into_iter()
            .map(|p| self.height_above(p) + 1)
            .max()
            .unwrap_or(0)
    }

    /// The epolls with an entry for `file`.
    fn watchers(&self, file: FileId) -> Vec<FileId> {
        let epolls = self.files.iter().filter_map(|(&id, f)| match &f.kind {
            Kind::Epoll(epoll) => Some((id, epoll)),
            _ => None,
        });
        epolls
            .filter(|(_, epoll)| epoll.entries.keys().any(|k| k.file == file))
            .map(|(id, _)| id)
            .collect()
    }

    /// A wakeup from `file` with `key`: every armed entry it reaches goes on its ready list
    /// (as surely as `edge` says), and the epolls holding those entries wake their watchers.
    pub(crate) fn wake(&mut self, file: FileId, key: u32, edge: Edge) {
        self.wake_nested(file, key, edge, 0);
    }

    fn wake_nested(&mut self, file: FileId, key: u32, edge: Edge, depth: usize) {
        if edge == Edge::None || depth > EP_MAX_NESTS {
            return;
        }
        let mut woken = Vec::new();
        for (&ep, f) in self.files.iter_mut() {
            let Kind::Epoll(epoll) = &mut f.kind else {
                continue;
            };
            let mut reached = false;
            for (k, entry) in epoll.entries.iter_mut() {
                let wanted = key == KEY_ALL || key & entry.events != 0;
                if k.file == file && entry.armed && wanted {
                    entry.pending = entry.pending.max(edge);
                    reached = true;
                }
            }
            if reached {
                woken.push(ep);
            }
        }
        for ep in woken {
            self.wake_nested(ep, KEY_ALL, edge, depth + 1);
        }
    }

    pub(crate) fn wake_sock(&mut self, s: SockId, key: u32, edge: Edge) {
        if let Some(file) = self.sock(s).file {
            self.wake(file, key, edge);
        }
    }

    /// `eventpoll_release`: the last reference to `file` is gone; every entry for it goes.
    pub(crate) fn forget(&mut self, file: FileId) {
        for f in self.files.values_mut() {
            if let Kind::Epoll(epoll) = &mut f.kind {
                epoll.entries.retain(|k, _| k.file != file);
            }
        }
    }
}
