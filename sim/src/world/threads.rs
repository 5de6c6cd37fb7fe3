//! Thread states and the runnable set: every state change (`set_state`), new threads, and
//! which threads can take the next step (`can_run`, `collect_runnable`), kept exact
//! incrementally where that is cheap.

use super::World;
use crate::thread::{State, ThreadId, THREADS_MAX};

impl World {
    /// Changes a thread's state; every change goes through here, so the bookkeeping of who
    /// waits for what stays exact.
    pub fn set_state(&mut self, thread: ThreadId, state: State) {
        let before = self.threads[thread.index()];
        match before {
            State::Epoll { deadline_ns, .. } => {
                if let Some(key) = self.parked_key[thread.index()].take() {
                    let waiters = self
                        .parked_on
                        .get_mut(key)
                        .expect("parked thread is listed under its epoll");
                    // An emptied list stays: the loop parks on the same epoll again soon, and
                    // removing it would free and reallocate it at every park (7% of a step).
                    // The map grows by at most one entry per epoll a run creates.
                    waiters.retain(|&t| t != thread);
                }
                if let Some(d) = deadline_ns {
                    self.deadlines.remove(&(d, thread));
                }
            }
            State::Join { target } => {
                if let Some(j) = self.joiners.get_mut(&target) {
                    j.retain(|&t| t != thread);
                }
            }
            State::Wait { deadline_ns, .. } => {
                self.waiters.unpark(thread);
                if let Some(d) = deadline_ns {
                    self.deadlines.remove(&(d, thread));
                }
            }
            State::Runnable | State::Finished => {}
        }
        self.threads[thread.index()] = state;
        self.note_in_runnable(thread, before, state);
        match state {
            State::Runnable => {
                self.maybe.insert(thread);
            }
            State::Epoll { epfd, deadline_ns } => {
                // A thread parks only after a harvest found nothing and before its deadline,
                // so it cannot run now: it leaves the candidates until its epoll is woken or
                // its deadline passes (`collect_runnable` takes in both).
                debug_assert!(!self.can_run(thread), "{thread} parked while it could run");
                let key = self.kernel.epoll_key(epfd);
                self.parked_key[thread.index()] = key;
                if let Some(key) = key {
                    self.parked_on
                        .entry(key)
                        .expect("epoll_key returns the key of a live epoll")
                        .or_default()
                        .push(thread);
                }
                if let Some(d) = deadline_ns {
                    self.deadlines.insert((d, thread));
                }
                self.maybe.remove(thread);
            }
            State::Join { target } => {
                self.joiners.entry(target).or_default().push(thread);
                self.maybe.insert(thread);
            }
            State::Wait { deadline_ns, .. } => {
                // As for `Epoll`: it parks only when its wait cannot end now; its set was
                // given to `waiters` first, and it re-enters the candidates at each pick
                // while it waits on fds, or when its deadline passes.
                debug_assert!(!self.can_run(thread), "{thread} parked while it could run");
                if let Some(d) = deadline_ns {
                    self.deadlines.insert((d, thread));
                }
                self.maybe.remove(thread);
            }
            State::Finished => {
                self.maybe.remove(thread);
                for j in self.joiners.remove(&thread).unwrap_or_default() {
                    self.maybe.insert(j);
                }
            }
        }
    }

    /// Keeps `runnable` exact through `thread`'s change from `before` to `after` where that is
    /// cheap, and marks it for recomputation otherwise. The two changes of every round trip are
    /// cheap: a parked thread that was picked resumes (`Runnable`: it stays in the list), and
    /// the running thread parks (it leaves the list). Either leaves the rest of the list as a
    /// recomputation would find it, unless the list holds parked threads, whose readiness
    /// any syscall may take away; then it is recomputed as before.
    pub(super) fn note_in_runnable(&mut self, thread: ThreadId, before: State, after: State) {
        if self.dirty {
            return;
        }
        let parked = |s: State| {
            matches!(
                s,
                State::Epoll { .. } | State::Join { .. } | State::Wait { .. }
            )
        };
        match (before, after) {
            (b, State::Runnable) if parked(b) && self.runnable.contains(&thread) => {
                // Still runnable; it no longer counts as a parked one.
                self.runnable_has_parked = self
                    .runnable
                    .iter()
                    .any(|t| self.threads[t.index()] != State::Runnable);
            }
            (State::Runnable, State::Epoll { .. }) if !self.runnable_has_parked => {
                // It cannot run (see `set_state`); the others are `Runnable` and stay so.
                self.runnable.retain(|&t| t != thread);
            }
            _ => self.dirty = true,
        }
    }

    /// Registers a thread of the spawner's process (the root: of process 1); its coroutine
    /// is made when it first runs.
    pub fn add_thread(&mut self, name: &str, f: Box<dyn FnOnce()>) -> Option<ThreadId> {
        let pid = match self.threads.is_empty() {
            true => crate::kernel::Pid::ROOT,
            false => self.procs.of(self.current),
        };
        self.add_thread_in(name, f, pid)
    }

