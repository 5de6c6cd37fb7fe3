//! The operations the model specifies (`Op`) and what they return (`Outcome`).
//!
//! Owns: the vocabulary shared with the harness. One `Op` is one syscall as the `Sys` trait
//! issues it (every fd nonblocking, sockets `AF_INET` stream or datagram on 127.0.0.1, `epoll_wait`
//! with timeout 0), plus `Settle`, the explicit "the network has caught up" step.
//! Ports are small indices (`Port(0)`, `Port(1)`, …) that the harness maps to real ports.
//! Does not model: blocking calls, timeouts, signals (`EINTR`), addresses other than loopback,
//! socket options other than `SO_ERROR`, `SO_REUSEADDR`, `SO_LINGER` and `TCP_NODELAY`,
//! `getsockname` of an inet socket. Unix-domain sockets (`Op::Unix*`, `UnixName`) are named by
//! small indices too.

use crate::errno;
use crate::event::Event;
use std::fmt;

/// A file descriptor number. Fds are reused lowest-first, as Linux does.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fd(pub i32);

impl fmt::Debug for Fd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fd{}", self.0)
    }
}

/// A loopback port, as a small index the harness maps to a real port.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Port(pub u16);

/// `how` of `shutdown`: `SHUT_RD`, `SHUT_WR`, `SHUT_RDWR`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shut {
    Rd,
    Wr,
    RdWr,
}

impl Shut {
    /// `(RCV_SHUTDOWN, SEND_SHUTDOWN)`: `inet_shutdown` maps `how` to these bits by `how + 1`.
    pub(crate) fn bits(self) -> (bool, bool) {
        match self {
            Shut::Rd => (true, false),
            Shut::Wr => (false, true),
            Shut::RdWr => (true, true),
        }
    }
}

/// The socket options `setsockopt` sets (those of the `Sys` trait).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SockOpt {
    /// `SO_REUSEADDR`: bind conflicts spare two sockets that both set it unless the one
    /// already there listens (TIME_WAIT entries keep the flag of their socket).
    ReuseAddr(bool),
    /// `TCP_NODELAY`: Nagle off, so a small write is never held back waiting for an ACK.
    NoDelay(bool),
    /// `SO_LINGER`: `Some(0)` makes the last `close` abort the connection with RST (no FIN, no
    /// TIME_WAIT); `None` is the default. `Some(n)` with `n > 0` makes `close` wait for the
    /// FIN's acknowledgement: outside the model (it blocks).
    Linger(Option<u32>),
    /// `IP_TTL`, the `u32` passed as a C `int`: 1 to 255 sets it, `u32::MAX` (-1) restores
    /// the default, anything else is `EINVAL`; `EOPNOTSUPP` on a Unix socket.
    Ttl(u32),
    /// `SO_BROADCAST`: stored and read back on any socket (no broadcast address is modelled).
    Broadcast(bool),
    /// `IP_MULTICAST_TTL`, the `u32` passed as a C `int`: 0 to 255 sets it, `u32::MAX` (-1)
    /// restores 1, anything else is `EINVAL`; `EINVAL` on any TCP socket (before the value
    /// is read), `EOPNOTSUPP` on a Unix one. Stored and read back (no multicast group).
    MulticastTtl(u32),
    /// `IP_MULTICAST_LOOP`: stored and read back on TCP and UDP; `EOPNOTSUPP` on Unix.
    MulticastLoop(bool),
}

/// `IP_MULTICAST_TTL`'s argument as Linux reads the `int` (`do_ip_setsockopt`): -1
/// (`u32::MAX`) restores the default 1, 0 to 255 is a TTL, anything else `EINVAL`.
pub(crate) fn multicast_ttl_arg(ttl: u32) -> Result<u8, i32> {
    match ttl as i32 {
        -1 => Ok(1),
        t @ 0..=255 => Ok(t as u8),
        _ => Err(crate::errno::EINVAL),
    }
}

/// `IP_TTL`'s argument as Linux reads the `int`: -1 (`u32::MAX`) restores the default
/// (`None`), 1 to 255 is a TTL, anything else `EINVAL` (`do_ip_setsockopt`).
pub(crate) fn ttl_arg(ttl: u32) -> Result<Option<u8>, i32> {
    match ttl as i32 {
        -1 => Ok(None),
        t @ 1..=255 => Ok(Some(t as u8)),
        _ => Err(crate::errno::EINVAL),
    }
}

