//! Threads parked outside `epoll_wait` and `join`: in `poll`/`ppoll`, in `nanosleep`, or in
//! I/O on a blocking file. Each waits for any of a set of (fd, poll bits) to be ready in its
//! process, or for a deadline, or both (`State::Wait`).
//!
//! The kernel queues epoll wakeups only, so a waiter is not woken by the file: the scheduler
//! re-checks every waiter with a nonempty set at each pick (`World::collect_runnable`). That is
//! exact and costs nothing in a run with no such waiters; with many it costs a mask per fd
//! per pick, which event-loop code (on epoll) never pays.
//!
//! Sets hold fd numbers, as `poll` re-reads them: an fd another thread closes meanwhile reads
//! as ready (`POLLNVAL`, and the blocked call retries into `EBADF`). Linux differs for
//! blocking I/O, which holds the file until it returns: documented in FREEDOMS.md.

use crate::kernel::{Kernel, Pid};
use crate::thread::ThreadId;
use simkern_poller::sys::Fd;

#[derive(Default)]
pub(crate) struct Waiters {
    /// Each thread's set, by thread index (empty unless it is in `State::Wait`).
    sets: Vec<Vec<(Fd, u32)>>,
    /// Threads in `State::Wait` with a nonempty set, in the order they parked.
    waiting: Vec<ThreadId>,
}

impl Waiters {
    pub(crate) fn add_thread(&mut self) {
        self.sets.push(Vec::new());
    }

    /// Makes `set` the thread's wait set (it is about to enter `State::Wait`).
    pub(crate) fn park(&mut self, thread: ThreadId, set: impl IntoIterator<Item = (Fd, u32)>) {
        let mine = &mut self.sets[thread.index()];
        debug_assert!(mine.is_empty(), "{thread} parked twice");
        mine.extend(set);
        if !mine.is_empty() {
            self.waiting.push(thread);
        }
    }

    /// The thread leaves `State::Wait`.
    pub(crate) fn unpark(&mut self, thread: ThreadId) {
        let mine = &mut self.sets[thread.index()];
        if !mine.is_empty() {
            mine.clear();
            self.waiting.retain(|&t| t != thread);
        }
    }

    /// Threads whose readiness must be re-checked at each pick.
    pub(crate) fn waiting(&self) -> &[ThreadId] {
        &self.waiting
    }

    /// Whether any fd of the thread's set is ready for its bits in process `pid`, or closed.
    pub(crate) fn ready(&self, thread: ThreadId, pid: Pid, kernel: &Kernel) -> bool {
        self.sets[thread.index()]
            .iter()
            .any(|&(fd, bits)| kernel.poll_in(pid, fd).is_none_or(|m| m & bits != 0))
    }
}
