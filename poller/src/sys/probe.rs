//! `Probe`: lifecycle facts the poller reports through `Sys::probe`.
//!
//! The real backend compiles `probe` to nothing. The simulator writes each probe into the trace
//! beside the syscalls, and the oracles in `simkern-model` judge that one stream: an event that
//! reached the wrong operator, an object released to a pool twice, a timer that fired for a
//! destroyed owner, a wakeup that was requested but never observed, a teardown that recursed.
//! Identifiers are plain `u64` so the model crate needs nothing of ours to read them.

use super::{Errno, Fd};

/// What the code under test decided to do with an errno (the oracle checks the decision).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ErrnoAction {
    /// Call again at once (`EINTR`).
    Retry,
    /// Not ready: wait for readiness (`EAGAIN`).
    NotReady,
    /// Resource exhaustion: back off on a timer before trying again (`EMFILE`/`ENFILE` on accept).
    Backoff,
    /// Handed to the caller as an error of that operation.
    Surface,
    /// The loop or thread gave up entirely.
    Fatal,
}

/// One lifecycle fact. See the module docs for who consumes these.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// An operator (one fd's registration) was created and added to epoll with data `handle`.
    OperatorCreated { handle: u64, fd: Fd },
    /// The operator's fd left the epoll interest list (EPOLL_CTL_DEL succeeded).
    OperatorDeregistered { handle: u64, fd: Fd },
    /// The operator's slot was freed; `handle` must never receive an event again.
    OperatorFreed { handle: u64, fd: Fd },
    /// An epoll event carrying data `handle` was handed to the operator registered for `fd`.
    EventDelivered { handle: u64, fd: Fd, events: u32 },
    /// An epoll event carrying a stale handle was dropped (the operator is gone).
    EventDroppedStale { handle: u64, events: u32 },
    /// `owner` took `object` out of pool `pool`.
    PoolAcquire { pool: u64, object: u64, owner: u64 },
    /// `owner` returned `object` to pool `pool`.
    PoolRelease { pool: u64, object: u64, owner: u64 },
    /// A second release of `object` was detected and refused.
    PoolDoubleReleaseRefused { pool: u64, object: u64, owner: u64 },
    /// An object that can own timers came to life.
    OwnerCreated { owner: u64 },
    /// An object that can own timers was destroyed; none of its timers may fire after this.
    OwnerDestroyed { owner: u64 },
    /// A timer was armed for `owner`, due at `deadline_ns` on the monotonic clock.
    TimerArmed {
        timer: u64,
        owner: u64,
        deadline_ns: u64,
    },
    /// A timer was cancelled before it fired.
    TimerCancelled { timer: u64, owner: u64 },
    /// A timer fired and ran its owner's code.
    TimerFired { timer: u64, owner: u64 },
    /// Work for loop `loop_id` was queued by another thread (a wakeup is owed).
    WakeRequested { loop_id: u64 },
    /// The waker wrote the eventfd of loop `loop_id`.
    WakerWrite { loop_id: u64 },
    /// Loop `loop_id` picked up the queued work.
    WakeObserved { loop_id: u64 },
    /// Loop `loop_id` is about to block in `epoll_wait` for at most `timeout_ms` (-1: forever).
    LoopSleep { loop_id: u64, timeout_ms: i32 },
    /// Loop `loop_id` returned from `epoll_wait`.
    LoopWoke { loop_id: u64 },
    /// A teardown reached nesting depth `depth` (1 for an iterative teardown).
    TeardownDepth { depth: u32 },
    /// The code under test decided `action` for `errno` returned by `call`.
    ErrnoHandled {
        call: &'static str,
        errno: Errno,
        action: ErrnoAction,
    },
    /// A fact of the user's own code, for the user's own oracles.
    User { name: &'static str, a: u64, b: u64 },
}