/// The `int` socket options `getsockopt` reads.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SockOptGet {
    SndBuf,
    RcvBuf,
    Type,
    /// `SO_ERROR`, as an `Int` (`SoError` is the same read through `Op::SoError`).
    Error,
    /// `TCP_NODELAY`: 1 or 0 on TCP (inherited by an accepted socket); `EOPNOTSUPP` on UDP.
    NoDelay,
    /// `IP_TTL`: as set, else `Config::ip_default_ttl`, on TCP (inherited by an accepted
    /// socket) and UDP; `EOPNOTSUPP` on a Unix socket.
    Ttl,
    /// `SO_BROADCAST`: 1 or 0 on any socket (a TCP child inherits it; a Unix one does not).
    Broadcast,
    /// `IP_MULTICAST_TTL`: as set, else 1, on UDP; on TCP 1, except on an accepted socket:
    /// the TTL of the handshake ACK that made it (`tcp_v4_syn_recv_sock` sets `mc_ttl` from
    /// the ACK's IP header, the connector's `IP_TTL`). `EOPNOTSUPP` on a Unix socket.
    MulticastTtl,
    /// `IP_MULTICAST_LOOP`: 1 until cleared, on TCP (an accepted socket inherits its
    /// listener's) and UDP; `EOPNOTSUPP` on a Unix socket.
    MulticastLoop,
}

/// A Unix-domain socket's name, as a small index the harness maps to a real one: a
/// filesystem path (in a directory of the harness's own) or an abstract name (unique to the
/// run). `Unnamed` is no name: an unbound socket, a `socketpair` end.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnixName {
    Unnamed,
    Path(u8),
    Abstract(u8),
}

/// `op` of `epoll_ctl`: `EPOLL_CTL_ADD`, `EPOLL_CTL_MOD`, `EPOLL_CTL_DEL`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ctl {
    Add,
    Mod,
    Del,
}

/// The `fcntl` commands the model knows, with Linux's meaning (`fs/fcntl.c` `do_fcntl`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fcntl {
    /// `F_GETFD` → `Int(FD_CLOEXEC or 0)`.
    GetFd,
    /// `F_SETFD(arg)` → `Int(0)`: keeps `arg & FD_CLOEXEC`.
    SetFd(i32),
    /// `F_GETFL` → `Int(access mode | status flags)`.
    GetFl,
    /// `F_SETFL(arg)` → `Int(0)`: sets the `SETFL_MASK` bits of `arg`, ignores the rest.
    /// An `arg` without `O_NONBLOCK` would make the fd blocking: outside the model.
    SetFl(i32),
}

