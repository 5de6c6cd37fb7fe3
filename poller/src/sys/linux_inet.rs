//! The real backend's inet socket calls (TCP and UDP), one `libc` call each (two where a
//! socket option or an address is read back).

use super::linux::*;
use super::linux_addr::*;
use super::*;
use std::mem::{size_of, MaybeUninit};
use std::net::SocketAddr;

#[inline]
pub(super) fn socket(domain: Domain, ty: SockType) -> SysResult<Fd> {
    let family = match domain {
        Domain::Inet => libc::AF_INET,
        Domain::Inet6 => libc::AF_INET6,
        Domain::Unix => libc::AF_UNIX,
    };
    let ty = match ty {
        SockType::Stream => libc::SOCK_STREAM,
        SockType::Dgram => libc::SOCK_DGRAM,
    };
    // SAFETY: no pointers.
    cvt(unsafe { libc::socket(family, ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0) }).map(Fd)
}

#[inline]
pub(super) fn setsockopt(fd: Fd, opt: SockOpt) -> SysResult<()> {
    match opt {
        SockOpt::ReuseAddr(on) => {
            setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, on as libc::c_int)
        }
        SockOpt::NoDelay(on) => {
            setsockopt_int(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, on as libc::c_int)
        }
        // `as`, not a checked conversion: std's `set_ttl` passes the `u32` so, and Linux's
        // answer to a value past `i32::MAX` (-1 restores the default) is part of the contract.
        SockOpt::Ttl(ttl) => setsockopt_int(fd, libc::IPPROTO_IP, libc::IP_TTL, ttl as libc::c_int),
        SockOpt::Broadcast(on) => {
            setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_BROADCAST, on as libc::c_int)
        }
        // `as` for the reason `Ttl` gives: std's `set_multicast_ttl_v4` passes the `u32` so.
        SockOpt::MulticastTtl(ttl) => setsockopt_int(
            fd,
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_TTL,
            ttl as libc::c_int,
        ),
        SockOpt::MulticastLoop(on) => setsockopt_int(
            fd,
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_LOOP,
            on as libc::c_int,
        ),
        SockOpt::Linger(secs) => {
            let linger = libc::linger {
                l_onoff: secs.is_some() as libc::c_int,
                l_linger: secs.unwrap_or(0).min(libc::c_int::MAX as u32) as libc::c_int,
            };
            // SAFETY: `linger` outlives the call; the length matches its type.
            let ret = unsafe {
                libc::setsockopt(
                    fd.0,
                    libc::SOL_SOCKET,
                    libc::SO_LINGER,
                    &linger as *const _ as *const libc::c_void,
                    size_of::<libc::linger>() as libc::socklen_t,
                )
            };
            cvt(ret).map(drop)
        }
    }
}

#[inline]
pub(super) fn bind(fd: Fd, addr: SocketAddr) -> SysResult<()> {
    let (storage, len) = sockaddr_from(&addr);
    // SAFETY: storage holds a valid sockaddr of `len` bytes.
    cvt(unsafe { libc::bind(fd.0, &storage as *const _ as *const libc::sockaddr, len) }).map(drop)
}

#[inline]
pub(super) fn listen(fd: Fd, backlog: i32) -> SysResult<()> {
    // SAFETY: no pointers.
    cvt(unsafe { libc::listen(fd.0, backlog) }).map(drop)
}

