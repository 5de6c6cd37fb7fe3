//! `epoll_wait` and the readiness of an epoll: the candidates each entry gives, a wait's
//! branches, the ready list after a wait, and the pending marks the network's progress merges.

use super::{Edge, Key, EP_MAX_EVENTS, EP_MAX_NESTS};
use crate::allowed::Candidate;
use crate::errno::{EBADF, EINVAL};
use crate::event::{Ready, EPOLLET, EPOLLIN, EPOLLONESHOT, EPOLLRDNORM};
use crate::file::{FileId, Kind};
use crate::model::Branch;
use crate::op::Fd;
use crate::world::World;
use std::collections::BTreeSet;

impl World {
    /// What `epoll_wait` on `ep` may report: one candidate per entry that may be reported.
    fn candidates(&self, ep: FileId, depth: usize) -> Vec<(Key, Candidate)> {
        let mut out = Vec::new();
        for (&key, entry) in &self.epoll(ep).entries {
            if !entry.armed {
                continue;
            }
            let ready = self.poll(key.file, depth + 1).mask(entry.events);
            let on_list = match entry.events & EPOLLET {
                0 => Edge::Must, // level-triggered: reported whenever ready
                _ => entry.pending,
            };
            if ready.may == 0 || on_list == Edge::None {
                continue;
            }
            let candidate = Candidate {
                data: entry.data,
                masks: ready.masks(),
                required: on_list == Edge::Must && ready.sure != 0,
            };
            out.push((key, candidate));
        }
        out
    }

    /// `ep_eventpoll_poll`: an epoll is readable while waiting on it would report something.
    pub(crate) fn epoll_poll(&self, ep: FileId, depth: usize) -> Ready {
        if depth > EP_MAX_NESTS {
            return Ready::NONE;
        }
        let candidates = self.candidates(ep, depth);
        let readable = EPOLLIN | EPOLLRDNORM;
        if candidates.iter().any(|(_, c)| c.required) {
            Ready::sure(readable)
        } else if candidates.is_empty() {
            Ready::NONE
        } else {
            Ready::maybe(readable)
        }
    }

    pub(crate) fn epoll_wait(&self, epfd: Fd, maxevents: i32) -> Vec<Branch> {
        let bad_max = maxevents <= 0 || maxevents > EP_MAX_EVENTS;
        let ep = match (self.file_of(epfd), bad_max) {
            // Kernels before 6.x checked maxevents first, newer ones the fd: both are Linux.
            (Err(_), true) => return [self.fail(EBADF), self.fail(EINVAL)].concat(),
            (Err(errno), false) => return self.fail(errno),
            (Ok(_), true) => return self.fail(EINVAL),
            (Ok(ep), false) if !self.is_epoll(ep) => return self.fail(EINVAL),
            (Ok(ep), false) => ep,
        };
        let (keys, candidates) = self.candidates(ep, 0).into_iter().unzip();
        vec![Branch::Wait {
            world: self.clone(),
            epoll: ep,
            maxevents: usize::try_from(maxevents).expect("checked positive"),
            keys,
            candidates,
        }]
    }

    /// The ready list after `epoll_wait` reported `reported` (`full`: it filled `maxevents`).
    pub(crate) fn after_wait(&mut self, ep: FileId, reported: &BTreeSet<Key>, full: bool) {
        for (key, entry) in self.epoll_mut(ep).entries.iter_mut() {
            if reported.contains(key) {
                if entry.events & EPOLLONESHOT != 0 {
                    entry.armed = false;
                    entry.pending = Edge::None;
                } else if entry.events & EPOLLET != 0 {
                    entry.pending = Edge::None;
                } else {
                    entry.pending = Edge::Must; // level-triggered: back on the list
                }
            } else if !full {
                // Scanned and not ready (or never on the list): off the list.
                entry.pending = Edge::None;
            }
        }
        self.assert_entries(ep);
    }

    /// Sets every ready-list flag to `None` (for grouping states that differ only there).
    pub(crate) fn clear_pending(&mut self) {
        for f in self.files.values_mut() {
            if let Kind::Epoll(epoll) = &mut f.kind {
                for entry in epoll.entries.values_mut() {
                    entry.pending = Edge::None;
                }
            }
        }
    }

    /// Merges the ready-list flags of a state that differs from this one only there: where
    /// they disagree, the entry may or may not be on the list.
    pub(crate) fn merge_pending(&mut self, other: &World) {
        for (id, f) in self.files.iter_mut() {
            let (Kind::Epoll(mine), Kind::Epoll(theirs)) = (&mut f.kind, &other.file(*id).kind)
            else {
                continue;
            };
            for (key, entry) in mine.entries.iter_mut() {
                if entry.pending != theirs.entries[key].pending {
                    entry.pending = Edge::May;
                }
            }
        }
    }
}