/// One step of a scenario: a syscall, or `Settle`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    /// `socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)` → `Fd`.
    Socket,
    /// `bind(fd, 127.0.0.1:port)` → `Ok`.
    Bind { fd: Fd, port: Port },
    /// `listen(fd, backlog)` → `Ok`.
    Listen { fd: Fd, backlog: i32 },
    /// `connect(fd, 127.0.0.1:port)` → `Err(EINPROGRESS)` when it starts.
    Connect { fd: Fd, port: Port },
    /// `accept4(fd, .., SOCK_NONBLOCK | SOCK_CLOEXEC)` → `Fd`.
    Accept { fd: Fd },
    /// `setsockopt(fd, ..)` of one `SockOpt` → `Ok`. Children of a listener inherit its
    /// options when their handshake completes (`sk_clone_lock`).
    SetSockOpt { fd: Fd, opt: SockOpt },
    /// `getsockopt(fd, SOL_SOCKET, SO_ERROR)` → `SoError`.
    SoError { fd: Fd },
    /// `shutdown(fd, how)` → `Ok`.
    Shutdown { fd: Fd, how: Shut },
    /// `read(fd, buf, len)` on a pipe or socket → `Bytes`.
    Read { fd: Fd, len: usize },
    /// `write(fd, buf, len)` (with `MSG_NOSIGNAL` semantics) on a pipe or socket → `Bytes`.
    Write { fd: Fd, len: usize },
    /// `close(fd)` → `Ok`.
    Close { fd: Fd },
    /// `dup(fd)` → `Fd`.
    Dup { fd: Fd },
    /// `fcntl(fd, cmd, arg)` → `Int`.
    Fcntl { fd: Fd, cmd: Fcntl },
    /// `ioctl(fd, FIONREAD, &n)` → `Int(n)` (not on TCP sockets: see `fionread`).
    Fionread { fd: Fd },
    /// `dup3(fd, newfd, flags)` → `Fd(newfd)`.
    Dup3 { fd: Fd, newfd: Fd, flags: i32 },
    /// `dup2(fd, newfd)` → `Fd(newfd)`.
    Dup2 { fd: Fd, newfd: Fd },
    /// `pipe2(O_NONBLOCK | O_CLOEXEC)` → `Pair(read end, write end)`.
    Pipe,
    /// `eventfd(init, EFD_NONBLOCK | EFD_CLOEXEC [| EFD_SEMAPHORE])` → `Fd`.
    EventFd { init: u32, semaphore: bool },
    /// `read(fd, buf, len)` on an eventfd → `Value` (the 8 bytes read, native-endian).
    EventFdRead { fd: Fd, len: usize },
    /// `write(fd, &value, len)` on an eventfd (8 bytes of `value`, then padding) → `Bytes(8)`.
    EventFdWrite { fd: Fd, value: u64, len: usize },
    /// `epoll_create1(EPOLL_CLOEXEC)` → `Fd`.
    EpollCreate,
    /// `epoll_ctl(epfd, op, fd, {events, data})` → `Ok`.
    EpollCtl {
        epfd: Fd,
        op: Ctl,
        fd: Fd,
        events: u32,
        data: u64,
    },
    /// `epoll_wait(epfd, events, maxevents, 0)` → `Events`.
    EpollWait { epfd: Fd, maxevents: i32 },
    /// `socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)` → `Fd`.
    UdpSocket,
    /// `sendto(fd, buf, len, MSG_NOSIGNAL, 127.0.0.1:to)` (`to` `None`: `send`) → `Bytes`. On
    /// a TCP socket, a `write` (the address is ignored).
    SendTo {
        fd: Fd,
        len: usize,
        to: Option<Port>,
    },
    /// `recvfrom(fd, buf, len, MSG_PEEK? | MSG_TRUNC?)` → `Datagram` on UDP, `Bytes` on TCP
    /// (where `MSG_PEEK` leaves the bytes queued; a 0-byte buffer there is unsupported).
    RecvFrom {
        fd: Fd,
        len: usize,
        peek: bool,
        trunc: bool,
    },
    /// `getsockopt(fd, SOL_SOCKET, SO_SNDBUF | SO_RCVBUF | SO_TYPE)` → `Int`.
    GetSockOpt { fd: Fd, opt: SockOptGet },
    /// `pipe2(flags)` → `Pair(read end, write end)`; `EINVAL` for a bit it does not take.
    Pipe2 { flags: i32 },
    /// `eventfd(init, flags)` → `Fd`; `EINVAL` for a bit it does not take.
    EventFd2 { init: u32, flags: i32 },
    /// `poll(fds, n, 0)` (`ppoll` with a zero timeout when `ppoll`) → `Revents`, one per entry.
    Poll { fds: Vec<(Fd, i16)>, ppoll: bool },
    /// `epoll_pwait(epfd, events, maxevents, 0, NULL)` (`epoll_pwait2` with a zero timespec
    /// when `pwait2`) → `Events`, as `EpollWait`.
    EpollPwait {
        epfd: Fd,
        maxevents: i32,
        pwait2: bool,
    },
    /// `socket(AF_UNIX, SOCK_STREAM | SOCK_DGRAM (dgram) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)` → `Fd`.
    UnixSocket { dgram: bool },
    /// `socketpair(AF_UNIX, ...)` → `Pair`: two connected, unnamed ends.
    SocketPair { dgram: bool },
    /// `bind(fd, sockaddr_un)` of a Unix socket → `Ok`.
    UnixBind { fd: Fd, name: UnixName },
    /// `connect(fd, sockaddr_un)` of a Unix socket → `Ok` (a stream connect completes or
    /// fails inside the call).
    UnixConnect { fd: Fd, name: UnixName },
    /// `accept4` on a Unix listener → `Accepted` (the new fd and the peer's name).
    UnixAccept { fd: Fd },
    /// `sendto(fd, buf, len, MSG_NOSIGNAL [| MSG_DONTWAIT], to)` on a Unix socket (`to`
    /// `None`: `send`) → `Bytes`.
    UnixSendTo {
        fd: Fd,
        len: usize,
        to: Option<UnixName>,
        dontwait: bool,
    },
    /// `recvfrom(fd, buf, len, MSG_PEEK? | MSG_TRUNC? | MSG_DONTWAIT?)` on a Unix socket →
    /// `Received`.
    UnixRecvFrom {
        fd: Fd,
        len: usize,
        peek: bool,
        trunc: bool,
        dontwait: bool,
    },
    /// `getsockname` (`peer` false) or `getpeername` of a Unix socket → `Name`.
    GetUnixName { fd: Fd, peer: bool },
    /// `unlink` of the path a `UnixName::Path` names → `Ok`.
    Unlink { name: UnixName },
    /// Not a syscall: the network catches up. Every segment in flight is delivered (and every
    /// reply to it), except SYNs and final ACKs that a full listener dropped: Linux only
    /// retransmits those after a second (`TCP_TIMEOUT_INIT`). The harness calls it after
    /// letting the real or simulated network go quiet; it returns `Ok`.
    Settle,
}

