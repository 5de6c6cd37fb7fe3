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

use crate::blocking;
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

fn addr_word(addr: &SocketAddr) -> i64 {
    match addr {
        SocketAddr::V4(a) => ((u32::from(*a.ip()) as i64) << 16) | a.port() as i64,
        SocketAddr::V6(a) => a.port() as i64,
    }
}

/// A Unix address as one trace word: FNV-1a over its kind and bytes, nonnegative (stable
/// across runs and platforms; `-1` is reserved for "no address").
fn unix_addr_word(addr: &UnixAddr) -> i64 {
    let (kind, bytes): (u8, &[u8]) = match addr {
        UnixAddr::Unnamed => (0, &[]),
        UnixAddr::Path(p) => (1, p),
        UnixAddr::Abstract(a) => (2, a),
    };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in std::iter::once(&kind).chain(bytes) {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    (h >> 1) as i64
}

/// One syscall step: schedule, roll faults, apply, record. The kernel names the calling
/// thread's fds (its process's) while it applies the call.
#[inline]
pub(crate) fn syscall<T>(
    call: Call,
    args: [i64; 3],
    apply: impl FnOnce(&mut World, Option<Fault>) -> SysResult<T>,
    encode: impl FnOnce(&T) -> i64,
) -> SysResult<T> {
    if with_world(|w| w.tearing_down) {
        return with_world(|w| apply(w, None));
    }
    if unwinding() {
        // Not a step: answered at once, with no fault, and recorded.
        return with_world(|w| {
            w.count_unwind_call();
            w.enter_current();
            apply_and_record(w, call, args, None, apply, encode)
        });
    }
    world::step();
    with_world(|w| {
        w.enter_current();
        let fault = if w.faults.is_empty() || w.harness[w.current.index()] {
            None
        } else {
            w.faults
                .roll(call, &w.names[w.current.index()], &mut w.decisions)
        };
        if let Some(Fault::Errno(errno)) = fault {
            w.record(What::Fault { call, errno });
            w.record(What::Syscall {
                call,
                args,
                result: encode_result(Err(errno)),
            });
            return Err(errno);
        }
        apply_and_record(w, call, args, fault, apply, encode)
    })
}

/// Applies a call to the kernel and records it with its result.
#[inline]
fn apply_and_record<T>(
    w: &mut World,
    call: Call,
    args: [i64; 3],
    fault: Option<Fault>,
    apply: impl FnOnce(&mut World, Option<Fault>) -> SysResult<T>,
    encode: impl FnOnce(&T) -> i64,
) -> SysResult<T> {
    let result = apply(w, fault);
    let encoded = encode_result(result.as_ref().map(encode).map_err(|e| *e));
    w.record(What::Syscall {
        call,
        args,
        result: encoded,
    });
    result
}

/// A nanosecond timeout as a trace word (-1: forever).
fn ns_word(ns: Option<u64>) -> i64 {
    ns.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX))
}

fn fd_result(fd: &Fd) -> i64 {
    fd.0 as i64
}

fn unit(_: &()) -> i64 {
    0
}

fn len_result(n: &usize) -> i64 {
    *n as i64
}

