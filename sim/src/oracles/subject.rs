//! What a verdict names: `Subject`s (fds, handles, timers, owners, pool objects, loops), and
//! the subjects of a fact, computed only when the fact gets a verdict.

use crate::thread::ThreadId;
use simkern_model::oracle::Fact;
use std::fmt;

/// Something a violation can name. Handles, timers and owners are numbered per event loop,
/// so per thread (as the oracles key them); fds per process (`Fd(pid, fd)`: two processes'
/// fd 4 are two subjects); pool objects and loops are global.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    Fd(u32, i64),
    Handle(ThreadId, u64),
    Timer(ThreadId, u64),
    /// A timer's owner, or a pool object's (the probes share the word).
    Owner(ThreadId, u64),
    Object(u64),
    Loop(u64),
}

impl Subject {
    /// The word for this kind of subject, as a signature names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::Fd(..) => "fd",
            Subject::Handle(..) => "handle",
            Subject::Timer(..) => "timer",
            Subject::Owner(..) => "owner",
            Subject::Object(_) => "object",
            Subject::Loop(_) => "loop",
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Fd(1, n) => write!(f, "fd {n}"),
            Subject::Fd(pid, n) => write!(f, "fd {n} of process {pid}"),
            Subject::Handle(_, n) => write!(f, "handle {n}"),
            Subject::Timer(_, n) => write!(f, "timer {n}"),
            Subject::Owner(_, n) => write!(f, "owner {n}"),
            Subject::Object(n) => write!(f, "object {n}"),
            Subject::Loop(n) => write!(f, "loop {n}"),
        }
    }
}

/// What `fact`, judged on `thread` of process `pid`, names.
pub(super) fn subjects_of(fact: &Fact<'_>, thread: ThreadId, pid: u32) -> Vec<Subject> {
    use Fact::*;
    let t = thread;
    let mut s = match *fact {
        OperatorCreated { handle, fd }
        | OperatorDeregistered { handle, fd }
        | OperatorFreed { handle, fd }
        | EventDelivered { handle, fd, .. } => {
            vec![Subject::Handle(t, handle), Subject::Fd(pid, fd as i64)]
        }
        EpollReady {
            data, source_fd, ..
        } => {
            vec![Subject::Handle(t, data), Subject::Fd(pid, source_fd as i64)]
        }
        EventDroppedStale { handle } => vec![Subject::Handle(t, handle)],
        PoolAcquire { object, owner, .. }
        | PoolRelease { object, owner, .. }
        | PoolDoubleReleaseRefused { object, owner, .. } => {
            vec![Subject::Object(object), Subject::Owner(t, owner)]
        }
        OwnerCreated { owner } | OwnerDestroyed { owner } => vec![Subject::Owner(t, owner)],
        TimerArmed { timer, owner }
        | TimerCancelled { timer, owner }
        | TimerFired { timer, owner } => {
            vec![Subject::Timer(t, timer), Subject::Owner(t, owner)]
        }
        EpollCreated { loop_id } => vec![Subject::Loop(loop_id)],
        WakeRequested { loop_id }
        | WakeObserved { loop_id }
        | LoopSleep { loop_id, .. }
        | LoopWoke { loop_id } => vec![Subject::Loop(loop_id)],
        ScenarioEnd { process, open_fds } | ProcessExit { process, open_fds } => open_fds
            .iter()
            .map(|&fd| Subject::Fd(process, fd as i64))
            .collect(),
        // A depth, an errno decision, a promise: the failing step's syscall says more (see
        // `explain`).
        EpollWaitReturned { .. }
        | TeardownDepth { .. }
        | ErrnoHandled { .. }
        | ExpectNoFdsAtEnd => Vec::new(),
    };
    s.sort_unstable();
    s.dedup();
    s
}
