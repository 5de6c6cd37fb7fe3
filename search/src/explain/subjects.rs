//! What a story is about: the subjects a panic's message names, what they lead to one link
//! deep, and the subjects each event touches (the fds of a syscall, the ids of a probe).

use super::{context, Subject};
use simkern_poller::sys::Probe;
use simkern_sim::sys::PARKED;
use simkern_sim::thread::ThreadId;
use simkern_sim::trace::{Call, Event, What};
use std::collections::BTreeSet;

/// The process of `thread`, from the outcome's `thread_pids` (the root's when unknown).
pub(super) fn pid_of(pids: &[u32], thread: ThreadId) -> u32 {
    pids.get(thread.index()).copied().unwrap_or(1)
}

/// The subjects a panic's message names: `fd 4`, `handle 0`, `operator 3` (a handle), `data 1` (a
/// handle), `timer 7`, `owner 2`, `object 1`, `loop 0`; per-loop ones on `thread`, fds in its
/// process `pid`.
pub fn named(message: &str, thread: ThreadId, pid: u32) -> BTreeSet<Subject> {
    let words: Vec<&str> = message
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .filter_map(|w| {
            let n: u64 = w[1]
                .trim_end_matches(|c: char| !c.is_ascii_digit())
                .parse()
                .ok()?;
            Some(match w[0] {
                "fd" => Subject::Fd(pid, n as i64),
                "handle" | "operator" | "data" => Subject::Handle(thread, n),
                "timer" => Subject::Timer(thread, n),
                "owner" => Subject::Owner(thread, n),
                "object" => Subject::Object(n),
                "loop" => Subject::Loop(n),
                _ => return None,
            })
        })
        .collect()
}

/// Adds what the subjects lead to, one link deep: a handle's fds (the operators that held
/// it, the reports that carried it), a timer's owner and an owner's timers, and the fds of the
/// syscalls during which an owner or a pool object came or went.
pub(super) fn follow(events: &[Event], pids: &[u32], subjects: &mut BTreeSet<Subject>) {
    let mut more = BTreeSet::new();
    for (i, e) in events.iter().enumerate() {
        let t = e.thread;
        let pid = pid_of(pids, t);
        match &e.what {
            What::Ready { data, source, .. }
                if subjects.contains(&Subject::Handle(e.thread, *data)) =>
            {
                more.insert(Subject::Fd(pid, source.0 as i64));
            }
            What::Probe(
                Probe::OperatorCreated { handle, fd }
                | Probe::OperatorDeregistered { handle, fd }
                | Probe::OperatorFreed { handle, fd }
                | Probe::EventDelivered { handle, fd, .. },
            ) if subjects.contains(&Subject::Handle(e.thread, *handle)) => {
                more.insert(Subject::Fd(pid, fd.0 as i64));
            }
            What::Probe(
                Probe::TimerArmed { timer, owner, .. }
                | Probe::TimerCancelled { timer, owner }
                | Probe::TimerFired { timer, owner },
            ) => {
                let (timer, owner) = (Subject::Timer(t, *timer), Subject::Owner(t, *owner));
                if subjects.contains(&timer) {
                    more.insert(owner);
                }
                if subjects.contains(&owner) {
                    more.insert(timer);
                }
            }
            What::Probe(
                Probe::OwnerCreated { .. }
                | Probe::OwnerDestroyed { .. }
                | Probe::PoolAcquire { .. }
                | Probe::PoolRelease { .. }
                | Probe::PoolDoubleReleaseRefused { .. },
            ) if touched(e, pids).iter().any(|s| subjects.contains(s)) => {
                if let Some(What::Syscall { call, args, result }) =
                    context(events, i).map(|j| &events[j].what)
                {
                    let fds = fds_of(*call, args, *result).into_iter();
                    more.extend(fds.map(|fd| Subject::Fd(pid, fd)));
                }
            }
            _ => {}
        }
    }
    subjects.extend(more);
}

/// What one event touches (its fds in the process of its thread).
pub(super) fn touched(e: &Event, pids: &[u32]) -> Vec<Subject> {
    let t = e.thread;
    let pid = pid_of(pids, t);
    match &e.what {
        What::Syscall { call, args, result } => fds_of(*call, args, *result)
            .into_iter()
            .map(|fd| Subject::Fd(pid, fd))
            .collect(),
        What::Ready { data, source, .. } => {
            vec![Subject::Handle(t, *data), Subject::Fd(pid, source.0 as i64)]
        }
        What::Fault { .. } => Vec::new(),
        What::Probe(p) => match *p {
            Probe::OperatorCreated { handle, fd }
            | Probe::OperatorDeregistered { handle, fd }
            | Probe::OperatorFreed { handle, fd }
            | Probe::EventDelivered { handle, fd, .. } => {
                vec![Subject::Handle(t, handle), Subject::Fd(pid, fd.0 as i64)]
            }
            Probe::EventDroppedStale { handle, .. } => vec![Subject::Handle(t, handle)],
            Probe::PoolAcquire { object, owner, .. }
            | Probe::PoolRelease { object, owner, .. }
            | Probe::PoolDoubleReleaseRefused { object, owner, .. } => {
                vec![Subject::Object(object), Subject::Owner(t, owner)]
            }
            Probe::OwnerCreated { owner } | Probe::OwnerDestroyed { owner } => {
                vec![Subject::Owner(t, owner)]
            }
            Probe::TimerArmed { timer, owner, .. }
            | Probe::TimerCancelled { timer, owner }
            | Probe::TimerFired { timer, owner } => {
                vec![Subject::Timer(t, timer), Subject::Owner(t, owner)]
            }
            Probe::WakeRequested { loop_id }
            | Probe::WakerWrite { loop_id }
            | Probe::WakeObserved { loop_id }
            | Probe::LoopSleep { loop_id, .. }
            | Probe::LoopWoke { loop_id } => vec![Subject::Loop(loop_id)],
            Probe::TeardownDepth { .. } | Probe::ErrnoHandled { .. } | Probe::User { .. } => {
                Vec::new()
            }
        },
    }
}

/// The fds a syscall takes or returns: `epoll_ctl`'s target, not the epoll fd (every loop
/// iteration waits on that one, so following it would keep everything).
pub fn fds_of(call: Call, args: &[i64; 3], result: i64) -> Vec<i64> {
    let mut fds = Vec::new();
    match call {
        Call::Read
        | Call::Write
        | Call::Writev
        | Call::Close
        | Call::Dup
        | Call::Connect
        | Call::Bind
        | Call::Listen
        | Call::Accept4
        | Call::SoError
        | Call::Getsockname
        | Call::Shutdown
        | Call::Setsockopt
        | Call::Sendto
        | Call::Recvfrom
        | Call::Getpeername
        | Call::Getsockopt
        | Call::BindUnix
        | Call::ConnectUnix
        | Call::Accept4Unix
        | Call::UnixName
        | Call::SendtoUnix
        | Call::RecvfromUnix => fds.push(args[0]),
        Call::EpollCtl => fds.push(args[1] & 0xffff_ffff),
        _ => {}
    }
    if result >= 0 && result != PARKED {
        match call {
            Call::Socket
            | Call::Accept4
            | Call::Accept4Unix
            | Call::Dup
            | Call::EpollCreate
            | Call::Eventfd => fds.push(result),
            Call::Pipe2 | Call::Socketpair => fds.extend([result >> 32, result & 0xffff_ffff]),
            _ => {}
        }
    }
    fds
}