/// A `Short` fault: accept between 1 and len-1 bytes (len > 1) — on a byte stream only;
/// Linux never shortens an eventfd write.
fn shortened(w: &mut World, fd: Fd, len: usize) -> usize {
    if len <= 1 || !w.kernel.is_stream(fd) {
        return len;
    }
    1 + w
        .decisions
        .choose(crate::decision::Choice::Fault, len as u64 - 1) as usize
}

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
        // A stream socket's args are what they were before datagrams (trace hashes hold).
        syscall(
            Call::Socket,
            [domain as i64, ty as i64, 0],
            |w, _| w.kernel.socket(domain, ty),
            fd_result,
        )
    }

    fn setsockopt(&self, fd: Fd, opt: SockOpt) -> SysResult<()> {
        let code = match opt {
            SockOpt::ReuseAddr(on) => on as i64,
            SockOpt::NoDelay(on) => 2 + on as i64,
            SockOpt::Linger(s) => 4 + s.map(|s| 1 + s as i64).unwrap_or(0),
        };
        syscall(
            Call::Setsockopt,
            [fd.0 as i64, code, 0],
            |w, _| w.kernel.setsockopt(fd, opt),
            unit,
        )
    }

    fn bind(&self, fd: Fd, addr: SocketAddr) -> SysResult<()> {
        syscall(
            Call::Bind,
            [fd.0 as i64, addr_word(&addr), 0],
            |w, _| w.kernel.bind(fd, addr),
            unit,
        )
    }

    fn listen(&self, fd: Fd, backlog: i32) -> SysResult<()> {
        syscall(
            Call::Listen,
            [fd.0 as i64, backlog as i64, 0],
            |w, _| w.kernel.listen(fd, backlog),
            unit,
        )
    }

    fn accept4(&self, fd: Fd) -> SysResult<(Fd, SocketAddr)> {
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

    fn connect(&self, fd: Fd, addr: SocketAddr) -> SysResult<()> {
        blocking::connect([fd.0 as i64, addr_word(&addr), 0], fd, |w| {
            let now = w.now_ns;
            w.kernel.connect(fd, addr, now, &mut w.decisions)
        })
    }

    fn so_error(&self, fd: Fd) -> SysResult<Option<Errno>> {
        syscall(
            Call::SoError,
            [fd.0 as i64, 0, 0],
            |w, _| w.kernel.so_error(fd),
            |e| e.map_or(0, |e| e.0 as i64),
        )
    }

    fn getsockname(&self, fd: Fd) -> SysResult<SocketAddr> {
        syscall(
            Call::Getsockname,
            [fd.0 as i64, 0, 0],
            |w, _| w.kernel.getsockname(fd),
            addr_word,
        )
    }

    fn getpeername(&self, fd: Fd) -> SysResult<SocketAddr> {
        syscall(
            Call::Getpeername,
            [fd.0 as i64, 0, 0],
            |w, _| w.kernel.getpeername(fd),
            addr_word,
        )
    }

    fn getsockopt(&self, fd: Fd, opt: SockOptGet) -> SysResult<i32> {
        syscall(
            Call::Getsockopt,
            [fd.0 as i64, opt as i64, 0],
            |w, _| w.kernel.getsockopt(fd, opt),
            |&v| v as i64,
        )
    }

    fn sendto(
        &self,
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

    fn recvfrom(
        &self,
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

    fn bind_unix(&self, fd: Fd, addr: &UnixAddr) -> SysResult<()> {
        syscall(
            Call::BindUnix,
            [fd.0 as i64, unix_addr_word(addr), 0],
            |w, _| w.kernel.bind_unix(fd, addr),
            unit,
        )
    }

    fn connect_unix(&self, fd: Fd, addr: &UnixAddr) -> SysResult<()> {
        syscall(
            Call::ConnectUnix,
            [fd.0 as i64, unix_addr_word(addr), 0],
            |w, _| w.kernel.connect_unix(fd, addr),
            unit,
        )
    }

    fn accept4_unix(&self, fd: Fd) -> SysResult<(Fd, UnixAddr)> {
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

    fn unix_name(&self, fd: Fd, peer: bool) -> SysResult<UnixAddr> {
        syscall(
            Call::UnixName,
            [fd.0 as i64, peer as i64, 0],
            |w, _| w.kernel.unix_name(fd, peer),
            unix_addr_word,
        )
    }

    fn socketpair(&self, ty: SockType) -> SysResult<(Fd, Fd)> {
        syscall(
            Call::Socketpair,
            [ty as i64, 0, 0],
            |w, _| w.kernel.socketpair(ty),
            |(a, b)| ((a.0 as i64) << 32) | b.0 as i64,
        )
    }

    fn sendto_unix(
        &self,
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

    fn recvfrom_unix(
        &self,
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

    fn unlink(&self, path: &[u8]) -> SysResult<()> {
        let word = unix_addr_word(&UnixAddr::Path(path.to_vec()));
        syscall(
            Call::Unlink,
            [word, 0, 0],
            |w, _| w.kernel.unlink(path),
            unit,
        )
    }

    fn shutdown(&self, fd: Fd, how: Shutdown) -> SysResult<()> {
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

    fn read(&self, fd: Fd, buf: &mut [u8]) -> SysResult<usize> {
        blocking::take(
            Call::Read,
            [fd.0 as i64, buf.len() as i64, 0],
            fd,
            EPOLLIN,
            MsgFlags::EMPTY,
            len_result,
            |w, fault| {
                let now = w.now_ns;
                if fault == Some(Fault::Reset) {
                    w.kernel.reset_connection(fd, now, &mut w.decisions);
                }
                w.kernel.read(fd, buf, now, &mut w.decisions)
            },
        )
    }

    fn write(&self, fd: Fd, buf: &[u8]) -> SysResult<usize> {
        let args = [fd.0 as i64, buf.len() as i64, 0];
        blocking::put(
            Call::Write,
            args,
            fd,
            buf.len(),
            MsgFlags::EMPTY,
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
                w.kernel.write(fd, &buf[..len], now, &mut w.decisions)
            },
        )
    }

    fn writev(&self, fd: Fd, bufs: &[IoSlice<'_>]) -> SysResult<usize> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        let args = [fd.0 as i64, total as i64, bufs.len() as i64];
        // A blocking writev that queued part goes on with the rest as one buffer: on a stream
        // the bytes are the same (an eventfd takes 8 at a time, and never part of them).
        let mut rest: Vec<u8> = Vec::new();
        blocking::put(
            Call::Writev,
            args,
            fd,
            total,
            MsgFlags::EMPTY,
            |w, fault, done| {
                let now = w.now_ns;
                if done > 0 {
                    if rest.is_empty() {
                        rest = bufs
                            .iter()
                            .flat_map(|b| b.iter().copied())
                            .skip(done)
                            .collect();
                    } else {
                        let taken = total - done;
                        rest.drain(..rest.len() - taken);
                    }
                    return w.kernel.write(fd, &rest, now, &mut w.decisions);
                }
                let limit = match fault {
                    Some(Fault::Reset) => {
                        w.kernel.reset_connection(fd, now, &mut w.decisions);
                        total
                    }
                    Some(Fault::Short) => shortened(w, fd, total),
                    _ => total,
                };
                w.kernel.writev(fd, bufs, limit, now, &mut w.decisions)
            },
        )
    }

    fn close(&self, fd: Fd) -> SysResult<()> {
        syscall(
            Call::Close,
            [fd.0 as i64, 0, 0],
            |w, _| {
                let now = w.now_ns;
                w.kernel.close(fd, now, &mut w.decisions)
            },
            unit,
        )
    }

    fn dup(&self, fd: Fd) -> SysResult<Fd> {
        syscall(
            Call::Dup,
            [fd.0 as i64, 0, 0],
            |w, _| w.kernel.dup(fd),
            fd_result,
        )
    }

    fn dup3(&self, fd: Fd, newfd: Fd, flags: Dup3Flags) -> SysResult<Fd> {
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

    fn dup2(&self, fd: Fd, newfd: Fd) -> SysResult<Fd> {
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

    fn fcntl(&self, fd: Fd, cmd: Fcntl) -> SysResult<i32> {
        let (c, arg) = cmd.raw();
        syscall(
            Call::Fcntl,
            [fd.0 as i64, c as i64, arg as i64],
            |w, _| w.kernel.fcntl(fd, cmd),
            |&v| v as i64,
        )
    }

    fn fionread(&self, fd: Fd) -> SysResult<i32> {
        syscall(
            Call::Ioctl,
            [fd.0 as i64, 0x541b, 0], // FIONREAD
            |w, _| w.kernel.fionread(fd),
            |&v| v as i64,
        )
    }

    fn pipe2(&self) -> SysResult<(Fd, Fd)> {
        syscall(
            Call::Pipe2,
            [0; 3],
            |w, _| w.kernel.pipe2(),
            |(r, wr)| ((r.0 as i64) << 32) | wr.0 as i64,
        )
    }

    fn eventfd(&self, initval: u32, semaphore: bool) -> SysResult<Fd> {
        syscall(
            Call::Eventfd,
            [initval as i64, semaphore as i64, 0],
            |w, _| w.kernel.eventfd(initval, semaphore),
            fd_result,
        )
    }

    fn pipe2_flags(&self, flags: PipeFlags) -> SysResult<(Fd, Fd)> {
        // The flags as they differ from `pipe2()`'s: its trace words stay what they were.
        syscall(
            Call::Pipe2,
            [0, (flags.0 ^ PipeFlags::DEFAULT.0) as i64, 0],
            |w, _| w.kernel.pipe2_flags(flags),
            |(r, wr)| ((r.0 as i64) << 32) | wr.0 as i64,
        )
    }

    fn eventfd_flags(&self, initval: u32, flags: EfdFlags) -> SysResult<Fd> {
        let semaphore = flags.contains(EfdFlags::SEMAPHORE);
        let beyond = (flags.0 & !EfdFlags::SEMAPHORE.0) ^ EfdFlags::DEFAULT.0;
        syscall(
            Call::Eventfd,
            [initval as i64, semaphore as i64, beyond as i64],
            |w, _| w.kernel.eventfd_flags(initval, flags),
            fd_result,
        )
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

/// Trace result of a blocking call's attempt that parked the thread.
pub const PARKED: i64 = i64::MIN;

/// The first attempt of a blocking call is a step; a retry after waking is the same call
/// continuing, not a new step (Linux does not re-enter the syscall either).
pub(crate) fn syscall_or_resume<T>(
    first: bool,
    call: Call,
    args: [i64; 3],
    encode: fn(&T) -> i64,
    apply: impl FnOnce(&mut World, Option<Fault>) -> SysResult<Option<T>>,
) -> SysResult<Option<T>> {
    if first {
        return syscall(call, args, apply, |r| r.as_ref().map_or(PARKED, encode));
    }
    with_world(|w| {
        let me = w.current;
        w.set_state(me, State::Runnable);
        w.enter_current();
        let r = apply(w, None);
        if let Ok(Some(v)) = &r {
            w.record(What::Syscall {
                call,
                args,
                result: encode(v),
            });
        }
        r
    })
}

/// Parks the running thread (its state is already set) until the scheduler resumes it.
pub(crate) fn park() {
    world::suspend(with_world(|w| w.current));
}
