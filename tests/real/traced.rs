//! `Traced`: the real backend (`LinuxSys`) plus a log of the poller's probes, of every fd the
//! kernel handed out or took back, of every `epoll_ctl` and of every `read`, so a real-kernel test can judge what
//! the simulator's oracles judge: which operator each event reached, the order of
//! `EPOLL_CTL_DEL`, `close` and the operator's free, and which reads the poller spent.
//!
//! Every syscall is `LinuxSys`'s, unchanged; the log is the only addition. `LinuxSys::probe`
//! is a no-op, which is why the plain backend cannot give this evidence.

use simkern::poller::sys::{
    Domain, EfdFlags, EpollEvent, EpollOp, MsgFlags, PipeFlags, PollFd, Shutdown, SockOpt,
    SockOptGet, SockType, UnixAddr,
};
use simkern::poller::{Errno, Fd, LinuxSys, Probe, Sys, SysResult};
use std::collections::{BTreeMap, BTreeSet};
use std::io::IoSlice;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One logged fact, in the order it happened on the loop thread.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// `socket` returned this fd.
    Socket(Fd),
    /// `accept4` returned this fd.
    Accept(Fd),
    /// `close` of this fd succeeded.
    Close(Fd),
    /// `epoll_create` returned this epoll fd.
    EpollCreate(Fd),
    /// `epoll_ctl` on this epoll fd, for this fd, answered this.
    EpollCtl(Fd, Fd, SysResult<()>),
    /// `read` of this fd returned this.
    Read(Fd, SysResult<usize>),
    /// The poller reported this.
    Probe(Probe),
}

/// `LinuxSys` with a shared log.
#[derive(Clone, Default)]
pub struct Traced {
    log: Arc<Mutex<Vec<Entry>>>,
}

impl Traced {
    fn push(&self, entry: Entry) {
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(entry);
    }

    /// A copy of the log so far.
    pub fn log(&self) -> Vec<Entry> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The log, one entry a line with its index, for failure messages.
pub fn dump(log: &[Entry]) -> String {
    log.iter()
        .enumerate()
        .map(|(i, e)| format!("  {i:5}: {e:?}\n"))
        .collect()
}

/// The delivery oracle: every event reached a live operator registered for the same fd, no
/// handle was reused, and no operator was freed before it left the epoll interest list.
pub fn check_delivery(log: &[Entry]) -> Result<(), String> {
    let mut live: BTreeMap<u64, Fd> = BTreeMap::new();
    let mut deregistered: BTreeSet<u64> = BTreeSet::new();
    let mut ever: BTreeSet<u64> = BTreeSet::new();
    for (i, entry) in log.iter().enumerate() {
        let Entry::Probe(probe) = *entry else {
            continue;
        };
        match probe {
            Probe::OperatorCreated { handle, fd } => {
                if !ever.insert(handle) {
                    return Err(format!(
                        "step {i}: handle {handle:#x} created twice ({fd:?})"
                    ));
                }
                live.insert(handle, fd);
            }
            Probe::OperatorDeregistered { handle, fd } => {
                if live.get(&handle) != Some(&fd) {
                    return Err(format!(
                        "step {i}: DEL of {fd:?} for handle {handle:#x}, not live"
                    ));
                }
                deregistered.insert(handle);
            }
            Probe::OperatorFreed { handle, fd } => {
                if live.remove(&handle) != Some(fd) {
                    return Err(format!(
                        "step {i}: free of handle {handle:#x} ({fd:?}), not live"
                    ));
                }
                if !deregistered.contains(&handle) {
                    return Err(format!(
                        "step {i}: handle {handle:#x} freed while {fd:?} was still in epoll"
                    ));
                }
            }
            Probe::EventDelivered { handle, fd, events } => match live.get(&handle) {
                Some(&live_fd) if live_fd == fd => {}
                other => {
                    return Err(format!(
                        "step {i}: event {events:#x} for handle {handle:#x} delivered as {fd:?}, \
                         but that handle is {other:?}: an event reached the wrong operator"
                    ))
                }
            },
            _ => {}
        }
    }
    Ok(())
}

impl Sys for Traced {
    type Thread = <LinuxSys as Sys>::Thread;

