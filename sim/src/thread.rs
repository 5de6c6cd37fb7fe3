//! Simulated threads: ids and what each one waits for.
//!
//! A simulated thread is a stackful coroutine (corosensei) on the seed's single run-loop thread;
//! exactly one runs at a time and control changes hands only at a step (a syscall or a
//! scheduling point). Measured here: a coroutine switch costs a few ns, handing a baton
//! between OS threads ~36 µs — the difference between a simulated step cheaper than a real
//! `getppid()` and one a hundred times dearer.

use simkern_poller::sys::Fd;
use std::fmt;

/// A simulated thread's id: its index in spawn order (thread 0 is the scenario's root).
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ThreadId(pub(crate) u32);

impl ThreadId {
    pub const ROOT: ThreadId = ThreadId(0);

    pub fn index(self) -> usize {
        self.0 as usize
    }

    pub fn as_u32(self) -> u32 {
        self.0
    }

    /// The id of the thread spawned `n`th: for the search's tests, which build traces by
    /// hand. Hidden: a run numbers its own threads, and users only read ids.
    #[doc(hidden)]
    pub const fn from_u32(n: u32) -> ThreadId {
        ThreadId(n)
    }
}

impl fmt::Debug for ThreadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t{}", self.0)
    }
}

impl fmt::Display for ThreadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The most threads one run may spawn. A bound on the simulated process, like
/// `kernel.threads-max`, small enough that a runaway spawn loop fails fast and by name.
pub const THREADS_MAX: usize = 4096;

/// What a thread is doing, from the scheduler's point of view.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Can take the next step.
    Runnable,
    /// In `epoll_wait` on `epfd` with nothing ready; wakes when it is, or at `deadline_ns`.
    Epoll { epfd: Fd, deadline_ns: Option<u64> },
    /// In `join`, until `target` finishes.
    Join { target: ThreadId },
    /// In `call` (`poll`, `ppoll`, `nanosleep`, or I/O on a blocking file) until one of its
    /// wait set's fds is ready (`crate::waiters`) or `deadline_ns` passes.
    Wait {
        call: crate::trace::Call,
        deadline_ns: Option<u64>,
    },
    /// Returned (or unwound).
    Finished,
}