    /// Registers a thread of process `pid`.
    pub fn add_thread_in(
        &mut self,
        name: &str,
        f: Box<dyn FnOnce()>,
        pid: crate::kernel::Pid,
    ) -> Option<ThreadId> {
        if self.threads.len() >= THREADS_MAX {
            return None;
        }
        let id = ThreadId(self.threads.len() as u32);
        self.procs.add(id, pid);
        self.threads.push(State::Runnable);
        self.parked_key.push(None);
        self.waiters.add_thread();
        self.maybe.insert(id);
        self.dirty = true;
        let inherited = self.harness.get(self.current.index()).copied() == Some(true);
        self.harness.push(inherited && !self.names.is_empty());
        self.names.push(name.to_owned());
        self.yielders.push(std::ptr::null());
        self.pending_spawns.push((id, f));
        self.strategy.on_spawn(id, &mut self.decisions);
        Some(id)
    }

    pub(super) fn can_run(&self, thread: ThreadId) -> bool {
        match self.threads[thread.index()] {
            State::Runnable => true,
            State::Epoll { epfd, deadline_ns } => {
                deadline_ns.is_some_and(|d| d <= self.now_ns)
                    || self.kernel.epoll_is_ready_in(self.procs.of(thread), epfd)
            }
            State::Join { target } => self.threads[target.index()] == State::Finished,
            State::Wait { deadline_ns, .. } => {
                deadline_ns.is_some_and(|d| d <= self.now_ns)
                    || self
                        .waiters
                        .ready(thread, self.procs.of(thread), &self.kernel)
            }
            State::Finished => false,
        }
    }

    /// The runnable threads, exactly (`can_run` of every candidate), after taking in what
    /// may have woken parked threads since the last pick.
    ///
    /// Called at every step and most often with nothing new (no epoll woken, no `poll` or
    /// `nanosleep` waiting, no deadline passed, the list still exact): only that test is
    /// inlined. In one function with the recomputation, each call paid the recomputation's
    /// register saves and restores, about a third of its cost.
    #[inline(always)]
    pub(super) fn collect_runnable(&mut self) {
        let quiet = !self.dirty
            && !self.runnable_has_parked
            && !self.kernel.has_woken()
            && self.waiters.waiting().is_empty()
            && self.earliest_deadline().is_none_or(|d| d > self.now_ns);
        if quiet {
            self.debug_check_runnable();
            return;
        }
        self.take_in_wakes();
    }

    /// The incremental upkeep (`note_in_runnable`) must leave what a recomputation finds
    /// (debug builds check it at every pick that skips the recomputation).
    #[inline(always)]
    fn debug_check_runnable(&self) {
        debug_assert_eq!(
            self.runnable,
            self.maybe
                .iter()
                .filter(|&t| self.can_run(t))
                .collect::<Vec<_>>(),
            "runnable list out of date"
        );
    }

    /// `collect_runnable` when something may have changed: take in the woken epolls, the
    /// waiting threads and the passed deadlines, and recompute the list if any counts.
    #[inline(never)]
    fn take_in_wakes(&mut self) {
        let mut woken = std::mem::take(&mut self.woken);
        self.kernel.take_woken(&mut woken);
        for key in &woken {
            if let Some(waiters) = self.parked_on.get(*key) {
                for &t in waiters {
                    self.maybe.insert(t);
                    self.dirty = true;
                }
            }
        }
        self.woken = woken;
        for &t in self.waiters.waiting() {
            self.maybe.insert(t);
            self.dirty = true;
        }
        while let Some(&(d, t)) = self.deadlines.first() {
            if d > self.now_ns {
                break;
            }
            self.deadlines.pop_first();
            self.maybe.insert(t);
            self.dirty = true;
        }
        if !self.dirty && !self.runnable_has_parked {
            self.debug_check_runnable();
            return;
        }
        let mut runnable = std::mem::take(&mut self.runnable);
        runnable.clear();
        runnable.extend(self.maybe.iter());
        // Keep exactly the runnable ones; drop parked candidates whose wait has not ended.
        runnable.retain(|&t| {
            let run = self.can_run(t);
            if !run {
                self.maybe.remove(t);
            }
            run
        });
        self.runnable_has_parked = runnable
            .iter()
            .any(|t| self.threads[t.index()] != State::Runnable);
        self.runnable = runnable;
        self.dirty = false;
    }

    /// The earliest deadline of a parked thread (`epoll_wait`, `poll`, `nanosleep`), if any.
    pub(super) fn earliest_deadline(&self) -> Option<u64> {
        self.deadlines.first().map(|&(d, _)| d)
    }
}
