//! The real backend's waits beyond `epoll_wait` (`epoll_pwait`, `epoll_pwait2`, `poll`,
//! `ppoll`, `clock_nanosleep`) and the flagged `pipe2`/`eventfd`: one `libc` call each, no
//! retry here (an `EINTR` is the caller's to see, as for every other call).

use super::linux::{cvt, errno};
use super::{EfdFlags, EpollEvent, Errno, Fd, PipeFlags, PollFd, SysResult};
use std::time::Duration;

/// A `timespec` for a timeout; seconds beyond `time_t` saturate (centuries: "forever").
fn timespec(d: Duration) -> libc::timespec {
    libc::timespec {
        tv_sec: libc::time_t::try_from(d.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_nsec: d.subsec_nanos() as _,
    }
}

fn max_events(events: &[EpollEvent]) -> libc::c_int {
    events.len().min(libc::c_int::MAX as usize) as libc::c_int
}

#[inline]
pub(super) fn epoll_pwait(
    epfd: Fd,
    events: &mut [EpollEvent],
    timeout_ms: i32,
) -> SysResult<usize> {
    // SAFETY: the buffer is valid for `max` layout-compatible epoll_events; a NULL sigmask
    // leaves the mask as it is.
    let ret = unsafe {
        libc::epoll_pwait(
            epfd.0,
            events.as_mut_ptr() as *mut libc::epoll_event,
            max_events(events),
            timeout_ms,
            std::ptr::null(),
        )
    };
    cvt(ret).map(|n| n as usize)
}

#[inline]
pub(super) fn epoll_pwait2(
    epfd: Fd,
    events: &mut [EpollEvent],
    timeout: Option<Duration>,
) -> SysResult<usize> {
    let ts = timeout.map(timespec);
    let ts_ptr = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: the buffer is valid for `max` epoll_events, `ts_ptr` is NULL or points at a
    // timespec alive for the call, the sigmask is NULL (its size then goes unread). Through
    // `syscall` because glibc wraps epoll_pwait2 only since 2.35.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_epoll_pwait2,
            epfd.0,
            events.as_mut_ptr() as *mut libc::epoll_event,
            max_events(events),
            ts_ptr,
            std::ptr::null::<libc::sigset_t>(),
            std::mem::size_of::<libc::sigset_t>(),
        )
    };
    if ret < 0 {
        return Err(errno());
    }
    Ok(ret as usize)
}

#[inline]
pub(super) fn poll(fds: &mut [PollFd], timeout_ms: i32) -> SysResult<usize> {
    // SAFETY: `PollFd` is layout-compatible with `struct pollfd` and the slice is valid for
    // its length.
    let ret = unsafe {
        libc::poll(
            fds.as_mut_ptr() as *mut libc::pollfd,
            fds.len() as libc::nfds_t,
            timeout_ms,
        )
    };
    cvt(ret).map(|n| n as usize)
}

#[inline]
pub(super) fn ppoll(fds: &mut [PollFd], timeout: Option<Duration>) -> SysResult<usize> {
    let ts = timeout.map(timespec);
    let ts_ptr = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: as `poll`; `ts_ptr` is NULL or valid for the call; a NULL sigmask.
    let ret = unsafe {
        libc::ppoll(
            fds.as_mut_ptr() as *mut libc::pollfd,
            fds.len() as libc::nfds_t,
            ts_ptr,
            std::ptr::null(),
        )
    };
    cvt(ret).map(|n| n as usize)
}

#[inline]
pub(super) fn nanosleep(duration: Duration) -> SysResult<()> {
    let ts = timespec(duration);
    // SAFETY: `ts` is valid for the call; no remainder is asked for (NULL).
    let ret = unsafe { libc::clock_nanosleep(libc::CLOCK_MONOTONIC, 0, &ts, std::ptr::null_mut()) };
    // clock_nanosleep returns the error number itself, not -1 with errno.
    match ret {
        0 => Ok(()),
        e => Err(Errno(e)),
    }
}

#[inline]
pub(super) fn pipe2_flags(flags: PipeFlags) -> SysResult<(Fd, Fd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: fds has room for two ints.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), flags.0) })?;
    Ok((Fd(fds[0]), Fd(fds[1])))
}

#[inline]
pub(super) fn eventfd_flags(initval: u32, flags: EfdFlags) -> SysResult<Fd> {
    // SAFETY: no pointers.
    cvt(unsafe { libc::eventfd(initval, flags.0) }).map(Fd)
}
