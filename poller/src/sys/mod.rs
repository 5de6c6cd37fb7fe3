//! The syscall boundary: `trait Sys`, the only way the poller touches the OS.
//!
//! Everything above this trait is generic over `S: Sys` and monomorphised, so the real backend
//! (`linux::LinuxSys`) costs nothing over calling the syscalls directly, and the simulated kernel
//! (`simkern-sim`) runs the same poller code with every choice drawn from a seed.
//!
//! Conventions, kept by both backends:
//! - fds are `Fd(i32)`, reused lowest-first as Linux does; errors are raw `Errno`.
//! - Every fd the trait creates is nonblocking and close-on-exec (`SOCK_NONBLOCK`,
//!   `O_NONBLOCK`, `EFD_NONBLOCK`, `EPOLL_CLOEXEC`) unless the caller asks otherwise
//!   (`pipe2_flags`, `eventfd_flags`, `fcntl(F_SETFL)` clearing `O_NONBLOCK`): event-loop code
//!   never blocks in `read`. The calls that block are the waits (`epoll_wait` and its
//!   `p`/`pwait2` forms, `poll`, `ppoll`, `nanosleep`), `join`, and I/O on a file whose
//!   `O_NONBLOCK` is clear.
//! - `sched_point` marks a place where another thread may run (before a cross-thread atomic);
//!   it is a no-op on the real backend, where the hardware interleaves for free.
//! - `probe` reports lifecycle facts for the oracles; a no-op on the real backend.

mod errno;
pub mod fd_flags;
pub mod linux;
mod linux_addr;
mod linux_fd;
mod linux_inet;
mod linux_unix;
mod linux_wait;
mod probe;
pub mod socket_types;
pub mod wait_types;

pub use errno::Errno;
pub use fd_flags::{Dup3Flags, Fcntl};
pub use probe::{ErrnoAction, Probe};
pub use socket_types::{
    Domain, MsgFlags, Shutdown, SockOpt, SockOptGet, SockType, UnixAddr, UNIX_PATH_MAX,
};
pub use wait_types::{pollbits, EfdFlags, PipeFlags, PollFd};

use std::fmt;
use std::io::IoSlice;
use std::net::SocketAddr;
use std::time::Duration;

/// Result of a syscall: the value, or the raw errno.
pub type SysResult<T> = Result<T, Errno>;

/// A file descriptor number. Plain integer on purpose: fd numbers are reused lowest-first, and
/// that reuse is where stale-registration bugs come from.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fd(pub i32);

impl fmt::Debug for Fd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fd{}", self.0)
    }
}

impl fmt::Display for Fd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// epoll event bits, Linux's values (`<sys/epoll.h>`).
pub mod epoll {
    pub const EPOLLIN: u32 = 0x001;
    pub const EPOLLPRI: u32 = 0x002;
    pub const EPOLLOUT: u32 = 0x004;
    pub const EPOLLERR: u32 = 0x008;
    pub const EPOLLHUP: u32 = 0x010;
    pub const EPOLLRDHUP: u32 = 0x2000;
    pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
    pub const EPOLLONESHOT: u32 = 1 << 30;
    pub const EPOLLET: u32 = 1 << 31;
    /// Bits `epoll_wait` may report here: the poll bits of the files the simulated kernel
    /// models (Linux's `EPOLLRDNORM` and kin are never asked for, so never reported).
    pub const REPORTABLE: u32 = EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDHUP;
    /// Bits that change how an entry is reported rather than what is reported (with
    /// `EPOLLWAKEUP`, what a fired `EPOLLONESHOT` entry keeps).
    pub const MODIFIERS: u32 = EPOLLEXCLUSIVE | EPOLLONESHOT | EPOLLET;
}

/// `op` argument of `epoll_ctl`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum EpollOp {
    Add,
    Mod,
    Del,
}

/// One `struct epoll_event`.
///
/// Layout-compatible with the kernel's struct so the real backend hands the caller's buffer to
/// `epoll_wait` without copying. The kernel packs it on x86_64 only (`EPOLL_PACKED`), hence
/// the arch-dependent `packed`; fields are read through the accessors, which copy.
#[repr(C)]
#[cfg_attr(target_arch = "x86_64", repr(packed))]
#[derive(Copy, Clone, PartialEq, Eq)]
pub struct EpollEvent {
    events: u32,
    data: u64,
}

impl EpollEvent {
    pub const fn new(events: u32, data: u64) -> Self {
        EpollEvent { events, data }
    }
    pub const fn zeroed() -> Self {
        EpollEvent { events: 0, data: 0 }
    }
    pub fn events(&self) -> u32 {
        self.events
    }
    pub fn data(&self) -> u64 {
        self.data
    }
}

