//! `SimSys`'s Unix-domain socket calls, each one step (`super::syscall`).

use super::*;

pub(super) fn bind_unix(fd: Fd, addr: &UnixAddr) -> SysResult<()> {
    syscall(
        Call::BindUnix,
        [fd.0 as i64, unix_addr_word(addr), 0],
        |w, _| w.kernel.bind_unix(fd, addr),
        unit,
    )
}

pub(super) fn connect_unix(fd: Fd, addr: &UnixAddr) -> SysResult<()> {
    blocking::answered_without_waiting(
        Call::ConnectUnix,
        [fd.0 as i64, unix_addr_word(addr), 0],
        fd,
        unit,
        |w| w.kernel.connect_unix(fd, addr),
    )
}

pub(super) fn accept4_unix(fd: Fd) -> SysResult<(Fd, UnixAddr)> {
    blocking::take(
        Call::Accept4Unix,
        [fd.0 as i64, 0, 0],
        fd,
        EPOLLIN,
        MsgFlags::EMPTY,
        |(fd, _)| fd.0 as i64,
        |w, _| w.kernel.accept4_unix(fd),
    )
}

pub(super) fn unix_name(fd: Fd, peer: bool) -> SysResult<UnixAddr> {
    syscall(
        Call::UnixName,
        [fd.0 as i64, peer as i64, 0],
        |w, _| w.kernel.unix_name(fd, peer),
        unix_addr_word,
    )
}

pub(super) fn socketpair(ty: SockType) -> SysResult<(Fd, Fd)> {
    syscall(
        Call::Socketpair,
        [ty as i64, 0, 0],
        |w, _| w.kernel.socketpair(ty),
        |(a, b)| ((a.0 as i64) << 32) | b.0 as i64,
    )
}

pub(super) fn sendto_unix(
    fd: Fd,
    buf: &[u8],
    flags: MsgFlags,
    addr: Option<&UnixAddr>,
) -> SysResult<usize> {
    let args = [
        fd.0 as i64,
        ((flags.0 as i64) << 32) | buf.len() as i64,
        addr.map_or(-1, unix_addr_word),
    ];
    blocking::put(
        Call::SendtoUnix,
        args,
        fd,
        buf.len(),
        flags,
        |w, fault, done| {
            let now = w.now_ns;
            let buf = &buf[done..];
            let len = match fault {
                Some(Fault::Short) => shortened(w, fd, buf.len()),
                _ => buf.len(),
            };
            w.kernel
                .sendto_unix(fd, &buf[..len], flags, addr, now, &mut w.decisions)
        },
    )
}

pub(super) fn recvfrom_unix(
    fd: Fd,
    buf: &mut [u8],
    flags: MsgFlags,
) -> SysResult<(usize, UnixAddr)> {
    blocking::take(
        Call::RecvfromUnix,
        [fd.0 as i64, buf.len() as i64, flags.0 as i64],
        fd,
        EPOLLIN,
        flags,
        |(n, _)| *n as i64,
        |w, _| {
            let now = w.now_ns;
            w.kernel
                .recvfrom_unix(fd, buf, flags, now, &mut w.decisions)
        },
    )
}

pub(super) fn unlink(path: &[u8]) -> SysResult<()> {
    let word = unix_addr_word(&UnixAddr::Path(path.to_vec()));
    syscall(
        Call::Unlink,
        [word, 0, 0],
        |w, _| w.kernel.unlink(path),
        unit,
    )
}
