//! `SimSys`'s inet socket calls: TCP and UDP on loopback, each one step (`super::syscall`).

use super::*;

pub(super) fn socket(domain: Domain, ty: SockType) -> SysResult<Fd> {
    // A stream socket's args are what they were before datagrams (trace hashes hold).
    syscall(
        Call::Socket,
        [domain as i64, ty as i64, 0],
        |w, _| w.kernel.socket(domain, ty),
        fd_result,
    )
}

pub(super) fn setsockopt(fd: Fd, opt: SockOpt) -> SysResult<()> {
    // The options added later name themselves in the third word, so the older ones' words
    // (and every trace hash that holds them) stay as they were.
    let (code, kind) = match opt {
        SockOpt::ReuseAddr(on) => (on as i64, 0),
        SockOpt::NoDelay(on) => (2 + on as i64, 0),
        SockOpt::Linger(s) => (4 + s.map(|s| 1 + s as i64).unwrap_or(0), 0),
        SockOpt::Ttl(ttl) => (ttl as i64, 1),
        SockOpt::Broadcast(on) => (on as i64, 2),
        SockOpt::MulticastTtl(ttl) => (ttl as i64, 3),
        SockOpt::MulticastLoop(on) => (on as i64, 4),
    };
    syscall(
        Call::Setsockopt,
        [fd.0 as i64, code, kind],
        |w, _| w.kernel.setsockopt(fd, opt),
        unit,
    )
}

pub(super) fn bind(fd: Fd, addr: SocketAddr) -> SysResult<()> {
    syscall(
        Call::Bind,
        [fd.0 as i64, addr_word(&addr), 0],
        |w, _| w.kernel.bind(fd, addr),
        unit,
    )
}

pub(super) fn listen(fd: Fd, backlog: i32) -> SysResult<()> {
    syscall(
        Call::Listen,
        [fd.0 as i64, backlog as i64, 0],
        |w, _| w.kernel.listen(fd, backlog),
        unit,
    )
}

pub(super) fn accept4(fd: Fd) -> SysResult<(Fd, SocketAddr)> {
    blocking::take(
        Call::Accept4,
        [fd.0 as i64, 0, 0],
        fd,
        EPOLLIN,
        MsgFlags::EMPTY,
        |(fd, _)| fd.0 as i64,
        |w, _| w.kernel.accept4(fd),
    )
}

pub(super) fn connect(fd: Fd, addr: SocketAddr) -> SysResult<()> {
    blocking::connect([fd.0 as i64, addr_word(&addr), 0], fd, |w| {
        let now = w.now_ns;
        w.kernel.connect(fd, addr, now, &mut w.decisions)
    })
}

pub(super) fn so_error(fd: Fd) -> SysResult<Option<Errno>> {
    syscall(
        Call::SoError,
        [fd.0 as i64, 0, 0],
        |w, _| w.kernel.so_error(fd),
        |e| e.map_or(0, |e| e.0 as i64),
    )
}

pub(super) fn getsockname(fd: Fd) -> SysResult<SocketAddr> {
    syscall(
        Call::Getsockname,
        [fd.0 as i64, 0, 0],
        |w, _| w.kernel.getsockname(fd),
        addr_word,
    )
}

pub(super) fn getpeername(fd: Fd) -> SysResult<SocketAddr> {
    syscall(
        Call::Getpeername,
        [fd.0 as i64, 0, 0],
        |w, _| w.kernel.getpeername(fd),
        addr_word,
    )
}

pub(super) fn getsockopt(fd: Fd, opt: SockOptGet) -> SysResult<i32> {
    syscall(
        Call::Getsockopt,
        [fd.0 as i64, opt as i64, 0],
        |w, _| w.kernel.getsockopt(fd, opt),
        |&v| v as i64,
    )
}

pub(super) fn sendto(
    fd: Fd,
    buf: &[u8],
    flags: MsgFlags,
    addr: Option<SocketAddr>,
) -> SysResult<usize> {
    let args = [
        fd.0 as i64,
        ((flags.0 as i64) << 32) | buf.len() as i64,
        addr.as_ref().map_or(-1, addr_word),
    ];
    blocking::put(
        Call::Sendto,
        args,
        fd,
        buf.len(),
        flags,
        |w, fault, done| {
            let now = w.now_ns;
            let buf = &buf[done..];
            let len = match fault {
                Some(Fault::Reset) => {
                    w.kernel.reset_connection(fd, now, &mut w.decisions);
                    buf.len()
                }
                Some(Fault::Short) => shortened(w, fd, buf.len()),
                _ => buf.len(),
            };
            w.kernel
                .sendto(fd, &buf[..len], flags, addr, now, &mut w.decisions)
        },
    )
}

pub(super) fn recvfrom(
    fd: Fd,
    buf: &mut [u8],
    flags: MsgFlags,
) -> SysResult<(usize, Option<SocketAddr>)> {
    blocking::take(
        Call::Recvfrom,
        [fd.0 as i64, buf.len() as i64, flags.0 as i64],
        fd,
        EPOLLIN,
        flags,
        |(n, _)| *n as i64,
        |w, fault| {
            let now = w.now_ns;
            if fault == Some(Fault::Reset) {
                w.kernel.reset_connection(fd, now, &mut w.decisions);
            }
            w.kernel.recvfrom(fd, buf, flags, now, &mut w.decisions)
        },
    )
}

pub(super) fn shutdown(fd: Fd, how: Shutdown) -> SysResult<()> {
    syscall(
        Call::Shutdown,
        [fd.0 as i64, how as i64, 0],
        |w, _| {
            let now = w.now_ns;
            w.kernel.shutdown(fd, how, now, &mut w.decisions)
        },
        unit,
    )
}
