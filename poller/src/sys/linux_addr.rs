//! The real backend's socket addresses and options as `libc` takes them: `sockaddr_storage`
//! to and from `SocketAddr`, `recvfrom` into a storage, an `int` `setsockopt`.

use super::linux::*;
use super::*;
use std::mem::{size_of, MaybeUninit};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// `recvfrom` into `buf`, the sender's address in a zeroed `sockaddr_storage` of `len` bytes
/// (left zero, length 0, when the socket reports none): the raw call both families share.
pub(super) fn recvfrom_raw(
    fd: Fd,
    buf: &mut [u8],
    flags: MsgFlags,
) -> SysResult<(usize, libc::sockaddr_storage, libc::socklen_t)> {
    let mut storage = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: buf is writable for its length; storage for `len` bytes.
    let n = cvt_size(unsafe {
        libc::recvfrom(
            fd.0,
            buf.as_mut_ptr() as *mut libc::c_void,
            buf.len(),
            flags.0,
            storage.as_mut_ptr() as *mut libc::sockaddr,
            &mut len,
        )
    })?;
    // SAFETY: zero-initialised, then filled by the kernel (or left zero).
    Ok((n, unsafe { storage.assume_init() }, len))
}

pub(super) fn sockaddr_from(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain old data; all-zero is a valid (unspecified) address.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is large and aligned enough for any sockaddr.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in, sin) };
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: as above.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in6, sin6) };
            size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

pub(super) fn sockaddr_to(storage: &libc::sockaddr_storage) -> SysResult<SocketAddr> {
    match storage.ss_family as libc::c_int {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let sin = unsafe { &*(storage as *const _ as *const libc::sockaddr_in) };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Ok(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let sin6 = unsafe { &*(storage as *const _ as *const libc::sockaddr_in6) };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            let port = u16::from_be(sin6.sin6_port);
            Ok(SocketAddr::V6(SocketAddrV6::new(
                ip,
                port,
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => Err(Errno::EAFNOSUPPORT),
    }
}

pub(super) fn setsockopt_int(
    fd: Fd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> SysResult<()> {
    // SAFETY: value outlives the call; the length matches its type.
    let ret = unsafe {
        libc::setsockopt(
            fd.0,
            level,
            name,
            &value as *const _ as *const libc::c_void,
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    cvt(ret).map(drop)
}
