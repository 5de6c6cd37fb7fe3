//! `LinuxSys`: the real backend, one `libc` call per trait method.
//!
//! This file and its siblings are the only files in the poller that call `libc`: `linux_inet`
//! (TCP and UDP sockets), `linux_unix` (Unix-domain sockets), `linux_addr` (addresses and
//! options as `libc` takes them), `linux_fd` (`dup3`, `dup2`, `fcntl`, `ioctl(FIONREAD)`) and
//! `linux_wait` (the waits beyond `epoll_wait`, flagged `pipe2`/`eventfd`); this file holds the
//! trait impl, epoll, the fd basics and threads. Each method is a thin, inlined
//! wrapper: the errno is read right after the call and returned raw; nothing is retried here
//! (retry policy lives in `crate::errno_policy`, named once). `sched_point` and `probe` are
//! empty and vanish after inlining.

use super::{
    Domain, Dup3Flags, EfdFlags, EpollEvent, EpollOp, Errno, Fcntl, Fd, MsgFlags, PipeFlags,
    PollFd, Probe, Shutdown, SockOpt, SockOptGet, SockType, Sys, SysResult, UnixAddr,
};
use std::io::IoSlice;
use std::mem::size_of;
use std::net::SocketAddr;
use std::time::Duration;

// The caller's `EpollEvent` buffer is handed straight to the kernel.
const _: () = assert!(size_of::<EpollEvent>() == size_of::<libc::epoll_event>());
const _: () =
    assert!(std::mem::align_of::<EpollEvent>() == std::mem::align_of::<libc::epoll_event>());
// `writev` takes the caller's `IoSlice`s as `iovec`s (std guarantees the layout on unix).
const _: () = assert!(size_of::<IoSlice<'static>>() == size_of::<libc::iovec>());

// The epoll bits go to the kernel as they are: each is Linux's value. Checked here rather
// than spelled `libc::EPOLL*` in `sys::epoll`, which the simulator shares on any target.
const _: () = {
    use super::epoll::*;
    assert!(EPOLLIN == libc::EPOLLIN as u32);
    assert!(EPOLLPRI == libc::EPOLLPRI as u32);
    assert!(EPOLLOUT == libc::EPOLLOUT as u32);
    assert!(EPOLLERR == libc::EPOLLERR as u32);
    assert!(EPOLLHUP == libc::EPOLLHUP as u32);
    assert!(EPOLLRDHUP == libc::EPOLLRDHUP as u32);
    assert!(EPOLLEXCLUSIVE == libc::EPOLLEXCLUSIVE as u32);
    assert!(EPOLLONESHOT == libc::EPOLLONESHOT as u32);
    assert!(EPOLLET == libc::EPOLLET as u32);
    assert!(MODIFIERS == (libc::EPOLLEXCLUSIVE | libc::EPOLLONESHOT | libc::EPOLLET) as u32);
};

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
pub(super) fn cvt_size(ret: libc::ssize_t) -> SysResult<usize> {
    if ret < 0 {
        Err(errno())
    } else {
        Ok(ret as usize)
    }
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
        super::linux_inet::socket(domain, ty)
    }

    fn setsockopt(&self, fd: Fd, opt: SockOpt) -> SysResult<()> {
        super::linux_inet::setsockopt(fd, opt)
    }

    fn bind(&self, fd: Fd, addr: SocketAddr) -> SysResult<()> {
        super::linux_inet::bind(fd, addr)
    }

    fn listen(&self, fd: Fd, backlog: i32) -> SysResult<()> {
        super::linux_inet::listen(fd, backlog)
    }

    #[inline]
    fn accept4(&self, fd: Fd) -> SysResult<(Fd, SocketAddr)> {
        super::linux_inet::accept4(fd)
    }

    fn connect(&self, fd: Fd, addr: SocketAddr) -> SysResult<()> {
        super::linux_inet::connect(fd, addr)
    }

    fn so_error(&self, fd: Fd) -> SysResult<Option<Errno>> {
        super::linux_inet::so_error(fd)
    }

    fn getsockname(&self, fd: Fd) -> SysResult<SocketAddr> {
        super::linux_inet::getsockname(fd)
    }

    fn getpeername(&self, fd: Fd) -> SysResult<SocketAddr> {
        super::linux_inet::getpeername(fd)
    }

    fn getsockopt(&self, fd: Fd, opt: SockOptGet) -> SysResult<i32> {
        super::linux_inet::getsockopt(fd, opt)
    }

    fn shutdown(&self, fd: Fd, how: Shutdown) -> SysResult<()> {
        super::linux_inet::shutdown(fd, how)
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
        super::linux_inet::sendto(fd, buf, flags, addr)
    }

    #[inline]
    fn recvfrom(
        &self,
        fd: Fd,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> SysResult<(usize, Option<SocketAddr>)> {
        super::linux_inet::recvfrom(fd, buf, flags)
    }

    fn bind_unix(&self, fd: Fd, addr: &UnixAddr) -> SysResult<()> {
        super::linux_unix::bind_unix(fd, addr)
    }

    fn connect_unix(&self, fd: Fd, addr: &UnixAddr) -> SysResult<()> {
        super::linux_unix::connect_unix(fd, addr)
    }

    fn accept4_unix(&self, fd: Fd) -> SysResult<(Fd, UnixAddr)> {
        super::linux_unix::accept4_unix(fd)
    }

    fn unix_name(&self, fd: Fd, peer: bool) -> SysResult<UnixAddr> {
        super::linux_unix::unix_name(fd, peer)
    }

    fn socketpair(&self, ty: SockType) -> SysResult<(Fd, Fd)> {
        super::linux_unix::socketpair(ty)
    }

    fn sendto_unix(
        &self,
        fd: Fd,
        buf: &[u8],
        flags: MsgFlags,
        addr: Option<&UnixAddr>,
    ) -> SysResult<usize> {
        super::linux_unix::sendto_unix(fd, buf, flags, addr)
    }

    fn recvfrom_unix(
        &self,
        fd: Fd,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> SysResult<(usize, UnixAddr)> {
        super::linux_unix::recvfrom_unix(fd, buf, flags)
    }

    fn unlink(&self, path: &[u8]) -> SysResult<()> {
        super::linux_unix::unlink(path)
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
