//! The calls that wait, beyond `join`: `epoll_wait` and its `epoll_pwait`/`epoll_pwait2`
//! forms, `poll`/`ppoll`, `clock_nanosleep`, and I/O on a file whose `O_NONBLOCK` is clear.
//!
//! Each first attempt is one step (faults may fail it); a thread that must wait parks
//! (`State::Epoll` or `State::Wait`, see `crate::waiters`) and, once woken, retries the same
//! call without a new step, as Linux does not re-enter the syscall. A thread that is unwinding,
//! or a run tearing down, never waits: the call answers at once with what a nonblocking one
//! would (`crate::unwind` says why).
//!
//! Blocking I/O waits on the poll bit its call needs (`EPOLLIN` for reads and accepts,
//! `EPOLLOUT` for writes and a connect in progress); `EPOLLERR`/`EPOLLHUP` end any wait. A
//! blocking stream write returns once every byte is queued, or with the count so far when an
//! error or an injected short write (a signal, on Linux) stops it. Where a call answers
//! `EAGAIN` while its poll bit is set (the kernel waits there on something its poll mask does
//! not show: an eventfd counter that would overflow, a Unix peer's full queue, a full Unix
//! backlog), the simulated kernel answers `EAGAIN` as a nonblocking call would, rather than
//! spin: FREEDOMS.md lists it.

use crate::fault::Fault;
use crate::sys::{interruptible, park, syscall_or_resume, SIGNAL};
use crate::thread::State;
use crate::trace::{Call, What};
use crate::unwind::unwinding;
use crate::world::{with_world, World};
use simkern_poller::sys::epoll::{EPOLLERR, EPOLLHUP};
use simkern_poller::sys::{pollbits, EpollEvent, Errno, Fd, MsgFlags, PollFd, SysResult};
use std::cell::Cell;
use std::time::Duration;

/// Bits that end every wait on an fd (`poll` reports them unasked).
const ALWAYS: u32 = EPOLLERR | EPOLLHUP;