#[inline]
pub(super) fn accept4(fd: Fd) -> SysResult<(Fd, SocketAddr)> {
    let mut storage = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: storage is writable for `len` bytes; the kernel writes at most that.
    let ret = unsafe {
        libc::accept4(
            fd.0,
            storage.as_mut_ptr() as *mut libc::sockaddr,
            &mut len,
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    };
    let new = cvt(ret).map(Fd)?;
    // SAFETY: zero-initialised, then filled by the kernel.
    let storage = unsafe { storage.assume_init() };
    match sockaddr_to(&storage) {
        Ok(peer) => Ok((new, peer)),
        Err(e) => {
            // SAFETY: we own `new` and give it back rather than leak it.
            unsafe { libc::close(new.0) };
            Err(e)
        }
    }
}

#[inline]
pub(super) fn connect(fd: Fd, addr: SocketAddr) -> SysResult<()> {
    let (storage, len) = sockaddr_from(&addr);
    // SAFETY: storage holds a valid sockaddr of `len` bytes.
    cvt(unsafe { libc::connect(fd.0, &storage as *const _ as *const libc::sockaddr, len) })
        .map(drop)
}

#[inline]
pub(super) fn so_error(fd: Fd) -> SysResult<Option<Errno>> {
    let mut value: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: value is writable for `len` bytes.
    let ret = unsafe {
        libc::getsockopt(
            fd.0,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            &mut value as *mut _ as *mut libc::c_void,
            &mut len,
        )
    };
    cvt(ret)?;
    Ok((value != 0).then_some(Errno(value)))
}

#[inline]
pub(super) fn getsockname(fd: Fd) -> SysResult<SocketAddr> {
    let mut storage = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: storage is writable for `len` bytes.
    cvt(unsafe { libc::getsockname(fd.0, storage.as_mut_ptr() as *mut libc::sockaddr, &mut len) })?;
    // SAFETY: zero-initialised, then filled by the kernel.
    sockaddr_to(&unsafe { storage.assume_init() })
}

#[inline]
pub(super) fn getpeername(fd: Fd) -> SysResult<SocketAddr> {
    let mut storage = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: storage is writable for `len` bytes.
    cvt(unsafe { libc::getpeername(fd.0, storage.as_mut_ptr() as *mut libc::sockaddr, &mut len) })?;
    // SAFETY: zero-initialised, then filled by the kernel.
    sockaddr_to(&unsafe { storage.assume_init() })
}

#[inline]
pub(super) fn getsockopt(fd: Fd, opt: SockOptGet) -> SysResult<i32> {
    let (level, name) = match opt {
        SockOptGet::SndBuf => (libc::SOL_SOCKET, libc::SO_SNDBUF),
        SockOptGet::RcvBuf => (libc::SOL_SOCKET, libc::SO_RCVBUF),
        SockOptGet::Type => (libc::SOL_SOCKET, libc::SO_TYPE),
        SockOptGet::Error => (libc::SOL_SOCKET, libc::SO_ERROR),
        SockOptGet::NoDelay => (libc::IPPROTO_TCP, libc::TCP_NODELAY),
        SockOptGet::Ttl => (libc::IPPROTO_IP, libc::IP_TTL),
        SockOptGet::Broadcast => (libc::SOL_SOCKET, libc::SO_BROADCAST),
        SockOptGet::MulticastTtl => (libc::IPPROTO_IP, libc::IP_MULTICAST_TTL),
        SockOptGet::MulticastLoop => (libc::IPPROTO_IP, libc::IP_MULTICAST_LOOP),
    };
    let mut value: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: value is writable for `len` bytes.
    let ret = unsafe {
        libc::getsockopt(
            fd.0,
            level,
            name,
            &mut value as *mut _ as *mut libc::c_void,
            &mut len,
        )
    };
    cvt(ret)?;
    Ok(value)
}

#[inline]
pub(super) fn shutdown(fd: Fd, how: Shutdown) -> SysResult<()> {
    let how = match how {
        Shutdown::Read => libc::SHUT_RD,
        Shutdown::Write => libc::SHUT_WR,
        Shutdown::Both => libc::SHUT_RDWR,
    };
    // SAFETY: no pointers.
    cvt(unsafe { libc::shutdown(fd.0, how) }).map(drop)
}

#[inline]
pub(super) fn sendto(
    fd: Fd,
    buf: &[u8],
    flags: MsgFlags,
    addr: Option<SocketAddr>,
) -> SysResult<usize> {
    let flags = (flags | MsgFlags::NOSIGNAL).0;
    let ret = match addr {
        // SAFETY: buf is readable for its length.
        None => unsafe { libc::send(fd.0, buf.as_ptr() as *const libc::c_void, buf.len(), flags) },
        Some(addr) => {
            let (storage, len) = sockaddr_from(&addr);
            // SAFETY: buf is readable for its length; storage holds a sockaddr of `len`.
            unsafe {
                libc::sendto(
                    fd.0,
                    buf.as_ptr() as *const libc::c_void,
                    buf.len(),
                    flags,
                    &storage as *const _ as *const libc::sockaddr,
                    len,
                )
            }
        }
    };
    cvt_size(ret)
}

#[inline]
pub(super) fn recvfrom(
    fd: Fd,
    buf: &mut [u8],
    flags: MsgFlags,
) -> SysResult<(usize, Option<SocketAddr>)> {
    // The length is not consulted: Linux copies an address (whose family is never 0) exactly
    // when it reports a nonzero length, and a stream socket reports 0 and copies nothing, so
    // the zeroed storage's family 0 alone says "no sender". (Testing both was one condition
    // twice: its `&&` made `||` was a mutant no test could tell apart.)
    let (n, storage, _len) = recvfrom_raw(fd, buf, flags)?;
    let from = (storage.ss_family != 0).then(|| sockaddr_to(&storage));
    Ok((n, from.transpose()?))
}