/// What an `Op` returned.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// 0 from a call that returns nothing else (`bind`, `close`, `epoll_ctl`, `Settle`, …).
    Ok,
    /// A new fd (`socket`, `accept4`, `dup`, `eventfd`, `epoll_create1`).
    Fd(Fd),
    /// `pipe2`: read end, write end.
    Pair(Fd, Fd),
    /// Bytes read or written.
    Bytes(usize),
    /// The counter value an eventfd read returned.
    Value(u64),
    /// `SO_ERROR`: the pending socket error (an errno value), or 0.
    SoError(i32),
    /// `epoll_wait`: the events, in the order the kernel returned them (compared as a set).
    Events(Vec<Event>),
    /// `recvfrom` on UDP: the length returned, and the sender's harness port (`None` for
    /// an ephemeral one).
    Datagram { len: usize, from: Option<Port> },
    /// An `int` from `getsockopt`.
    Int(i32),
    /// `poll`: each entry's `revents`, in the order asked.
    Revents(Vec<i16>),
    /// `accept4` on a Unix listener: the new fd and the name of the peer.
    Accepted { fd: Fd, peer: UnixName },
    /// `recvfrom` on a Unix socket: the length returned and the sender's name.
    Received { len: usize, from: UnixName },
    /// `getsockname`/`getpeername` of a Unix socket.
    Name(UnixName),
    /// The call failed with this errno.
    Err(i32),
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok => write!(f, "Ok"),
            Outcome::Fd(fd) => write!(f, "{fd:?}"),
            Outcome::Pair(a, b) => write!(f, "({a:?}, {b:?})"),
            Outcome::Bytes(n) => write!(f, "{n} bytes"),
            Outcome::Value(v) => write!(f, "value {v}"),
            Outcome::SoError(0) => write!(f, "SO_ERROR 0"),
            Outcome::SoError(e) => write!(f, "SO_ERROR {}", errno::describe(*e)),
            Outcome::Events(events) => write!(f, "events {events:?}"),
            Outcome::Datagram { len, from } => write!(f, "{len} bytes from {from:?}"),
            Outcome::Int(v) => write!(f, "int {v}"),
            Outcome::Revents(r) => write!(f, "revents {r:x?}"),
            Outcome::Accepted { fd, peer } => write!(f, "{fd:?} from {peer:?}"),
            Outcome::Received { len, from } => write!(f, "{len} bytes from {from:?}"),
            Outcome::Name(name) => write!(f, "{name:?}"),
            Outcome::Err(e) => write!(f, "{}", errno::describe(*e)),
        }
    }
}

/// `Ok(outcome)` or `Err(errno)` as an `Outcome`: lets syscall bodies use `?` on errnos.
pub(crate) fn outcome(result: Result<Outcome, i32>) -> Outcome {
    result.unwrap_or_else(Outcome::Err)
}
