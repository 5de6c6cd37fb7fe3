//! `SimSys`: the `Sys` trait on the simulated kernel.
//!
//! Each method is one step: the strategy may run another thread first; then the fault plan
//! may fail the call; then the kernel applies it; then the trace records it. `epoll_wait`
//! parks the thread when nothing is ready (virtual time moves while everyone waits), `join`
//! parks until the target finishes, `sched_point` is a step with no kernel work.
//! `monotonic_now` reads virtual time without a step (on Linux it is a vDSO read, not a
//! syscall, and no preemption point of interest). `probe` is recorded without a step.
//!
//! A thread unwinding a panic takes no steps (`crate::unwind` says why): its calls are applied
//! and recorded at once, without faults, and a blocking call returns without waiting
//! (`epoll_wait` with what is ready, perhaps nothing; `join` before its target ends).
//!
//! Here: the trait impl, epoll, waits and threads. The bodies of the other calls are in
//! `inet` (TCP, UDP), `unix`, `io` (read, write, writev, close) and `fd` (dup, fcntl, FIONREAD,
//! pipe2, eventfd); `step` is one syscall step, `words` the trace words of arguments.

use crate::blocking;

mod fd;
mod inet;
mod io;
mod step;
mod unix;
mod words;

pub use step::PARKED;
pub(crate) use step::{interruptible, park, syscall, syscall_or_resume, SIGNAL};
use words::*;

use crate::fault::Fault;
use crate::thread::{State, ThreadId};
use crate::trace::{encode_result, Call, What};
use crate::unwind::unwinding;
use crate::world::{self, with_world, World};
use simkern_poller::sys::{
    epoll::EPOLLIN, Domain, Dup3Flags, EfdFlags, EpollEvent, EpollOp, Errno, Fcntl, Fd, MsgFlags,
    PipeFlags, PollFd, Probe, Shutdown, SockOpt, SockOptGet, SockType, Sys, SysResult, UnixAddr,
};
use std::io::IoSlice;
use std::net::SocketAddr;
use std::time::Duration;

/// The simulated kernel, as a `Sys` backend. Zero-sized: the run's state is reached through
/// the run's thread-local world, so `SimSys` is `Copy + Send + Sync` like `LinuxSys`.
#[derive(Copy, Clone, Debug, Default)]
pub struct SimSys;

/// A simulated thread, for `join`.
#[derive(Debug)]
pub struct SimThread(pub(crate) ThreadId);

impl Sys for SimSys {
    type Thread = SimThread;

    fn epoll_create(&self) -> SysResult<Fd> {
        syscall(
            Call::EpollCreate,
            [0; 3],
            |w, _| w.kernel.epoll_create(),
            fd_result,
        )
    }

    fn epoll_ctl(&self, epfd: Fd, op: EpollOp, fd: Fd, event: Option<EpollEvent>) -> SysResult<()> {
        let ev = event.map(|e| e.events() as i64).unwrap_or(0);
        let args = [epfd.0 as i64, ((op as i64) << 32) | fd.0 as i64, ev];
        syscall(
            Call::EpollCtl,
            args,
            |w, _| w.kernel.epoll_ctl(epfd, op, fd, event),
            unit,
        )
    }

    fn epoll_wait(&self, epfd: Fd, events: &mut [EpollEvent], timeout_ms: i32) -> SysResult<usize> {
        let args = [epfd.0 as i64, events.len() as i64, timeout_ms as i64];
        blocking::epoll_wait(
            Call::EpollWait,
            args,
            epfd,
            events,
            blocking::ms_ns(timeout_ms),
        )
    }

    fn epoll_pwait(
        &self,
        epfd: Fd,
        events: &mut [EpollEvent],
        timeout_ms: i32,
    ) -> SysResult<usize> {
        let args = [epfd.0 as i64, events.len() as i64, timeout_ms as i64];
        blocking::epoll_wait(
            Call::EpollPwait,
            args,
            epfd,
            events,
            blocking::ms_ns(timeout_ms),
        )
    }

