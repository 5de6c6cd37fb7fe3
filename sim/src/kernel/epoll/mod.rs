//! Epoll instances (`struct eventpoll`): the interest list and the ready list.
//!
//! Owns, per instance:
//! - the interest list, keyed by `(fd, file)` as Linux's red-black tree is (`epitem.ffd`): the
//!   same file registered under two fds is two entries, and an entry outlives the closing of
//!   its fd while another fd keeps the file open;
//! - the entries themselves (`struct epitem`) in a slot map: a file's watchers and the ready
//!   list name an entry by its `EntryKey`, as Linux's wait-queue hooks and `rdllink` point at
//!   the `epitem`, so a wakeup, a harvest or a readiness check reaches its entry without
//!   searching the interest tree (these run at every step; `epoll_ctl` is rare);
//! - the ready list: entries queued by a wakeup (`ep_poll_callback`), by `EPOLL_CTL_ADD`/`MOD`
//!   finding the file ready, or re-queued by a level-triggered report. An entry is on it at
//!   most once (`linked`).
//!
//! Invariants, checked after every `epoll_ctl` and every harvest: the interest index and the
//! entries name each other one to one; the ready list holds exactly the entries whose
//! `linked` flag is set, each once, each present in the interest list.
//!
//! Submodules: `ctl` (`epoll_create`, `epoll_ctl`, the nesting loop check, release on close),
//! `wait` (the harvest half of `epoll_wait`, and `epoll_is_ready`).

mod ctl;
mod wait;

use super::file::FileKey;
use simkern_poller::sys::epoll::MODIFIERS;
use simkern_poller::sys::Fd;
use slotmap::SlotMap;
use std::collections::{BTreeMap, VecDeque};

pub(crate) use ctl::EP_MAX_NESTS;
pub use wait::EP_MAX_EVENTS;

slotmap::new_key_type! {
    /// An epoll instance.
    pub(crate) struct EpollKey;
    /// An interest entry of one epoll instance.
    pub(crate) struct EntryKey;
}

/// `EPOLLWAKEUP`: accepted and ignored (no suspend here), but it is a private bit.
pub(crate) const EPOLLWAKEUP: u32 = 1 << 29;
/// `EP_PRIVATE_BITS`: the bits a fired `EPOLLONESHOT` entry keeps; with no event bits left it
/// is disabled until `EPOLL_CTL_MOD`.
pub(crate) const EP_PRIVATE_BITS: u32 = EPOLLWAKEUP | MODIFIERS;

/// The key of an interest entry: Linux's `epoll_filefd`.
pub(crate) type ItemKey = (Fd, FileKey);

/// One interest entry (`struct epitem`).
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// Its key in the interest list: the registration's fd and the file.
    pub(crate) item: ItemKey,
    /// Requested events with modifiers; `EPOLLERR | EPOLLHUP` are always added.
    pub(crate) events: u32,
    pub(crate) data: u64,
    /// On the ready list.
    pub(crate) linked: bool,
}

/// An epoll instance.
pub(crate) struct Epoll {
    /// The file that is this epoll (it can itself be watched by another epoll).
    pub(crate) file: FileKey,
    /// The interest list, in Linux's order: `(fd, file)` to the entry.
    pub(crate) interest: BTreeMap<ItemKey, EntryKey>,
    pub(crate) entries: SlotMap<EntryKey, Entry>,
    pub(crate) ready: VecDeque<EntryKey>,
}

impl Epoll {
    pub(crate) fn new(file: FileKey) -> Epoll {
        Epoll {
            file,
            interest: BTreeMap::new(),
            entries: SlotMap::with_key(),
            ready: VecDeque::new(),
        }
    }

    /// Adds an interest entry for `item` (the caller checked it is not there) and returns it.
    pub(crate) fn insert(&mut self, item: ItemKey, events: u32, data: u64) -> EntryKey {
        let id = self.entries.insert(Entry {
            item,
            events,
            data,
            linked: false,
        });
        let old = self.interest.insert(item, id);
        assert!(
            old.is_none(),
            "epoll: {item:?} added twice to the interest list"
        );
        id
    }

    /// `ep_poll_callback`: a wakeup with poll key `key` (0: "anything may have changed")
    /// reached entry `id`. Returns whether it passed the entry's filters (and so also wakes
    /// whoever watches this epoll).
    pub(crate) fn callback(&mut self, id: EntryKey, key: u32) -> bool {
        let entry = self
            .entries
            .get_mut(id)
            .expect("a watcher without its interest entry");
        if entry.events & !EP_PRIVATE_BITS == 0 {
            return false; // a fired EPOLLONESHOT entry: disabled until EPOLL_CTL_MOD
        }
        if key != 0 && key & entry.events == 0 {
            return false; // e.g. an EPOLLOUT wakeup for an EPOLLIN-only entry
        }
        if !entry.linked {
            entry.linked = true;
            self.ready.push_back(id);
        }
        true
    }

    /// Queues entry `id` if it is not queued yet (`ep_insert`/`ep_modify` found it ready).
    pub(crate) fn link(&mut self, id: EntryKey) {
        let entry = self
            .entries
            .get_mut(id)
            .expect("linking an entry not in the interest list");
        if !entry.linked {
            entry.linked = true;
            self.ready.push_back(id);
        }
    }

    /// Removes an interest entry and its ready-list place (`ep_remove`). The caller removes the
    /// matching watcher from the file.
    pub(crate) fn remove(&mut self, item: ItemKey) -> Entry {
        let id = self
            .interest
            .remove(&item)
            .expect("removing an entry not in the interest list");
        let entry = self
            .entries
            .remove(id)
            .expect("an interest index naming no entry");
        if entry.linked {
            let before = self.ready.len();
            self.ready.retain(|&k| k != id);
            assert_eq!(
                before,
                self.ready.len() + 1,
                "a linked entry was on the ready list {} times",
                before - self.ready.len()
            );
        }
        entry
    }

    /// The ready/interest consistency invariant (see the module docs). The full walk is
    /// O(interest list), so release builds check only what is O(1).
    pub(crate) fn check(&self) {
        assert_eq!(
            self.interest.len(),
            self.entries.len(),
            "epoll: the interest index and the entries disagree on how many there are"
        );
        assert!(
            self.ready.len() <= self.interest.len(),
            "epoll: {} ready entries but only {} registered",
            self.ready.len(),
            self.interest.len()
        );
        if !cfg!(debug_assertions) {
            return;
        }
        for (item, &id) in &self.interest {
            let entry = self
                .entries
                .get(id)
                .unwrap_or_else(|| panic!("epoll: interest entry {item:?} names no entry"));
            assert_eq!(entry.item, *item, "epoll: entry filed under another key");
        }
        let linked = self.entries.values().filter(|e| e.linked).count();
        assert_eq!(
            linked,
            self.ready.len(),
            "epoll: {} entries marked linked but {} on the ready list",
            linked,
            self.ready.len()
        );
        for &id in &self.ready {
            let entry = self
                .entries
                .get(id)
                .unwrap_or_else(|| panic!("epoll: ready entry {id:?} not in the interest list"));
            assert!(
                entry.linked,
                "epoll: ready entry {:?} not marked linked",
                entry.item
            );
        }
    }
}
