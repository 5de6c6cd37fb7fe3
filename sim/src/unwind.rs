//! Unwinding: what a simulated thread does while it unwinds a panic, and why it takes no
//! steps.
//!
//! A thread unwinding a panic (`unwinding()`) is not scheduled. Its syscalls — its destructors
//! deregistering and closing fds, cancelling timers — are applied and recorded at once, with no
//! step and no fault, and a blocking call among them returns without waiting (`epoll_wait`
//! with what is ready, perhaps nothing; `join` before its target ends). So the unwinding runs
//! to its end before any other thread runs.
//!
//! Why not let it be scheduled like any other code: a coroutine suspended in the middle of its
//! unwind cannot be ended once the run stops. Teardown ends a suspended coroutine by forcing
//! an unwind through it, and a forced unwind of a coroutine that is already unwinding is a
//! panic inside a destructor during cleanup: the process aborts ("thread caused non-unwinding
//! panic. aborting."), taking `Check`, a `Batch` or a worker down with every seed in it. And
//! `std::thread::panicking()` is one count per OS thread, shared by every coroutine on it: a
//! thread suspended mid-unwind would make every other thread look like it is panicking (a
//! `MutexGuard` dropped there would poison its mutex). Resuming such threads at teardown
//! instead would fix the abort but not the count, and the failure reported would be that of
//! whichever unwinding ended first, not the first panic.
//!
//! Invariant (checked in `world::suspend`): no coroutine suspends while unwinding. Hence
//! `unwinding()` is exact (the OS thread's count is the running coroutine's own), and the first
//! thread to panic is the one whose panic ends the run.
//!
//! Oracle verdicts drawn from what an unwinding thread records are held back until its
//! unwinding ends: an uncaught panic is the run's failure (what its destructors did follows
//! from it), so they are dropped; a panic the code catches lets the run go on, and the first
//! of them stands.
//!
//! Not modelled: a destructor that waits for another thread while its own thread unwinds (on
//! Linux the other thread runs; here none does until the unwinding ends). `UNWIND_CALLS_MAX`
//! ends one that loops.

use crate::world::{Stop, World};

/// Syscalls a thread may make while it unwinds one panic. Unwinding takes no steps, so the
/// step budget cannot end a destructor that loops (one that waits for another thread, which
/// cannot run until the unwinding ends); this bound does. Far above an honest unwinding:
/// dropping a connection takes a few calls, so 100,000 of them take a few hundred thousand.
pub const UNWIND_CALLS_MAX: u64 = 1_000_000;

/// What the running thread's unwinding has done so far: its syscalls, and the first oracle
/// verdict drawn from what it recorded (held back: see `World::end_unwinding`).
#[derive(Default)]
pub(crate) struct Unwinding {
    calls: u64,
    verdict: Option<Stop>,
}

/// Whether the running simulated thread is unwinding a panic (its calls then take no steps).
/// Exact because no coroutine suspends while unwinding (the module's invariant). A forced
/// unwind at teardown counts too, but `World::tearing_down` is checked first wherever both
/// matter.
#[inline]
pub(crate) fn unwinding() -> bool {
    std::thread::panicking()
}

impl World {
    /// Counts a syscall of the unwinding running thread against `UNWIND_CALLS_MAX`.
    pub fn count_unwind_call(&mut self) {
        self.unwinding.calls += 1;
        if self.unwinding.calls > UNWIND_CALLS_MAX {
            // A panic here would be a panic in a destructor during cleanup (an abort without
            // this message), so the bound reports itself and aborts plainly.
            eprintln!(
                "simkern: thread {} made more than UNWIND_CALLS_MAX ({UNWIND_CALLS_MAX}) \
                 syscalls while unwinding a panic: a destructor that loops, or waits for \
                 another thread (none runs until the unwinding ends)",
                self.current
            );
            std::process::abort();
        }
    }

    /// Holds back an oracle's verdict drawn while the running thread unwinds.
    pub fn hold_verdict(&mut self, verdict: Stop) {
        self.unwinding.verdict.get_or_insert(verdict);
    }

    /// The running thread's unwinding is over: `panicked` (the panic ended the thread) drops
    /// the verdicts it drew, since the panic is the run's failure; otherwise (the code caught
    /// the panic) the first of them stands.
    #[inline]
    pub fn end_unwinding(&mut self, panicked: bool) {
        if self.unwinding.calls == 0 && self.unwinding.verdict.is_none() {
            return;
        }
        let Unwinding { calls: _, verdict } = std::mem::take(&mut self.unwinding);
        if let (Some(v), false) = (verdict, panicked) {
            self.stop.get_or_insert(v);
        }
    }
}
