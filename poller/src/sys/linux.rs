//! `LinuxSys`: the real backend, one `libc` call per trait method.
//!
//! This file and `linux_fd` (the fd calls `dup3`, `dup2`, `fcntl`, `ioctl(FIONREAD)`, kept
//! apart to keep this one small) are the only files in the poller that call `libc`. Each method is a thin, inlined
//! wrapper: the errno is read right after the call and returned raw; nothing is retried here
//! (retry policy lives in `crate::errno_policy`, named once). `sched_point` and `probe` are
//! empty and vanish after inlining.

use super::{
    Domain, Dup3Flags, EfdFlags, EpollEvent, EpollOp, Errno, Fcntl, Fd, MsgFlags, PipeFlags,
    PollFd, Probe, Shutdown, SockOpt, SockOptGet, SockType, Sys, SysResult, UnixAddr,
};
use std::io::IoSlice;
use std::mem::{size_of, MaybeUninit};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::time::Duration;

// The caller's `EpollEvent` buffer is handed straight to the kernel.
const _: () = assert!(size_of::<EpollEvent>() == size_of::<libc::epoll_event>());
const _: () =
    assert!(std::mem::align_of::<EpollEvent>() == std::mem::align_of::<libc::epoll_event>());
// `writev` takes the caller's `IoSlice`s as `iovec`s (std guarantees the layout on unix).
const _: () = assert!(size_of::<IoSlice<'static>>() == size_of::<libc::iovec>());

/// The real Linux kernel.
#[derive(Copy, Clone, Debug, Default)]
pub struct LinuxSys;

#[inline]
pub(super) fn errno() -> Errno {
    Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

#[inline]
pub(super) fn cvt(ret: libc::c_int) -> SysResult<libc::c_int> {
    if ret < 0 {
        Err(errno())
    } else {
        Ok(ret)
    }
}

#[inline]
fn cvt_size(ret: libc::ssize_t) -> SysResult<usize> {
    if ret < 0 {
        Err(errno())
    } else {
        Ok(ret as usize)
    }
}

/// `recvfrom` into `buf`, the sender's address in a zeroed `sockaddr_storage` of `len` bytes
/// (left zero, length 0, when the socket reports none): the raw call both families share.
fn recvfrom_raw(
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

fn sockaddr_from(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
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

fn sockaddr_to(storage: &libc::sockaddr_storage) -> SysResult<SocketAddr> {
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

fn setsockopt_int(
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

impl Sys for LinuxSys {
    type Thread = std::thread::JoinHandle<()>;

    #[inline]
    fn epoll_create(&self) -> SysResult<Fd> {
        // SAFETY: no pointers.
        cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) }).map(Fd)
    }

    #[inline]
    fn epoll_ctl(&self, epfd: Fd, op: EpollOp, fd: Fd, event: Option<EpollEvent>) -> SysResult<()> {
        let op = match op {
            EpollOp::Add => libc::EPOLL_CTL_ADD,
            EpollOp::Mod => libc::EPOLL_CTL_MOD,
            EpollOp::Del => libc::EPOLL_CTL_DEL,
        };
        let mut ev = event.unwrap_or_default();
        // DEL without an event passes NULL, as mio and libuv do (allowed since 2.6.9); ADD and
        // MOD without one pass the all-zero event, as the simulated kernel takes `None`.
        let ptr = if op == libc::EPOLL_CTL_DEL && event.is_none() {
            std::ptr::null_mut()
        } else {
            &mut ev as *mut EpollEvent as *mut libc::epoll_event
        };
        // SAFETY: EpollEvent is layout-compatible with epoll_event (asserted above); `ev` lives
        // across the call, and the kernel reads no event for DEL.
        let ret = unsafe { libc::epoll_ctl(epfd.0, op, fd.0, ptr) };
        cvt(ret).map(drop)
    }

    #[inline]
    fn epoll_wait(&self, epfd: Fd, events: &mut [EpollEvent], timeout_ms: i32) -> SysResult<usize> {
        let max = events.len().min(libc::c_int::MAX as usize) as libc::c_int;
        // SAFETY: the buffer is valid for `max` layout-compatible epoll_events.
        let ret = unsafe {
            libc::epoll_wait(
                epfd.0,
                events.as_mut_ptr() as *mut libc::epoll_event,
                max,
                timeout_ms,
            )
        };
        cvt(ret).map(|n| n as usize)
    }

    #[inline]
    fn epoll_pwait(
        &self,
        epfd: Fd,
        events: &mut [EpollEvent],
        timeout_ms: i32,
    ) -> SysResult<usize> {
        super::linux_wait::epoll_pwait(epfd, events, timeout_ms)
    }

    #[inline]
    fn epoll_pwait2(
        &self,
        epfd: Fd,
        events: &mut [EpollEvent],
        timeout: Option<Duration>,
    ) -> SysResult<usize> {
        super::linux_wait::epoll_pwait2(epfd, events, timeout)
    }

    #[inline]
    fn poll(&self, fds: &mut [PollFd], timeout_ms: i32) -> SysResult<usize> {
        super::linux_wait::poll(fds, timeout_ms)
    }

    #[inline]
    fn ppoll(&self, fds: &mut [PollFd], timeout: Option<Duration>) -> SysResult<usize> {
        super::linux_wait::ppoll(fds, timeout)
    }

    #[inline]
    fn nanosleep(&self, duration: Duration) -> SysResult<()> {
        super::linux_wait::nanosleep(duration)
    }

    #[inline]
    fn socket(&self, domain: Domain, ty: SockType) -> SysResult<Fd> {
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
        cvt(unsafe { libc::socket(family, ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0) })
            .map(Fd)
    }

    fn setsockopt(&self, fd: Fd, opt: SockOpt) -> SysResult<()> {
        match opt {
            SockOpt::ReuseAddr(on) => {
                setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, on as libc::c_int)
            }
            SockOpt::NoDelay(on) => {
                setsockopt_int(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, on as libc::c_int)
            }
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

    fn bind(&self, fd: Fd, addr: SocketAddr) -> SysResult<()> {
        let (storage, len) = sockaddr_from(&addr);
        // SAFETY: storage holds a valid sockaddr of `len` bytes.
        cvt(unsafe { libc::bind(fd.0, &storage as *const _ as *const libc::sockaddr, len) })
            .map(drop)
    }

    fn listen(&self, fd: Fd, backlog: i32) -> SysResult<()> {
        // SAFETY: no pointers.
        cvt(unsafe { libc::listen(fd.0, backlog) }).map(drop)
    }

    #[inline]
    fn accept4(&self, fd: Fd) -> SysResult<(Fd, SocketAddr)> {
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

    fn connect(&self, fd: Fd, addr: SocketAddr) -> SysResult<()> {
        let (storage, len) = sockaddr_from(&addr);
        // SAFETY: storage holds a valid sockaddr of `len` bytes.
        cvt(unsafe { libc::connect(fd.0, &storage as *const _ as *const libc::sockaddr, len) })
            .map(drop)
    }

    fn so_error(&self, fd: Fd) -> SysResult<Option<Errno>> {
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

    fn getsockname(&self, fd: Fd) -> SysResult<SocketAddr> {
        let mut storage = MaybeUninit::<libc::sockaddr_storage>::zeroed();
        let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: storage is writable for `len` bytes.
        cvt(unsafe {
            libc::getsockname(fd.0, storage.as_mut_ptr() as *mut libc::sockaddr, &mut len)
        })?;
        // SAFETY: zero-initialised, then filled by the kernel.
        sockaddr_to(&unsafe { storage.assume_init() })
    }

    fn getpeername(&self, fd: Fd) -> SysResult<SocketAddr> {
        let mut storage = MaybeUninit::<libc::sockaddr_storage>::zeroed();
        let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: storage is writable for `len` bytes.
        cvt(unsafe {
            libc::getpeername(fd.0, storage.as_mut_ptr() as *mut libc::sockaddr, &mut len)
        })?;
        // SAFETY: zero-initialised, then filled by the kernel.
        sockaddr_to(&unsafe { storage.assume_init() })
    }

    fn getsockopt(&self, fd: Fd, opt: SockOptGet) -> SysResult<i32> {
        let (level, name) = match opt {
            SockOptGet::SndBuf => (libc::SOL_SOCKET, libc::SO_SNDBUF),
            SockOptGet::RcvBuf => (libc::SOL_SOCKET, libc::SO_RCVBUF),
            SockOptGet::Type => (libc::SOL_SOCKET, libc::SO_TYPE),
            SockOptGet::Error => (libc::SOL_SOCKET, libc::SO_ERROR),
            SockOptGet::NoDelay => (libc::IPPROTO_TCP, libc::TCP_NODELAY),
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

    fn shutdown(&self, fd: Fd, how: Shutdown) -> SysResult<()> {
        let how = match how {
            Shutdown::Read => libc::SHUT_RD,
            Shutdown::Write => libc::SHUT_WR,
            Shutdown::Both => libc::SHUT_RDWR,
        };
        // SAFETY: no pointers.
        cvt(unsafe { libc::shutdown(fd.0, how) }).map(drop)
    }

    #[inline]
    fn read(&self, fd: Fd, buf: &mut [u8]) -> SysResult<usize> {
        // SAFETY: buf is writable for its length.
        cvt_size(unsafe { libc::read(fd.0, buf.as_mut_ptr() as *mut libc::c_void, buf.len()) })
    }

    #[inline]
    fn write(&self, fd: Fd, buf: &[u8]) -> SysResult<usize> {
        // `send(MSG_NOSIGNAL)` on sockets so a dead peer is EPIPE, not a process-killing SIGPIPE;
        // pipes and eventfds are not sockets and take plain `write`.
        // SAFETY: buf is readable for its length.
        let ret = unsafe {
            libc::send(
                fd.0,
                buf.as_ptr() as *const libc::c_void,
                buf.len(),
                libc::MSG_NOSIGNAL,
            )
        };
        if ret < 0 && errno() == Errno::ENOTSOCK {
            // SAFETY: as above.
            return cvt_size(unsafe {
                libc::write(fd.0, buf.as_ptr() as *const libc::c_void, buf.len())
            });
        }
        cvt_size(ret)
    }

    #[inline]
    fn writev(&self, fd: Fd, bufs: &[IoSlice<'_>]) -> SysResult<usize> {
        // SAFETY: all-zero msghdr is valid; IoSlice is layout-compatible with iovec (asserted).
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
        msg.msg_iovlen = bufs.len().min(libc::UIO_MAXIOV as usize) as _;
        // SAFETY: msg points at the caller's iovecs, valid for the call.
        let ret = unsafe { libc::sendmsg(fd.0, &msg, libc::MSG_NOSIGNAL) };
        if ret < 0 && errno() == Errno::ENOTSOCK {
            let count = bufs.len().min(libc::UIO_MAXIOV as usize) as libc::c_int;
            // SAFETY: as above.
            return cvt_size(unsafe {
                libc::writev(fd.0, bufs.as_ptr() as *const libc::iovec, count)
            });
        }
        cvt_size(ret)
    }

    #[inline]
    fn sendto(
        &self,
        fd: Fd,
        buf: &[u8],
        flags: MsgFlags,
        addr: Option<SocketAddr>,
    ) -> SysResult<usize> {
        let flags = (flags | MsgFlags::NOSIGNAL).0;
        let ret = match addr {
            // SAFETY: buf is readable for its length.
            None => unsafe {
                libc::send(fd.0, buf.as_ptr() as *const libc::c_void, buf.len(), flags)
            },
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
    fn recvfrom(
        &self,
        fd: Fd,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> SysResult<(usize, Option<SocketAddr>)> {
        let (n, storage, len) = recvfrom_raw(fd, buf, flags)?;
        // A stream socket writes no address: family 0 reads as `None`.
        let from = (len > 0 && storage.ss_family != 0).then(|| sockaddr_to(&storage));
        Ok((n, from.transpose()?))
    }

    fn bind_unix(&self, fd: Fd, addr: &UnixAddr) -> SysResult<()> {
        let (sun, len) = sockaddr_un_from(addr)?;
        // SAFETY: sun lives across the call; len is at most its size.
        cvt(unsafe { libc::bind(fd.0, &sun as *const _ as *const libc::sockaddr, len) }).map(drop)
    }

    fn connect_unix(&self, fd: Fd, addr: &UnixAddr) -> SysResult<()> {
        let (sun, len) = sockaddr_un_from(addr)?;
        // SAFETY: as bind_unix.
        cvt(unsafe { libc::connect(fd.0, &sun as *const _ as *const libc::sockaddr, len) })
            .map(drop)
    }

    fn accept4_unix(&self, fd: Fd) -> SysResult<(Fd, UnixAddr)> {
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

    fn unix_name(&self, fd: Fd, peer: bool) -> SysResult<UnixAddr> {
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

    fn socketpair(&self, ty: SockType) -> SysResult<(Fd, Fd)> {
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

    fn sendto_unix(
        &self,
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

    fn recvfrom_unix(
        &self,
        fd: Fd,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> SysResult<(usize, UnixAddr)> {
        let (n, storage, len) = recvfrom_raw(fd, buf, flags)?;
        Ok((n, unix_addr_to(&storage, len)?))
    }

    fn unlink(&self, path: &[u8]) -> SysResult<()> {
        let path = std::ffi::CString::new(path).map_err(|_| Errno::EINVAL)?;
        // SAFETY: a NUL-terminated string that lives across the call.
        cvt(unsafe { libc::unlink(path.as_ptr()) }).map(drop)
    }

    #[inline]
    fn close(&self, fd: Fd) -> SysResult<()> {
        // SAFETY: closing an integer; the caller owns it.
        cvt(unsafe { libc::close(fd.0) }).map(drop)
    }

    fn dup(&self, fd: Fd) -> SysResult<Fd> {
        // F_DUPFD_CLOEXEC keeps the close-on-exec convention; lowest free fd >= 0, like dup.
        // SAFETY: no pointers.
        cvt(unsafe { libc::fcntl(fd.0, libc::F_DUPFD_CLOEXEC, 0) }).map(Fd)
    }

    fn dup3(&self, fd: Fd, newfd: Fd, flags: Dup3Flags) -> SysResult<Fd> {
        super::linux_fd::dup3(fd, newfd, flags)
    }

    fn dup2(&self, fd: Fd, newfd: Fd) -> SysResult<Fd> {
        super::linux_fd::dup2(fd, newfd)
    }

    fn fcntl(&self, fd: Fd, cmd: Fcntl) -> SysResult<i32> {
        super::linux_fd::fcntl(fd, cmd)
    }

    fn fionread(&self, fd: Fd) -> SysResult<i32> {
        super::linux_fd::fionread(fd)
    }

    fn pipe2(&self) -> SysResult<(Fd, Fd)> {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: fds has room for two ints.
        cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) })?;
        Ok((Fd(fds[0]), Fd(fds[1])))
    }

    fn eventfd(&self, initval: u32, semaphore: bool) -> SysResult<Fd> {
        let mut flags = libc::EFD_NONBLOCK | libc::EFD_CLOEXEC;
        if semaphore {
            flags |= libc::EFD_SEMAPHORE;
        }
        // SAFETY: no pointers.
        cvt(unsafe { libc::eventfd(initval, flags) }).map(Fd)
    }

    #[inline]
    fn pipe2_flags(&self, flags: PipeFlags) -> SysResult<(Fd, Fd)> {
        super::linux_wait::pipe2_flags(flags)
    }

    #[inline]
    fn eventfd_flags(&self, initval: u32, flags: EfdFlags) -> SysResult<Fd> {
        super::linux_wait::eventfd_flags(initval, flags)
    }

    #[inline]
    fn monotonic_now(&self) -> Duration {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: ts is writable. CLOCK_MONOTONIC cannot fail with a valid pointer.
        let ret = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        assert_eq!(
            ret,
            0,
            "clock_gettime(CLOCK_MONOTONIC) failed: {:?}",
            errno()
        );
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }

    fn spawn<F: FnOnce() + Send + 'static>(&self, name: &str, f: F) -> SysResult<Self::Thread> {
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(f)
            .map_err(|e| Errno(e.raw_os_error().unwrap_or(Errno::EAGAIN.0)))
    }

    fn join(&self, thread: Self::Thread) {
        if let Err(panic) = thread.join() {
            std::panic::resume_unwind(panic);
        }
    }

    #[inline]
    fn thread_token(&self) -> u64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(1);
        thread_local! {
            static TOKEN: u64 = NEXT.fetch_add(1, Ordering::Relaxed);
        }
        TOKEN.with(|t| *t)
    }

    #[inline(always)]
    fn sched_point(&self) {}

    #[inline(always)]
    fn probe(&self, _probe: Probe) {}
}