    fn epoll_pwait2(
        &self,
        epfd: Fd,
        events: &mut [EpollEvent],
        timeout: Option<Duration>,
    ) -> SysResult<usize> {
        let ns = blocking::duration_ns(timeout);
        let args = [epfd.0 as i64, events.len() as i64, ns_word(ns)];
        blocking::epoll_wait(Call::EpollPwait2, args, epfd, events, ns)
    }

    fn poll(&self, fds: &mut [PollFd], timeout_ms: i32) -> SysResult<usize> {
        let args = [fds.len() as i64, timeout_ms as i64, 0];
        blocking::poll(Call::Poll, args, fds, blocking::ms_ns(timeout_ms))
    }

    fn ppoll(&self, fds: &mut [PollFd], timeout: Option<Duration>) -> SysResult<usize> {
        let ns = blocking::duration_ns(timeout);
        let args = [fds.len() as i64, ns_word(ns), 0];
        blocking::poll(Call::Ppoll, args, fds, ns)
    }

    fn nanosleep(&self, duration: Duration) -> SysResult<()> {
        blocking::nanosleep(duration)
    }

    fn socket(&self, domain: Domain, ty: SockType) -> SysResult<Fd> {
        inet::socket(domain, ty)
    }

    fn setsockopt(&self, fd: Fd, opt: SockOpt) -> SysResult<()> {
        inet::setsockopt(fd, opt)
    }

    fn bind(&self, fd: Fd, addr: SocketAddr) -> SysResult<()> {
        inet::bind(fd, addr)
    }

    fn listen(&self, fd: Fd, backlog: i32) -> SysResult<()> {
        inet::listen(fd, backlog)
    }

    fn accept4(&self, fd: Fd) -> SysResult<(Fd, SocketAddr)> {
        inet::accept4(fd)
    }

    fn connect(&self, fd: Fd, addr: SocketAddr) -> SysResult<()> {
        inet::connect(fd, addr)
    }

    fn so_error(&self, fd: Fd) -> SysResult<Option<Errno>> {
        inet::so_error(fd)
    }

    fn getsockname(&self, fd: Fd) -> SysResult<SocketAddr> {
        inet::getsockname(fd)
    }

    fn getpeername(&self, fd: Fd) -> SysResult<SocketAddr> {
        inet::getpeername(fd)
    }

    fn getsockopt(&self, fd: Fd, opt: SockOptGet) -> SysResult<i32> {
        inet::getsockopt(fd, opt)
    }

    fn sendto(
        &self,
        fd: Fd,
        buf: &[u8],
        flags: MsgFlags,
        addr: Option<SocketAddr>,
    ) -> SysResult<usize> {
        inet::sendto(fd, buf, flags, addr)
    }

