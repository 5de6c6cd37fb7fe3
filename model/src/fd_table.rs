//! The per-process fd table: fd number → open file description.
//!
//! Owns: which fd numbers are open, lowest-free allocation (`get_unused_fd_flags`), and
//! `EMFILE` at `RLIMIT_NOFILE`. Keeps: every number from `first` up to the lowest free one is
//! open (checked on both allocate and close). Fds below `first` belong to the harness
//! (stdin, stdout, stderr) and are never handed out.
//! Each fd's `FD_CLOEXEC` (`plain` holds the fds without it; every fd the trait creates has
//! it, `F_SETFD` changes it).
//! `dup2`/`dup3` install at a chosen number (`install_at`), which may leave free numbers
//! below it. Does not model: `ENFILE`.

use crate::errno::EMFILE;
use crate::file::FileId;
use crate::op::Fd;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Table {
    open: BTreeMap<i32, FileId>,
    /// Lowest number the model may hand out (`Config::first_fd`).
    first: i32,
    /// `RLIMIT_NOFILE` (`Config::fd_limit`): every fd is below it.
    limit: i32,
    /// Open fds without `FD_CLOEXEC`.
    plain: BTreeSet<i32>,
}

impl Table {
    pub(crate) fn new(first: i32, limit: i32) -> Table {
        assert!(
            first >= 0,
            "Config::first_fd must not be negative, got {first}"
        );
        Table {
            open: BTreeMap::new(),
            first,
            limit,
            plain: BTreeSet::new(),
        }
    }

    /// The open file an fd refers to.
    pub(crate) fn get(&self, fd: Fd) -> Option<FileId> {
        self.open.get(&fd.0).copied()
    }

    /// An fd the harness owns (below `Config::first_fd`): outside the model.
    pub(crate) fn is_reserved(&self, fd: Fd) -> bool {
        (0..self.first).contains(&fd.0)
    }

    /// The fd `get_unused_fd_flags` would hand out next, or `None` (`EMFILE`).
    pub(crate) fn lowest_free(&self) -> Option<Fd> {
        let mut candidate = self.first;
        for &fd in self.open.range(self.first..).map(|(fd, _)| fd) {
            if fd != candidate {
                break;
            }
            candidate += 1;
        }
        (candidate < self.limit).then_some(Fd(candidate))
    }

    /// How many fds could be allocated now (capped at `want`): `pipe2` needs two.
    pub(crate) fn free_at_least(&self, want: usize) -> bool {
        let used = self.open.range(self.first..self.limit).count();
        let total = usize::try_from(self.limit - self.first).unwrap_or(0);
        total.saturating_sub(used) >= want
    }

    /// Installs `file` at the lowest free fd.
    pub(crate) fn install(&mut self, file: FileId) -> Result<Fd, i32> {
        let fd = self.lowest_free().ok_or(EMFILE)?;
        let previous = self.open.insert(fd.0, file);
        assert!(
            previous.is_none(),
            "fd table: lowest_free returned open {fd:?}"
        );
        self.assert_dense(fd.0 + 1);
        Ok(fd)
    }

    /// Closes `fd`, returning the file it referred to.
    pub(crate) fn remove(&mut self, fd: Fd) -> Option<FileId> {
        let file = self.open.remove(&fd.0)?;
        self.plain.remove(&fd.0);
        let free = self.lowest_free();
        assert!(
            free.is_some_and(|free| free.0 <= fd.0),
            "fd table: closed {fd:?} but lowest free is {free:?}"
        );
        Some(file)
    }

    /// `dup2`/`dup3`'s install: `fd` names `file`, with `FD_CLOEXEC` as asked; returns the
    /// file it named before. The caller checked `fd` is in `0..limit`.
    pub(crate) fn install_at(&mut self, fd: Fd, file: FileId, cloexec: bool) -> Option<FileId> {
        assert!(
            (0..self.limit).contains(&fd.0),
            "fd table: install at {fd:?} outside 0..{}",
            self.limit
        );
        let old = self.open.insert(fd.0, file);
        self.set_cloexec(fd, cloexec);
        old
    }

    /// Whether open `fd` has `FD_CLOEXEC`.
    pub(crate) fn cloexec(&self, fd: Fd) -> bool {
        !self.plain.contains(&fd.0)
    }

    /// Sets or clears open `fd`'s `FD_CLOEXEC`.
    pub(crate) fn set_cloexec(&mut self, fd: Fd, on: bool) {
        assert!(
            self.open.contains_key(&fd.0),
            "FD_CLOEXEC set on closed {fd:?}"
        );
        if on {
            self.plain.remove(&fd.0);
        } else {
            self.plain.insert(fd.0);
        }
    }

    /// Every open fd the model owns, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Fd, FileId)> + '_ {
        self.open.iter().map(|(&fd, &file)| (Fd(fd), file))
    }

    /// Every fd from `first` to `end` is open: the lowest-free invariant after an allocation.
    fn assert_dense(&self, end: i32) {
        let count = self.open.range(self.first..end).count();
        assert_eq!(
            count,
            usize::try_from(end - self.first).unwrap_or(0),
            "fd table: a hole below fd{end}: {:?}",
            self.open.keys().collect::<Vec<_>>()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_is_lowest_free_and_reuses_closed_numbers() {
        let mut table = Table::new(3, 10);
        assert_eq!(table.install(FileId(1)), Ok(Fd(3)));
        assert_eq!(table.install(FileId(2)), Ok(Fd(4)));
        assert_eq!(table.install(FileId(3)), Ok(Fd(5)));
        assert_eq!(table.remove(Fd(4)), Some(FileId(2)));
        assert_eq!(table.install(FileId(4)), Ok(Fd(4)));
        assert_eq!(table.remove(Fd(7)), None);
    }

    #[test]
    fn the_fd_limit_gives_emfile_and_counts_fd_numbers() {
        let mut table = Table::new(3, 5);
        assert_eq!(table.install(FileId(1)), Ok(Fd(3)));
        assert!(table.free_at_least(1));
        assert!(!table.free_at_least(2));
        assert_eq!(table.install(FileId(2)), Ok(Fd(4)));
        assert_eq!(table.install(FileId(3)), Err(EMFILE));
        assert!(table.is_reserved(Fd(2)));
        assert!(!table.is_reserved(Fd(-1)));
    }
}