    fn epoll_create(&self) -> SysResult<Fd> {
        let epfd = LinuxSys.epoll_create()?;
        self.push(Entry::EpollCreate(epfd));
        Ok(epfd)
    }
    fn epoll_ctl(&self, epfd: Fd, op: EpollOp, fd: Fd, event: Option<EpollEvent>) -> SysResult<()> {
        let result = LinuxSys.epoll_ctl(epfd, op, fd, event);
        self.push(Entry::EpollCtl(epfd, fd, result));
        result
    }
    fn epoll_wait(&self, epfd: Fd, events: &mut [EpollEvent], timeout_ms: i32) -> SysResult<usize> {
        LinuxSys.epoll_wait(epfd, events, timeout_ms)
    }
    fn socket(&self, domain: Domain, ty: SockType) -> SysResult<Fd> {
        let fd = LinuxSys.socket(domain, ty)?;
        self.push(Entry::Socket(fd));
        Ok(fd)
    }
    fn setsockopt(&self, fd: Fd, opt: SockOpt) -> SysResult<()> {
        LinuxSys.setsockopt(fd, opt)
    }
    fn bind(&self, fd: Fd, addr: SocketAddr) -> SysResult<()> {
        LinuxSys.bind(fd, addr)
    }
    fn getpeername(&self, fd: Fd) -> SysResult<SocketAddr> {
        LinuxSys.getpeername(fd)
    }
    fn getsockopt(&self, fd: Fd, opt: SockOptGet) -> SysResult<i32> {
        LinuxSys.getsockopt(fd, opt)
    }
    fn sendto(
        &self,
        fd: Fd,
        buf: &[u8],
        flags: MsgFlags,
        addr: Option<SocketAddr>,
    ) -> SysResult<usize> {
        LinuxSys.sendto(fd, buf, flags, addr)
    }
    fn recvfrom(
        &self,
        fd: Fd,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> SysResult<(usize, Option<SocketAddr>)> {
        LinuxSys.recvfrom(fd, buf, flags)
    }
    fn bind_unix(&self, fd: Fd, addr: &UnixAddr) -> SysResult<()> {
        LinuxSys.bind_unix(fd, addr)
    }
    fn connect_unix(&self, fd: Fd, addr: &UnixAddr) -> SysResult<()> {
        LinuxSys.connect_unix(fd, addr)
    }
    fn accept4_unix(&self, fd: Fd) -> SysResult<(Fd, UnixAddr)> {
        let (new, peer) = LinuxSys.accept4_unix(fd)?;
        self.push(Entry::Accept(new));
        Ok((new, peer))
    }
    fn unix_name(&self, fd: Fd, peer: bool) -> SysResult<UnixAddr> {
        LinuxSys.unix_name(fd, peer)
    }
    fn socketpair(&self, ty: SockType) -> SysResult<(Fd, Fd)> {
        let (a, b) = LinuxSys.socketpair(ty)?;
        self.push(Entry::Socket(a));
        self.push(Entry::Socket(b));
        Ok((a, b))
    }
    fn sendto_unix(
        &self,
        fd: Fd,
        buf: &[u8],
        flags: MsgFlags,
        addr: Option<&UnixAddr>,
    ) -> SysResult<usize> {
        LinuxSys.sendto_unix(fd, buf, flags, addr)
    }
    fn recvfrom_unix(
        &self,
        fd: Fd,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> SysResult<(usize, UnixAddr)> {
        LinuxSys.recvfrom_unix(fd, buf, flags)
    }
    fn unlink(&self, path: &[u8]) -> SysResult<()> {
        LinuxSys.unlink(path)
    }
    fn listen(&self, fd: Fd, backlog: i32) -> SysResult<()> {
        LinuxSys.listen(fd, backlog)
    }
    fn accept4(&self, fd: Fd) -> SysResult<(Fd, SocketAddr)> {
        let (new, peer) = LinuxSys.accept4(fd)?;
        self.push(Entry::Accept(new));
        Ok((new, peer))
    }
    fn connect(&self, fd: Fd, addr: SocketAddr) -> SysResult<()> {
        LinuxSys.connect(fd, addr)
    }
    fn so_error(&self, fd: Fd) -> SysResult<Option<Errno>> {
        LinuxSys.so_error(fd)
    }
    fn getsockname(&self, fd: Fd) -> SysResult<SocketAddr> {
        LinuxSys.getsockname(fd)
    }
    fn shutdown(&self, fd: Fd, how: Shutdown) -> SysResult<()> {
        LinuxSys.shutdown(fd, how)
    }
    fn read(&self, fd: Fd, buf: &mut [u8]) -> SysResult<usize> {
        let got = LinuxSys.read(fd, buf);
        self.push(Entry::Read(fd, got));
        got
    }
    fn write(&self, fd: Fd, buf: &[u8]) -> SysResult<usize> {
        LinuxSys.write(fd, buf)
    }
    fn writev(&self, fd: Fd, bufs: &[IoSlice<'_>]) -> SysResult<usize> {
        LinuxSys.writev(fd, bufs)
    }
    fn close(&self, fd: Fd) -> SysResult<()> {
        LinuxSys.close(fd)?;
        self.push(Entry::Close(fd));
        Ok(())
    }
    fn dup(&self, fd: Fd) -> SysResult<Fd> {
        LinuxSys.dup(fd)
    }
    fn dup3(&self, fd: Fd, newfd: Fd, flags: simkern::poller::sys::Dup3Flags) -> SysResult<Fd> {
        LinuxSys.dup3(fd, newfd, flags)
    }
    fn dup2(&self, fd: Fd, newfd: Fd) -> SysResult<Fd> {
        LinuxSys.dup2(fd, newfd)
    }
    fn fcntl(&self, fd: Fd, cmd: simkern::poller::sys::Fcntl) -> SysResult<i32> {
        LinuxSys.fcntl(fd, cmd)
    }
    fn fionread(&self, fd: Fd) -> SysResult<i32> {
        LinuxSys.fionread(fd)
    }
    fn pipe2(&self) -> SysResult<(Fd, Fd)> {
        LinuxSys.pipe2()
    }
    fn eventfd(&self, initval: u32, semaphore: bool) -> SysResult<Fd> {
        LinuxSys.eventfd(initval, semaphore)
    }
    fn pipe2_flags(&self, flags: PipeFlags) -> SysResult<(Fd, Fd)> {
        LinuxSys.pipe2_flags(flags)
    }
    fn eventfd_flags(&self, initval: u32, flags: EfdFlags) -> SysResult<Fd> {
        LinuxSys.eventfd_flags(initval, flags)
    }
    fn epoll_pwait(
        &self,
        epfd: Fd,
        events: &mut [EpollEvent],
        timeout_ms: i32,
    ) -> SysResult<usize> {
        LinuxSys.epoll_pwait(epfd, events, timeout_ms)
    }
    fn epoll_pwait2(
        &self,
        epfd: Fd,
        events: &mut [EpollEvent],
        timeout: Option<Duration>,
    ) -> SysResult<usize> {
        LinuxSys.epoll_pwait2(epfd, events, timeout)
    }
    fn poll(&self, fds: &mut [PollFd], timeout_ms: i32) -> SysResult<usize> {
        LinuxSys.poll(fds, timeout_ms)
    }
    fn ppoll(&self, fds: &mut [PollFd], timeout: Option<Duration>) -> SysResult<usize> {
        LinuxSys.ppoll(fds, timeout)
    }
    fn nanosleep(&self, duration: Duration) -> SysResult<()> {
        LinuxSys.nanosleep(duration)
    }
    fn monotonic_now(&self) -> Duration {
        LinuxSys.monotonic_now()
    }
    fn spawn<F: FnOnce() + Send + 'static>(&self, name: &str, f: F) -> SysResult<Self::Thread> {
        LinuxSys.spawn(name, f)
    }
    fn join(&self, thread: Self::Thread) {
        LinuxSys.join(thread)
    }
    fn thread_token(&self) -> u64 {
        LinuxSys.thread_token()
    }

    fn sched_point(&self) {}
    fn probe(&self, probe: Probe) {
        self.push(Entry::Probe(probe));
    }
}
