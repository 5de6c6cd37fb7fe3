//! The per-process fd table: fd number → open file description.
//!
//! Owns the numbering rule event loops are most often bitten by: a new fd is the lowest free
//! number (POSIX, and Linux's `files->next_fd`), so a closed fd's number comes straight back
//! to the next `socket`/`accept4`/`dup`. Numbers at or above `RLIMIT_NOFILE` are refused with
//! `EMFILE`.
//!
//! Invariant, checked on both allocate and close: `next_free` is the lowest free fd — every
//! slot below it is occupied (a full check in debug builds) and it is itself free or one past
//! the end (checked always). Allocation then costs a forward scan to the next free slot.
//! `dup2`/`dup3` install at a chosen number (`install_at`), which may leave free numbers
//! below it; `next_free` still names the lowest. Each fd carries its `FD_CLOEXEC` flag (kept
//! in `plain`, the fds without it: every fd the trait creates has it, `dup2` and `dup3`
//! without `O_CLOEXEC` make one without). There is no exec, so the flag is only reported.
//! Not modelled: `ENFILE`.

use super::file::FileKey;
use simkern_poller::sys::{Errno, Fd, SysResult};
use std::collections::BTreeSet;

/// fd → file.
pub(crate) struct Table {
    slots: Vec<Option<FileKey>>,
    /// The lowest free fd (`slots.len()` when every slot is taken).
    next_free: usize,
    open: usize,
    limit: usize,
    /// Open fds without `FD_CLOEXEC`.
    plain: BTreeSet<i32>,
}

impl Table {
    pub(crate) fn new(rlimit_nofile: u32) -> Table {
        Table {
            slots: Vec::new(),
            next_free: 0,
            open: 0,
            limit: rlimit_nofile as usize,
            plain: BTreeSet::new(),
        }
    }

    /// The file behind `fd`, if open.
    #[inline]
    pub(crate) fn get(&self, fd: Fd) -> Option<FileKey> {
        usize::try_from(fd.0)
            .ok()
            .and_then(|i| self.slots.get(i))
            .copied()
            .flatten()
    }

    /// Whether `n` allocations in a row would succeed (`pipe2` needs two).
    pub(crate) fn can_alloc(&self, n: usize) -> bool {
        (self.next_free..self.limit)
            .filter(|&i| self.slots.get(i).is_none_or(Option::is_none))
            .take(n)
            .count()
            == n
    }

    /// Installs `file` at the lowest free fd.
    pub(crate) fn alloc(&mut self, file: FileKey) -> SysResult<Fd> {
        let fd = self.next_free;
        if fd >= self.limit {
            return Err(Errno::EMFILE);
        }
        self.check_lowest_free("allocating");
        if fd == self.slots.len() {
            self.slots.push(Some(file));
        } else {
            self.slots[fd] = Some(file);
        }
        self.next_free = self.slots[fd..]
            .iter()
            .position(Option::is_none)
            .map_or(self.slots.len(), |i| fd + i);
        self.open += 1;
        self.check_lowest_free("after allocating");
        Ok(Fd(fd as i32))
    }

    /// Removes `fd`, returning its file; `EBADF` if it was not open.
    pub(crate) fn remove(&mut self, fd: Fd) -> SysResult<FileKey> {
        let i = usize::try_from(fd.0).map_err(|_| Errno::EBADF)?;
        let file = self
            .slots
            .get_mut(i)
            .and_then(Option::take)
            .ok_or(Errno::EBADF)?;
        self.open -= 1;
        self.plain.remove(&fd.0);
        self.next_free = self.next_free.min(i);
        self.check_lowest_free("after closing");
        Ok(file)
    }

    /// `dup2`/`dup3`'s install: `fd` names `file` from now on, with `FD_CLOEXEC` as asked;
    /// returns the file it named before (the caller puts it). `EBADF` for a number outside
    /// `0..RLIMIT_NOFILE` (`ksys_dup3`).
    pub(crate) fn install_at(
        &mut self,
        fd: Fd,
        file: FileKey,
        cloexec: bool,
    ) -> SysResult<Option<FileKey>> {
        let i = usize::try_from(fd.0).map_err(|_| Errno::EBADF)?;
        if i >= self.limit {
            return Err(Errno::EBADF);
        }
        if i >= self.slots.len() {
            self.slots.resize(i + 1, None);
        }
        let old = self.slots[i].replace(file);
        if old.is_none() {
            self.open += 1;
        }
        if i == self.next_free {
            self.next_free = self.slots[i..]
                .iter()
                .position(Option::is_none)
                .map_or(self.slots.len(), |k| i + k);
        }
        self.set_cloexec(fd, cloexec);
        self.check_lowest_free("after installing at a chosen number");
        Ok(old)
    }

    /// Whether open `fd` has `FD_CLOEXEC`.
    pub(crate) fn cloexec(&self, fd: Fd) -> bool {
        !self.plain.contains(&fd.0)
    }

    /// Sets or clears open `fd`'s `FD_CLOEXEC`.
    pub(crate) fn set_cloexec(&mut self, fd: Fd, on: bool) {
        assert!(self.get(fd).is_some(), "FD_CLOEXEC set on closed {fd:?}");
        if on {
            self.plain.remove(&fd.0);
        } else {
            self.plain.insert(fd.0);
        }
    }

    /// The invariant: `next_free` is free (or the end), and nothing below it is.
    fn check_lowest_free(&self, when: &str) {
        assert!(
            self.slots.get(self.next_free).is_none_or(Option::is_none),
            "fd table {when}: next_free fd{} is occupied (lowest-free broken)",
            self.next_free
        );
        debug_assert!(
            self.slots[..self.next_free].iter().all(Option::is_some),
            "fd table {when}: a free fd below next_free fd{} (lowest-free broken)",
            self.next_free
        );
    }

    /// Open fds in ascending order, with their files.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Fd, FileKey)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|f| (Fd(i as i32), f)))
    }

    /// Number of open fds.
    pub(crate) fn len(&self) -> usize {
        self.open
    }
}