impl Default for EpollEvent {
    fn default() -> Self {
        EpollEvent::zeroed()
    }
}

impl fmt::Debug for EpollEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (events, data) = (self.events, self.data);
        write!(f, "EpollEvent {{ events: {events:#x}, data: {data} }}")
    }
}

/// The syscall boundary. See the module docs for the conventions both backends keep.
pub trait Sys: Clone + Send + Sync + 'static {
    /// A joinable thread.
    type Thread: Send;

    /// `epoll_create1(EPOLL_CLOEXEC)`.
    fn epoll_create(&self) -> SysResult<Fd>;
    /// `epoll_ctl`; `event` is ignored for `EpollOp::Del` (pass `None`: the real backend then
    /// passes NULL, allowed since 2.6.9). `None` for ADD/MOD is the all-zero event.
    fn epoll_ctl(&self, epfd: Fd, op: EpollOp, fd: Fd, event: Option<EpollEvent>) -> SysResult<()>;
    /// `epoll_wait`: up to `events.len()` ready events; `timeout_ms` -1 blocks, 0 polls.
    fn epoll_wait(&self, epfd: Fd, events: &mut [EpollEvent], timeout_ms: i32) -> SysResult<usize>;
    /// `epoll_pwait` with a NULL signal mask: `epoll_wait` under another syscall number
    /// (event loops that mask signals call it; the simulated kernel has no signals).
    fn epoll_pwait(&self, epfd: Fd, events: &mut [EpollEvent], timeout_ms: i32)
        -> SysResult<usize>;
    /// `epoll_pwait2` with a NULL signal mask: a nanosecond timeout, `None` blocks. Linux 5.11
    /// added it; an older kernel answers `ENOSYS`.
    fn epoll_pwait2(
        &self,
        epfd: Fd,
        events: &mut [EpollEvent],
        timeout: Option<Duration>,
    ) -> SysResult<usize>;
    /// `poll`: fills each entry's `revents` (`POLLERR`, `POLLHUP` whether asked or not;
    /// `POLLNVAL` for an fd not open) and returns how many entries have a nonzero one;
    /// `timeout_ms` -1 blocks, 0 polls.
    fn poll(&self, fds: &mut [PollFd], timeout_ms: i32) -> SysResult<usize>;
    /// `ppoll` with a NULL signal mask: `poll` with a nanosecond timeout, `None` blocks.
    fn ppoll(&self, fds: &mut [PollFd], timeout: Option<Duration>) -> SysResult<usize>;
    /// `clock_nanosleep(CLOCK_MONOTONIC, 0, ..)`: the thread sleeps for `duration` (in the
    /// simulated kernel, virtual time; other threads run meanwhile). `EINTR` is the only
    /// error a valid call meets.
    fn nanosleep(&self, duration: Duration) -> SysResult<()>;

    /// `socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)`, type `SOCK_STREAM` or
    /// `SOCK_DGRAM`.
    fn socket(&self, domain: Domain, ty: SockType) -> SysResult<Fd>;
    /// `setsockopt` for the options in `SockOpt`.
    fn setsockopt(&self, fd: Fd, opt: SockOpt) -> SysResult<()>;
    /// `bind`.
    fn bind(&self, fd: Fd, addr: SocketAddr) -> SysResult<()>;
    /// `listen`.
    fn listen(&self, fd: Fd, backlog: i32) -> SysResult<()>;
    /// `accept4(fd, .., SOCK_NONBLOCK | SOCK_CLOEXEC)`.
    fn accept4(&self, fd: Fd) -> SysResult<(Fd, SocketAddr)>;
    /// `connect`; a nonblocking connect that has started returns `Err(EINPROGRESS)`.
    fn connect(&self, fd: Fd, addr: SocketAddr) -> SysResult<()>;
    /// `getsockopt(SO_ERROR)`: the pending socket error, cleared by reading it.
    fn so_error(&self, fd: Fd) -> SysResult<Option<Errno>>;
    /// `getsockname`.
    fn getsockname(&self, fd: Fd) -> SysResult<SocketAddr>;
    /// `getpeername`: the connected peer (a UDP socket's default destination); `ENOTCONN`
    /// when there is none.
    fn getpeername(&self, fd: Fd) -> SysResult<SocketAddr>;
    /// `getsockopt` of an `int` option (`SO_SNDBUF`, `SO_RCVBUF`, `SO_TYPE`, `SO_ERROR`,
    /// `TCP_NODELAY`).
    fn getsockopt(&self, fd: Fd, opt: SockOptGet) -> SysResult<i32>;
    /// `shutdown`.
    fn shutdown(&self, fd: Fd, how: Shutdown) -> SysResult<()>;
    /// `sendto(fd, buf, flags | MSG_NOSIGNAL, addr)`: `None` sends to the connected peer.
    /// A UDP socket sends one datagram; a TCP socket ignores the address once connected, as
    /// Linux does. `EPIPE`, never `SIGPIPE`, as `write`.
    fn sendto(
        &self,
        fd: Fd,
        buf: &[u8],
        flags: MsgFlags,
        addr: Option<SocketAddr>,
    ) -> SysResult<usize>;
    /// `recvfrom`: the bytes read (with `MSG_TRUNC` on UDP, the datagram's real length) and
    /// the sender's address (`None` on TCP). `MSG_PEEK` leaves the data queued.
    fn recvfrom(
        &self,
        fd: Fd,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> SysResult<(usize, Option<SocketAddr>)>;

    /// `bind` of a Unix socket to a path or an abstract name. A path stays bound after the
    /// socket closes until `unlink` (a later `bind` is `EADDRINUSE`); an abstract name goes
    /// with its socket. On an inet socket: `EINVAL` or `EAFNOSUPPORT`, as Linux.
    fn bind_unix(&self, fd: Fd, addr: &UnixAddr) -> SysResult<()>;
    /// `connect` of a Unix socket. A stream connect completes at once or fails (`EAGAIN` with
    /// the listener's backlog full, `ENOENT` for a path nobody bound, `ECONNREFUSED` for a
    /// name whose socket is not listening or is gone, `EPROTOTYPE` for a socket of the other
    /// type); a datagram connect sets the default peer.
    fn connect_unix(&self, fd: Fd, addr: &UnixAddr) -> SysResult<()>;
    /// `accept4(fd, .., SOCK_NONBLOCK | SOCK_CLOEXEC)` on a Unix listener: the new socket and
    /// the peer's name (`Unnamed` unless the peer bound one). On an inet listener the
    /// connection is accepted and its address reported `Unnamed`.
    fn accept4_unix(&self, fd: Fd) -> SysResult<(Fd, UnixAddr)>;
    /// getsockname (peer = false) or getpeername (peer = true) of a Unix socket;
    /// `EAFNOSUPPORT` on an inet socket, `ENOTCONN` for the peer of an unconnected one.
    fn unix_name(&self, fd: Fd, peer: bool) -> SysResult<UnixAddr>;
    /// socketpair(AF_UNIX, ty | SOCK_NONBLOCK | SOCK_CLOEXEC).
    fn socketpair(&self, ty: SockType) -> SysResult<(Fd, Fd)>;
    /// `sendto(fd, buf, flags | MSG_NOSIGNAL, addr)` on a Unix socket; `None` is `send`.
    /// A stream socket given an address is `EISCONN` when connected, else `EOPNOTSUPP`.
    fn sendto_unix(
        &self,
        fd: Fd,
        buf: &[u8],
        flags: MsgFlags,
        addr: Option<&UnixAddr>,
    ) -> SysResult<usize>;
    /// `recvfrom` on a Unix socket: the bytes (with `MSG_TRUNC` on a datagram socket, the
    /// datagram's real length) and the sender's name (`Unnamed` when it has none, and on a
    /// stream socket whose peer has none). On an inet socket the data is taken and, as the
    /// sender is no Unix name, the call is `EAFNOSUPPORT` (a TCP socket, which reports no
    /// sender, gives `Unnamed`).
    fn recvfrom_unix(
        &self,
        fd: Fd,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> SysResult<(usize, UnixAddr)>;
    /// unlink(2) of a socket file's path (the simulated kernel keeps a namespace of socket
    /// paths only: `ENOENT` for any other path).
    fn unlink(&self, path: &[u8]) -> SysResult<()>;

    /// `read`.
    fn read(&self, fd: Fd, buf: &mut [u8]) -> SysResult<usize>;
    /// `write`. Sockets use `MSG_NOSIGNAL` semantics: a closed peer is `EPIPE`, never `SIGPIPE`.
    fn write(&self, fd: Fd, buf: &[u8]) -> SysResult<usize>;
    /// `writev`, same `EPIPE` rule as `write`.
    fn writev(&self, fd: Fd, bufs: &[IoSlice<'_>]) -> SysResult<usize>;
    /// `close`.
    fn close(&self, fd: Fd) -> SysResult<()>;
    /// `dup`: a new fd for the same open file description.
    fn dup(&self, fd: Fd) -> SysResult<Fd>;
    /// `dup3(fd, newfd, flags)`: `newfd` comes to name `fd`'s open file, atomically closing
    /// what it named before (a close like any other: epoll forgets that file only if it was
    /// its last fd). `EINVAL` when `fd == newfd` or for a flag other than `O_CLOEXEC`;
    /// `EBADF` when `fd` is not open or `newfd` is negative or at least `RLIMIT_NOFILE`.
    fn dup3(&self, fd: Fd, newfd: Fd, flags: Dup3Flags) -> SysResult<Fd>;
    /// `dup2(fd, newfd)`: `dup3` with no flags (the new fd has no `FD_CLOEXEC`), except that
    /// `dup2(fd, fd)` returns `fd` if it is open (`EBADF` if not) and changes nothing.
    fn dup2(&self, fd: Fd, newfd: Fd) -> SysResult<Fd>;
    /// `fcntl(fd, cmd, arg)` for the commands of `Fcntl`: the flags for a get, 0 for a set.
    /// With `O_NONBLOCK` cleared, I/O on the file blocks (both backends; see the simulated
    /// kernel's `blocking` module for what it models).
    fn fcntl(&self, fd: Fd, cmd: Fcntl) -> SysResult<i32>;
    /// `ioctl(fd, FIONREAD, &n)`: the bytes a read could take now. A stream socket's receive
    /// queue (a TCP FIN counts nothing), a pipe's contents (from either end), a datagram
    /// socket's next datagram's payload (0 when none). `EINVAL` on a listening socket,
    /// `ENOTTY` on a file without the ioctl (eventfd, epoll).
    fn fionread(&self, fd: Fd) -> SysResult<i32>;
    /// `pipe2(O_NONBLOCK | O_CLOEXEC)`: `(read end, write end)`.
    fn pipe2(&self) -> SysResult<(Fd, Fd)>;
    /// `eventfd(initval, EFD_NONBLOCK | EFD_CLOEXEC [| EFD_SEMAPHORE])`.
    fn eventfd(&self, initval: u32, semaphore: bool) -> SysResult<Fd>;
    /// `pipe2(flags)`: `(read end, write end)`, blocking unless `O_NONBLOCK` is given.
    /// `EINVAL` for a bit outside `PipeFlags::VALID`; the simulated kernel also refuses
    /// `O_DIRECT` (packet mode, not modelled) with `EINVAL`.
    fn pipe2_flags(&self, flags: PipeFlags) -> SysResult<(Fd, Fd)>;
    /// `eventfd(initval, flags)`, blocking unless `EFD_NONBLOCK` is given; `EINVAL` for a bit
    /// outside `EfdFlags::VALID`.
    fn eventfd_flags(&self, initval: u32, flags: EfdFlags) -> SysResult<Fd>;

    /// `clock_gettime(CLOCK_MONOTONIC)` as time since an arbitrary origin.
    fn monotonic_now(&self) -> Duration;
    /// Starts a thread running `f`.
    fn spawn<F: FnOnce() + Send + 'static>(&self, name: &str, f: F) -> SysResult<Self::Thread>;
    /// Waits for a thread to finish. A panic in the thread is re-raised in the joiner.
    fn join(&self, thread: Self::Thread);
    /// An id of the calling thread, unique among the process's live threads. The waker uses it
    /// to tell a loop's own thread (which needs no cross-thread protocol) from others.
    fn thread_token(&self) -> u64;
    /// A point where another thread may be scheduled: call it before each cross-thread atomic
    /// the code's correctness depends on. No-op on the real backend.
    fn sched_point(&self);
    /// Reports a lifecycle fact to the oracles. No-op on the real backend.
    fn probe(&self, probe: Probe);
}

#[cfg(test)]
mod tests {
    use super::Fd;

    /// Traces, `explain` and error messages name fds this way; an fd that printed as nothing
    /// would leave a failure report unreadable.
    #[test]
    fn an_fd_prints_as_its_number() {
        assert_eq!(format!("{:?}", Fd(7)), "fd7");
        assert_eq!(Fd(-1).to_string(), "fd-1");
    }

    /// An event in a failure message or trace shows its bits and its data.
    #[test]
    fn an_epoll_event_prints_its_bits_and_data() {
        let ev = super::EpollEvent::new(super::epoll::EPOLLIN | super::epoll::EPOLLOUT, 7);
        assert_eq!(format!("{ev:?}"), "EpollEvent { events: 0x5, data: 7 }");
    }
}