    fn recvfrom(
        &self,
        fd: Fd,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> SysResult<(usize, Option<SocketAddr>)> {
        inet::recvfrom(fd, buf, flags)
    }

    fn bind_unix(&self, fd: Fd, addr: &UnixAddr) -> SysResult<()> {
        unix::bind_unix(fd, addr)
    }

    fn connect_unix(&self, fd: Fd, addr: &UnixAddr) -> SysResult<()> {
        unix::connect_unix(fd, addr)
    }

    fn accept4_unix(&self, fd: Fd) -> SysResult<(Fd, UnixAddr)> {
        unix::accept4_unix(fd)
    }

    fn unix_name(&self, fd: Fd, peer: bool) -> SysResult<UnixAddr> {
        unix::unix_name(fd, peer)
    }

    fn socketpair(&self, ty: SockType) -> SysResult<(Fd, Fd)> {
        unix::socketpair(ty)
    }

    fn sendto_unix(
        &self,
        fd: Fd,
        buf: &[u8],
        flags: MsgFlags,
        addr: Option<&UnixAddr>,
    ) -> SysResult<usize> {
        unix::sendto_unix(fd, buf, flags, addr)
    }

    fn recvfrom_unix(
        &self,
        fd: Fd,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> SysResult<(usize, UnixAddr)> {
        unix::recvfrom_unix(fd, buf, flags)
    }

    fn unlink(&self, path: &[u8]) -> SysResult<()> {
        unix::unlink(path)
    }

    fn shutdown(&self, fd: Fd, how: Shutdown) -> SysResult<()> {
        inet::shutdown(fd, how)
    }

    fn read(&self, fd: Fd, buf: &mut [u8]) -> SysResult<usize> {
        io::read(fd, buf)
    }

    fn write(&self, fd: Fd, buf: &[u8]) -> SysResult<usize> {
        io::write(fd, buf)
    }

    fn writev(&self, fd: Fd, bufs: &[IoSlice<'_>]) -> SysResult<usize> {
        io::writev(fd, bufs)
    }

    fn close(&self, fd: Fd) -> SysResult<()> {
        io::close(fd)
    }

    fn dup(&self, fd: Fd) -> SysResult<Fd> {
        fd::dup(fd)
    }

    fn dup3(&self, fd: Fd, newfd: Fd, flags: Dup3Flags) -> SysResult<Fd> {
        fd::dup3(fd, newfd, flags)
    }

    fn dup2(&self, fd: Fd, newfd: Fd) -> SysResult<Fd> {
        fd::dup2(fd, newfd)
    }

    fn fcntl(&self, fd: Fd, cmd: Fcntl) -> SysResult<i32> {
        fd::fcntl(fd, cmd)
    }

    fn fionread(&self, fd: Fd) -> SysResult<i32> {
        fd::fionread(fd)
    }

    fn pipe2(&self) -> SysResult<(Fd, Fd)> {
        fd::pipe2()
    }

    fn eventfd(&self, initval: u32, semaphore: bool) -> SysResult<Fd> {
        fd::eventfd(initval, semaphore)
    }

    fn pipe2_flags(&self, flags: PipeFlags) -> SysResult<(Fd, Fd)> {
        fd::pipe2_flags(flags)
    }

    fn eventfd_flags(&self, initval: u32, flags: EfdFlags) -> SysResult<Fd> {
        fd::eventfd_flags(initval, flags)
    }

    fn monotonic_now(&self) -> Duration {
        Duration::from_nanos(with_world(|w| w.now_ns))
    }

    fn spawn<F: FnOnce() + Send + 'static>(&self, name: &str, f: F) -> SysResult<SimThread> {
        syscall(
            Call::Spawn,
            [0; 3],
            |w, _| {
                if w.tearing_down {
                    return Err(Errno::EAGAIN);
                }
                w.add_thread(name, Box::new(f))
                    .map(SimThread)
                    .ok_or(Errno::EAGAIN)
            },
            |t| t.0.as_u32() as i64,
        )
    }

    fn join(&self, thread: SimThread) {
        let target = thread.0;
        let mut first = true;
        loop {
            let done = syscall_or_resume(
                first,
                Call::Join,
                [target.as_u32() as i64, 0, 0],
                |_: &()| 0,
                |w, _| {
                    if w.tearing_down || unwinding() || w.threads[target.index()] == State::Finished
                    {
                        return Ok(Some(()));
                    }
                    let me = w.current;
                    assert_ne!(
                        me, target,
                        "thread {me} joined itself: a deadlock by construction"
                    );
                    w.set_state(me, State::Join { target });
                    Ok(None)
                },
            );
            first = false;
            match done {
                Ok(Some(())) | Err(_) => return,
                Ok(None) => park(),
            }
        }
    }

    fn thread_token(&self) -> u64 {
        // Not a step: reading one's own identity is no interaction with other threads.
        with_world(|w| w.current.as_u32() as u64 + 1)
    }

    fn sched_point(&self) {
        let _ = syscall(Call::SchedPoint, [0; 3], |_, _| Ok(()), unit);
    }

    fn probe(&self, probe: Probe) {
        with_world(|w| {
            if !w.tearing_down {
                w.record(What::Probe(probe));
            }
        });
    }
}
