//! The real backend's Unix-domain socket calls and `sockaddr_un` conversions.

use super::linux::*;
use super::linux_addr::*;
use super::*;
use std::mem::{size_of, MaybeUninit};

/// The `sockaddr_un` for `addr` (checked by `UnixAddr::check`) and its length: the family and
/// the name's bytes, no trailing NUL (Linux terminates a path itself).
fn sockaddr_un_from(addr: &UnixAddr) -> SysResult<(libc::sockaddr_un, libc::socklen_t)> {
    addr.check()?;
    // SAFETY: sockaddr_un is plain old data; all-zero is valid.
    let mut sun: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let (bytes, at) = match addr {
        UnixAddr::Path(p) => (p.as_slice(), 0),
        UnixAddr::Abstract(a) => (a.as_slice(), 1),
        UnixAddr::Unnamed => unreachable!("check refuses Unnamed"),
    };
    for (i, &b) in bytes.iter().enumerate() {
        sun.sun_path[at + i] = b as libc::c_char;
    }
    Ok((sun, addr.sockaddr_len() as libc::socklen_t))
}

/// The `UnixAddr` in `storage` of `len` bytes: `Unnamed` for a family alone (or nothing),
/// `EAFNOSUPPORT` for another family.
fn unix_addr_to(storage: &libc::sockaddr_storage, len: libc::socklen_t) -> SysResult<UnixAddr> {
    let len = len as usize;
    if len <= size_of::<libc::sa_family_t>() {
        return if len == 0 || storage.ss_family as libc::c_int == libc::AF_UNIX {
            Ok(UnixAddr::Unnamed)
        } else {
            Err(Errno::EAFNOSUPPORT)
        };
    }
    if storage.ss_family as libc::c_int != libc::AF_UNIX {
        return Err(Errno::EAFNOSUPPORT);
    }
    // SAFETY: the family says the storage holds a sockaddr_un.
    let sun = unsafe { &*(storage as *const _ as *const libc::sockaddr_un) };
    let n = (len - size_of::<libc::sa_family_t>()).min(sun.sun_path.len());
    let path: Vec<u8> = sun.sun_path[..n].iter().map(|&c| c as u8).collect();
    Ok(if path[0] == 0 {
        UnixAddr::Abstract(path[1..].to_vec())
    } else {
        let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
        UnixAddr::Path(path[..end].to_vec())
    })
}

#[inline]
pub(super) fn bind_unix(fd: Fd, addr: &UnixAddr) -> SysResult<()> {
    let (sun, len) = sockaddr_un_from(addr)?;
    // SAFETY: sun lives across the call; len is at most its size.
    cvt(unsafe { libc::bind(fd.0, &sun as *const _ as *const libc::sockaddr, len) }).map(drop)
}

#[inline]
pub(super) fn connect_unix(fd: Fd, addr: &UnixAddr) -> SysResult<()> {
    let (sun, len) = sockaddr_un_from(addr)?;
    // SAFETY: as bind_unix.
    cvt(unsafe { libc::connect(fd.0, &sun as *const _ as *const libc::sockaddr, len) }).map(drop)
}

#[inline]
pub(super) fn accept4_unix(fd: Fd) -> SysResult<(Fd, UnixAddr)> {
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
    // An inet peer is no Unix name: reported Unnamed (the connection is kept).
    Ok((
        new,
        unix_addr_to(&storage, len).unwrap_or(UnixAddr::Unnamed),
    ))
}

#[inline]
pub(super) fn unix_name(fd: Fd, peer: bool) -> SysResult<UnixAddr> {
    let mut storage = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let get = if peer {
        libc::getpeername
    } else {
        libc::getsockname
    };
    // SAFETY: storage is writable for `len` bytes.
    cvt(unsafe { get(fd.0, storage.as_mut_ptr() as *mut libc::sockaddr, &mut len) })?;
    // SAFETY: zero-initialised, then filled by the kernel.
    let storage = unsafe { storage.assume_init() };
    if storage.ss_family as libc::c_int != libc::AF_UNIX {
        return Err(Errno::EAFNOSUPPORT);
    }
    unix_addr_to(&storage, len)
}

#[inline]
pub(super) fn socketpair(ty: SockType) -> SysResult<(Fd, Fd)> {
    let ty = match ty {
        SockType::Stream => libc::SOCK_STREAM,
        SockType::Dgram => libc::SOCK_DGRAM,
    };
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: fds is writable for two ints.
    cvt(unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    })?;
    Ok((Fd(fds[0]), Fd(fds[1])))
}

#[inline]
pub(super) fn sendto_unix(
    fd: Fd,
    buf: &[u8],
    flags: MsgFlags,
    addr: Option<&UnixAddr>,
) -> SysResult<usize> {
    let flags = flags.0 | libc::MSG_NOSIGNAL;
    let dst = addr.map(sockaddr_un_from).transpose()?;
    let (ptr, len) = match &dst {
        Some((sun, len)) => (sun as *const _ as *const libc::sockaddr, *len),
        None => (std::ptr::null(), 0),
    };
    // SAFETY: buf is readable for its length; the address, if any, lives across the call.
    cvt_size(unsafe {
        libc::sendto(
            fd.0,
            buf.as_ptr() as *const libc::c_void,
            buf.len(),
            flags,
            ptr,
            len,
        )
    })
}

#[inline]
pub(super) fn recvfrom_unix(
    fd: Fd,
    buf: &mut [u8],
    flags: MsgFlags,
) -> SysResult<(usize, UnixAddr)> {
    let (n, storage, len) = recvfrom_raw(fd, buf, flags)?;
    Ok((n, unix_addr_to(&storage, len)?))
}

#[inline]
pub(super) fn unlink(path: &[u8]) -> SysResult<()> {
    let path = std::ffi::CString::new(path).map_err(|_| Errno::EINVAL)?;
    // SAFETY: a NUL-terminated string that lives across the call.
    cvt(unsafe { libc::unlink(path.as_ptr()) }).map(drop)
}
