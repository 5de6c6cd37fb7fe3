//! One simulated syscall step: schedule, roll faults, apply, record (`syscall`), and the retry
//! of a call that parked (`syscall_or_resume`, `park`).

use super::*;

/// One syscall step: schedule, roll faults, apply, record. The kernel names the calling
/// thread's fds (its process's) while it applies the call.
#[inline]
pub(crate) fn syscall<T>(
    call: Call,
    args: [i64; 3],
    apply: impl FnOnce(&mut World, Option<Fault>) -> SysResult<T>,
    encode: impl FnOnce(&T) -> i64,
) -> SysResult<T> {
    step(call, args, false, apply, encode)
}

/// As `syscall`, for a call that may sleep: an injected `EINTR` (a signal arriving) is handed
/// to `apply` as `SIGNAL`, not returned, because Linux returns `EINTR` only from a call that
/// waits: a signal that comes while a call completes without waiting (a nonblocking read,
/// `epoll_wait` with events ready or a zero timeout) interrupts nothing. `apply` delivers it
/// where the call would wait (`crate::blocking`) and records the fault there.
#[inline]
pub(crate) fn interruptible<T>(
    call: Call,
    args: [i64; 3],
    apply: impl FnOnce(&mut World, Option<Fault>) -> SysResult<T>,
    encode: impl FnOnce(&T) -> i64,
) -> SysResult<T> {
    step(call, args, true, apply, encode)
}

/// The injected signal of an `interruptible` call.
pub(crate) const SIGNAL: Fault = Fault::Errno(Errno::EINTR);

#[inline]
fn step<T>(
    call: Call,
    args: [i64; 3],
    sleeps: bool,
    apply: impl FnOnce(&mut World, Option<Fault>) -> SysResult<T>,
    encode: impl FnOnce(&T) -> i64,
) -> SysResult<T> {
    if with_world(|w| w.tearing_down) {
        return with_world(|w| apply(w, None));
    }
    if unwinding() {
        // Not a step: answered at once, with no fault, and recorded.
        return with_world(|w| {
            w.count_unwind_call();
            w.enter_current();
            apply_and_record(w, call, args, None, apply, encode)
        });
    }
    world::step();
    with_world(|w| {
        w.enter_current();
        let fault = if w.faults.is_empty() || w.harness[w.current.index()] {
            None
        } else {
            w.faults
                .roll(call, &w.names[w.current.index()], &mut w.decisions)
        };
        if let Some(Fault::Errno(errno)) = fault.filter(|&f| !(sleeps && f == SIGNAL)) {
            w.record(What::Fault { call, errno });
            w.record(What::Syscall {
                call,
                args,
                result: encode_result(Err(errno)),
            });
            return Err(errno);
        }
        apply_and_record(w, call, args, fault, apply, encode)
    })
}

/// Applies a call to the kernel and records it with its result.
#[inline]
pub(super) fn apply_and_record<T>(
    w: &mut World,
    call: Call,
    args: [i64; 3],
    fault: Option<Fault>,
    apply: impl FnOnce(&mut World, Option<Fault>) -> SysResult<T>,
    encode: impl FnOnce(&T) -> i64,
) -> SysResult<T> {
    let result = apply(w, fault);
    let encoded = encode_result(result.as_ref().map(encode).map_err(|e| *e));
    w.record(What::Syscall {
        call,
        args,
        result: encoded,
    });
    result
}

/// Trace result of a blocking call's attempt that parked the thread.
pub const PARKED: i64 = i64::MIN;

/// The first attempt of a blocking call is a step; a retry after waking is the same call
/// continuing, not a new step (Linux does not re-enter the syscall either).
pub(crate) fn syscall_or_resume<T>(
    first: bool,
    call: Call,
    args: [i64; 3],
    encode: fn(&T) -> i64,
    apply: impl FnOnce(&mut World, Option<Fault>) -> SysResult<Option<T>>,
) -> SysResult<Option<T>> {
    if first {
        return interruptible(call, args, apply, |r| r.as_ref().map_or(PARKED, encode));
    }
    with_world(|w| {
        let me = w.current;
        w.set_state(me, State::Runnable);
        w.enter_current();
        let r = apply(w, None);
        if let Ok(Some(v)) = &r {
            w.record(What::Syscall {
                call,
                args,
                result: encode(v),
            });
        }
        r
    })
}

/// Parks the running thread (its state is already set) until the scheduler resumes it.
pub(crate) fn park() {
    world::suspend(with_world(|w| w.current));
}
