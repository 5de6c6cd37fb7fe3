//! `SimSys`'s fd calls: `dup`/`dup2`/`dup3`, `fcntl`, `ioctl(FIONREAD)`, and the files made
//! without a socket (`pipe2`, `eventfd`, with or without flags).

use super::*;

pub(super) fn dup(fd: Fd) -> SysResult<Fd> {
    syscall(
        Call::Dup,
        [fd.0 as i64, 0, 0],
        |w, _| w.kernel.dup(fd),
        fd_result,
    )
}

pub(super) fn dup3(fd: Fd, newfd: Fd, flags: Dup3Flags) -> SysResult<Fd> {
    syscall(
        Call::Dup3,
        [fd.0 as i64, newfd.0 as i64, flags.0 as i64],
        |w, _| {
            let now = w.now_ns;
            w.kernel.dup3(fd, newfd, flags, now, &mut w.decisions)
        },
        fd_result,
    )
}

pub(super) fn dup2(fd: Fd, newfd: Fd) -> SysResult<Fd> {
    syscall(
        Call::Dup2,
        [fd.0 as i64, newfd.0 as i64, 0],
        |w, _| {
            let now = w.now_ns;
            w.kernel.dup2(fd, newfd, now, &mut w.decisions)
        },
        fd_result,
    )
}

pub(super) fn fcntl(fd: Fd, cmd: Fcntl) -> SysResult<i32> {
    let (c, arg) = cmd.raw();
    syscall(
        Call::Fcntl,
        [fd.0 as i64, c as i64, arg as i64],
        |w, _| w.kernel.fcntl(fd, cmd),
        |&v| v as i64,
    )
}

pub(super) fn fionread(fd: Fd) -> SysResult<i32> {
    syscall(
        Call::Ioctl,
        [fd.0 as i64, 0x541b, 0], // FIONREAD
        |w, _| w.kernel.fionread(fd),
        |&v| v as i64,
    )
}

pub(super) fn pipe2() -> SysResult<(Fd, Fd)> {
    syscall(
        Call::Pipe2,
        [0; 3],
        |w, _| w.kernel.pipe2(),
        |(r, wr)| ((r.0 as i64) << 32) | wr.0 as i64,
    )
}

pub(super) fn eventfd(initval: u32, semaphore: bool) -> SysResult<Fd> {
    syscall(
        Call::Eventfd,
        [initval as i64, semaphore as i64, 0],
        |w, _| w.kernel.eventfd(initval, semaphore),
        fd_result,
    )
}

pub(super) fn pipe2_flags(flags: PipeFlags) -> SysResult<(Fd, Fd)> {
    // The flags as they differ from `pipe2()`'s: its trace words stay what they were.
    syscall(
        Call::Pipe2,
        [0, (flags.0 ^ PipeFlags::DEFAULT.0) as i64, 0],
        |w, _| w.kernel.pipe2_flags(flags),
        |(r, wr)| ((r.0 as i64) << 32) | wr.0 as i64,
    )
}

pub(super) fn eventfd_flags(initval: u32, flags: EfdFlags) -> SysResult<Fd> {
    let semaphore = flags.contains(EfdFlags::SEMAPHORE);
    let beyond = (flags.0 & !EfdFlags::SEMAPHORE.0) ^ EfdFlags::DEFAULT.0;
    syscall(
        Call::Eventfd,
        [initval as i64, semaphore as i64, beyond as i64],
        |w, _| w.kernel.eventfd_flags(initval, flags),
        fd_result,
    )
}
