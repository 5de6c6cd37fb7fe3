//! `Fact`: one thing the oracles are told, with `At` (when, on which thread).
//!
//! Facts mirror the poller's probes (`simkern_poller::Probe`) and the few kernel facts the
//! oracles need as ground truth (what `epoll_wait` returned and which fd each event came
//! from). Identifiers are plain integers: fds `i32`, errnos `i32` (Linux's values), handles,
//! objects, owners and timers `u64`, as the code under test numbers them.

/// When and where a fact happened: virtual time and the simulated thread.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct At {
    pub time_ns: u64,
    pub thread: u32,
}

impl At {
    pub fn new(time_ns: u64, thread: u32) -> At {
        At { time_ns, thread }
    }
}

/// What the code under test decided to do with an errno (mirrors `ErrnoAction`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Call again at once.
    Retry,
    /// Not ready: wait for readiness.
    NotReady,
    /// Back off on a timer before trying again.
    Backoff,
    /// Hand the error to the caller of that operation.
    Surface,
    /// Give up on the loop or thread entirely.
    Fatal,
}

/// One fact about a run. `Copy`: the oracles see one per trace event, so it is passed by value
/// in registers, not built and dropped on the heap.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fact<'a> {
    /// An operator (one fd's registration) was added to epoll with data `handle`.
    OperatorCreated { handle: u64, fd: i32 },
    /// The operator's fd left the epoll interest list (`EPOLL_CTL_DEL` succeeded).
    OperatorDeregistered { handle: u64, fd: i32 },
    /// The operator's slot was freed; `handle` must never receive an event again.
    OperatorFreed { handle: u64, fd: i32 },
    /// Kernel truth: this thread's `epoll_wait` returned an event with `data`, produced by the
    /// interest entry of `source_fd`. The events of one harvest come before its
    /// `EpollWaitReturned`.
    EpollReady {
        data: u64,
        events: u32,
        source_fd: i32,
    },
    /// Kernel truth: this thread's `epoll_wait` returned `result` (events, or negative: an
    /// errno, or parked).
    EpollWaitReturned { result: i64 },
    /// The code handed an epoll event carrying `handle` to its operator for `fd`.
    EventDelivered { handle: u64, fd: i32, events: u32 },
    /// The code dropped an epoll event whose handle is stale.
    EventDroppedStale { handle: u64 },
    /// `owner` took `object` out of pool `pool`.
    PoolAcquire { pool: u64, object: u64, owner: u64 },
    /// `owner` returned `object` to pool `pool`.
    PoolRelease { pool: u64, object: u64, owner: u64 },
    /// The pool refused a second release of `object` (the check working).
    PoolDoubleReleaseRefused { pool: u64, object: u64, owner: u64 },
    /// An object that can own timers came to life.
    OwnerCreated { owner: u64 },
    /// An object that can own timers was destroyed.
    OwnerDestroyed { owner: u64 },
    /// A timer was armed for `owner`.
    TimerArmed { timer: u64, owner: u64 },
    /// A timer was cancelled before it fired.
    TimerCancelled { timer: u64, owner: u64 },
    /// A timer fired and ran its owner's code.
    TimerFired { timer: u64, owner: u64 },
    /// Kernel truth: `epoll_create` returned the fd `loop_id` names (a new loop may take
    /// that id). A simulator with several processes qualifies fd numbers by process, as it
    /// does the loop ids of the other loop facts.
    EpollCreated { loop_id: u64 },
    /// Work for loop `loop_id` was queued by another thread: a wakeup is owed.
    WakeRequested { loop_id: u64 },
    /// Loop `loop_id` picked up queued work.
    WakeObserved { loop_id: u64 },
    /// Loop `loop_id` is about to block in `epoll_wait` for at most `timeout_ms` (-1: forever).
    LoopSleep { loop_id: u64, timeout_ms: i32 },
    /// Loop `loop_id` returned from `epoll_wait`.
    LoopWoke { loop_id: u64 },
    /// A teardown reached nesting depth `depth`.
    TeardownDepth { depth: u32 },
    /// The code decided `action` for `errno` returned by `call`.
    ErrnoHandled {
        call: &'static str,
        errno: i32,
        action: Action,
    },
    /// The scenario promises that no fd is open when it ends (opts in to `fd_leak`).
    ExpectNoFdsAtEnd,
    /// The scenario ended with these fds open in `process`.
    ScenarioEnd { process: u32, open_fds: &'a [i32] },
    /// `process` ended (its last thread returned) with these fds open, before the kernel
    /// closed them.
    ProcessExit { process: u32, open_fds: &'a [i32] },
}
