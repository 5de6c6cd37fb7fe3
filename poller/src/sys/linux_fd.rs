//! The real backend's fd calls beyond `linux.rs`: `dup3`, `dup2`, `fcntl`, `ioctl(FIONREAD)`,
//! one `libc` call each. `LinuxSys`'s trait methods call these; nothing is retried here.

use super::linux::{cvt, errno};
use super::{Dup3Flags, Fcntl, Fd, SysResult};

#[inline]
pub(super) fn dup3(fd: Fd, newfd: Fd, flags: Dup3Flags) -> SysResult<Fd> {
    // SAFETY: no pointers. Replacing `newfd` is the caller's intent.
    cvt(unsafe { libc::dup3(fd.0, newfd.0, flags.0) }).map(Fd)
}

#[inline]
pub(super) fn dup2(fd: Fd, newfd: Fd) -> SysResult<Fd> {
    // SAFETY: no pointers. Replacing `newfd` is the caller's intent.
    cvt(unsafe { libc::dup2(fd.0, newfd.0) }).map(Fd)
}

#[inline]
pub(super) fn fcntl(fd: Fd, cmd: Fcntl) -> SysResult<i32> {
    let (cmd, arg) = cmd.raw();
    // SAFETY: the four commands take an int (or nothing) and no pointer.
    cvt(unsafe { libc::fcntl(fd.0, cmd, arg) })
}

#[inline]
pub(super) fn fionread(fd: Fd) -> SysResult<i32> {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int to the pointer, which is valid for the call.
    let ret = unsafe { libc::ioctl(fd.0, libc::FIONREAD, &mut n as *mut libc::c_int) };
    if ret < 0 {
        return Err(errno());
    }
    Ok(n)
}