/// A timeout in ns, saturating (`None`: forever).
pub(crate) fn duration_ns(d: Option<Duration>) -> Option<u64> {
    d.map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// A millisecond timeout as `epoll_wait`/`poll` read it: negative waits forever.
pub(crate) fn ms_ns(timeout_ms: i32) -> Option<u64> {
    u64::try_from(timeout_ms).ok().map(|ms| ms * 1_000_000)
}

/// The deadline of a wait of `timeout_ns` from now (`None` for 0, which never waits, and
/// for forever).
fn deadline(timeout_ns: Option<u64>) -> Option<u64> {
    let t = timeout_ns.filter(|&t| t > 0)?;
    with_world(|w| Some(w.now_ns.saturating_add(t)))
}

/// Runs a waiting call: `attempt` answers `Some` to return, `None` after parking the thread.
/// An injected signal (`SIGNAL`, first attempt only) interrupts the call only if it would
/// park: the thread stays runnable and the call returns `EINTR`.
fn waiting<T>(
    call: Call,
    args: [i64; 3],
    encode: fn(&T) -> i64,
    attempt: impl FnMut(&mut World, Option<Fault>) -> SysResult<Option<T>>,
) -> SysResult<T> {
    waiting_partial(call, args, encode, || None, attempt)
}

/// `waiting` for a call that can be interrupted after doing part of its work: it then
/// returns `partial()` (a blocking write, the bytes queued before the signal).
fn waiting_partial<T>(
    call: Call,
    args: [i64; 3],
    encode: fn(&T) -> i64,
    partial: impl Fn() -> Option<T>,
    mut attempt: impl FnMut(&mut World, Option<Fault>) -> SysResult<Option<T>>,
) -> SysResult<T> {
    let mut first = true;
    loop {
        let r = syscall_or_resume(first, call, args, encode, |w, fault| {
            if fault != Some(SIGNAL) {
                return attempt(w, fault);
            }
            let r = attempt(w, None);
            if !matches!(r, Ok(None)) {
                return r;
            }
            let me = w.current;
            w.set_state(me, State::Runnable);
            w.record(What::Fault {
                call,
                errno: Errno::EINTR,
            });
            match partial() {
                Some(v) => Ok(Some(v)),
                None => Err(Errno::EINTR),
            }
        });
        first = false;
        match r {
            Ok(Some(v)) => return Ok(v),
            Err(e) => return Err(e),
            Ok(None) => park(),
        }
    }
}

/// `epoll_wait` as `call` (`epoll_wait`, `epoll_pwait`, `epoll_pwait2`: one behaviour here,
/// where no signal is ever delivered), recording each harvested event.
pub(crate) fn epoll_wait(
    call: Call,
    args: [i64; 3],
    epfd: Fd,
    events: &mut [EpollEvent],
    timeout_ns: Option<u64>,
) -> SysResult<usize> {
    let deadline = deadline(timeout_ns);
    let encode: fn(&usize) -> i64 = |n| *n as i64;
    waiting(call, args, encode, |w, fault| {
        if fault == Some(Fault::EarlyWake) {
            return Ok(Some(0));
        }
        let n = w
            .kernel
            .epoll_harvest_in_place(epfd, events, &mut w.decisions)?;
        for (i, event) in events[..n].iter().enumerate() {
            w.record(What::Ready {
                data: event.data(),
                events: event.events(),
                source: w.kernel.harvested(i),
            });
        }
        let expired = deadline.is_some_and(|d| w.now_ns >= d);
        // An unwinding thread cannot wait (no other thread runs until it ends).
        if n > 0 || timeout_ns == Some(0) || expired || w.tearing_down || unwinding() {
            return Ok(Some(n));
        }
        // Nothing ready: park until the epoll is ready or the deadline passes.
        let me = w.current;
        w.set_state(
            me,
            State::Epoll {
                epfd,
                deadline_ns: deadline,
            },
        );
        Ok(None)
    })
}

/// `poll` as `call` (`poll`, `ppoll`): fills `revents`, parks while none is set.
pub(crate) fn poll(
    call: Call,
    args: [i64; 3],
    fds: &mut [PollFd],
    timeout_ns: Option<u64>,
) -> SysResult<usize> {
    let deadline = deadline(timeout_ns);
    let encode: fn(&usize) -> i64 = |n| *n as i64;
    waiting(call, args, encode, |w, _| {
        let mut n = 0;
        for p in fds.iter_mut() {
            p.revents = if p.fd < 0 {
                0
            } else {
                match w.kernel.poll_and_note(Fd(p.fd)) {
                    None => pollbits::POLLNVAL,
                    Some(mask) => (mask & (p.events as u16 as u32 | ALWAYS)) as u16 as i16,
                }
            };
            n += (p.revents != 0) as usize;
        }
        let expired = deadline.is_some_and(|d| w.now_ns >= d);
        if n > 0 || timeout_ns == Some(0) || expired || w.tearing_down || unwinding() {
            return Ok(Some(n));
        }
        let set = fds
            .iter()
            .filter(|p| p.fd >= 0)
            .map(|p| (Fd(p.fd), p.events as u16 as u32 | ALWAYS));
        park_in(w, call, set, deadline);
        Ok(None)
    })
}

/// `clock_nanosleep` for `duration` of virtual time.
pub(crate) fn nanosleep(duration: Duration) -> SysResult<()> {
    let ns = duration_ns(Some(duration)).expect("a duration");
    let deadline = deadline(Some(ns));
    let args = [i64::try_from(ns).unwrap_or(i64::MAX), 0, 0];
    waiting(
        Call::Nanosleep,
        args,
        |_: &()| 0,
        |w, _| {
            let done = deadline.is_none_or(|d| w.now_ns >= d);
            if done || w.tearing_down || unwinding() {
                return Ok(Some(()));
            }
            park_in(w, Call::Nanosleep, [], deadline);
            Ok(None)
        },
    )
}

/// Parks the current thread in `call` until an fd of `set` is ready or `deadline` passes.
fn park_in(
    w: &mut World,
    call: Call,
    set: impl IntoIterator<Item = (Fd, u32)>,
    deadline_ns: Option<u64>,
) {
    let me = w.current;
    w.waiters.park(me, set);
    w.set_state(me, State::Wait { call, deadline_ns });
}

/// Whether the current thread may wait in I/O on `fd`: the file blocks, the call did not ask
/// `MSG_DONTWAIT`, and the thread is not unwinding nor the run tearing down.
fn may_block(w: &World, fd: Fd, flags: MsgFlags) -> bool {
    !flags.contains(MsgFlags::DONTWAIT)
        && !w.tearing_down
        && !unwinding()
        && w.kernel.is_blocking(fd)
}

/// Parks in `call` on `fd`'s `bit` when the file blocks; false (answer as nonblocking) when it
/// does not, or when the bit is already set (see the module docs).
fn block_on(w: &mut World, call: Call, fd: Fd, bit: u32, flags: MsgFlags) -> bool {
    if !may_block(w, fd, flags) {
        return false;
    }
    let pid = w.procs.of(w.current);
    if w.kernel
        .poll_in(pid, fd)
        .is_none_or(|m| m & (bit | ALWAYS) != 0)
    {
        return false;
    }
    park_in(w, call, [(fd, bit | ALWAYS)], None);
    true
}

/// A call that takes what is there (a read, a receive, an accept): on a blocking file,
/// `EAGAIN` becomes a wait for `bit`.
pub(crate) fn take<T>(
    call: Call,
    args: [i64; 3],
    fd: Fd,
    bit: u32,
    flags: MsgFlags,
    encode: fn(&T) -> i64,
    mut attempt: impl FnMut(&mut World, Option<Fault>) -> SysResult<T>,
) -> SysResult<T> {
    waiting(call, args, encode, |w, fault| match attempt(w, fault) {
        Err(Errno::EAGAIN) if block_on(w, call, fd, bit, flags) => Ok(None),
        r => r.map(Some),
    })
}

/// A write of `len` bytes: on a blocking file it returns once all are queued (waiting for
/// `EPOLLOUT` between parts), or with the count so far when an error or a fault stops it.
/// `attempt` is given the bytes already written and offers the rest.
pub(crate) fn put(
    call: Call,
    args: [i64; 3],
    fd: Fd,
    len: usize,
    flags: MsgFlags,
    mut attempt: impl FnMut(&mut World, Option<Fault>, usize) -> SysResult<usize>,
) -> SysResult<usize> {
    let out = simkern_poller::sys::epoll::EPOLLOUT;
    let done = Cell::new(0usize);
    let encode: fn(&usize) -> i64 = |n| *n as i64;
    let partial = || Some(done.get()).filter(|&n| n > 0);
    waiting_partial(call, args, encode, partial, |w, fault| {
        let r = attempt(w, fault, done.get());
        if done.get() == 0 && !may_block(w, fd, flags) {
            return r.map(Some);
        }
        match r {
            Ok(n) => {
                done.set(done.get() + n);
                if done.get() >= len || fault.is_some() || !block_on(w, call, fd, out, flags) {
                    Ok(Some(done.get()))
                } else {
                    Ok(None)
                }
            }
            Err(Errno::EAGAIN) if block_on(w, call, fd, out, flags) => Ok(None),
            Err(_) if done.get() > 0 => Ok(Some(done.get())),
            Err(e) => Err(e),
        }
    })
}

/// `connect` on a blocking socket: `EINPROGRESS` becomes a wait for the outcome, which is
/// then the pending error (taken, as `SO_ERROR` takes it) or success.
pub(crate) fn connect(
    args: [i64; 3],
    fd: Fd,
    mut attempt: impl FnMut(&mut World) -> SysResult<()>,
) -> SysResult<()> {
    let out = simkern_poller::sys::epoll::EPOLLOUT;
    let mut started = false;
    waiting(
        Call::Connect,
        args,
        |_: &()| 0,
        |w, _| {
            if !started {
                return match attempt(w) {
                    Err(Errno::EINPROGRESS)
                        if block_on(w, Call::Connect, fd, out, MsgFlags::EMPTY) =>
                    {
                        started = true;
                        Ok(None)
                    }
                    r => r.map(Some),
                };
            }
            match w.kernel.so_error(fd)? {
                Some(e) => Err(e),
                None => Ok(Some(())),
            }
        },
    )
}

/// A call on a blocking file that Linux makes wait where the simulated kernel answers
/// `EAGAIN` (a Unix connect to a full backlog; FREEDOMS.md): a signal in that wait is `EINTR`,
/// and on a nonblocking file, where Linux answers `EAGAIN` too, it interrupts nothing.
pub(crate) fn answered_without_waiting<T>(
    call: Call,
    args: [i64; 3],
    fd: Fd,
    encode: fn(&T) -> i64,
    attempt: impl FnOnce(&mut World) -> SysResult<T>,
) -> SysResult<T> {
    interruptible(
        call,
        args,
        |w, fault| {
            let r = attempt(w);
            let waits = matches!(r, Err(Errno::EAGAIN)) && may_block(w, fd, MsgFlags::EMPTY);
            if fault == Some(SIGNAL) && waits {
                w.record(What::Fault {
                    call,
                    errno: Errno::EINTR,
                });
                return Err(Errno::EINTR);
            }
            r
        },
        encode,
    )
}
