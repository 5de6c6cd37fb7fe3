//! The generator's vocabulary: `Step` (an op whose fds are still abstract `Pick`s), and its
//! resolution into a `Call` (concrete model fds) against the fds a run has open.
//!
//! Owns: which fds an op names. A `Pick` chooses among the open fds of a wanted kind when the
//! step runs, so that removing a step while shrinking leaves the others meaningful, and a
//! `Step` reaches real files instead of failing with `EBADF` (a `Pick::Bad` asks for that on
//! purpose). Regression tests name fds outright (`Pick::Fd`).
//! Resolution also picks the model op: a `read` or `write` on an eventfd is the model's
//! `EventFdRead`/`EventFdWrite` (the 8 bytes written are the step's `value`); a `writev` is
//! the model's write of its total length.
//! Does not own: running a call (`run`), or what the model says about it.

use simkern::model::{Ctl, Fcntl, Fd, Op, Outcome, Port, Shut, SockOpt, SockOptGet};
pub use unix::UnixStep;

#[path = "unix_step.rs"]
mod unix;
use std::collections::BTreeMap;
use std::fmt;

/// What kind of file an open fd is, as the harness learnt it from the outcome that made it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FdKind {
    Socket,
    Udp,
    PipeRead,
    PipeWrite,
    EventFd,
    Epoll,
    UnixStream,
    UnixDgram,
}

/// Which open fds a `Pick::Open` prefers.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Want {
    Any,
    /// TCP and UDP sockets.
    Socket,
    Udp,
    /// Sockets and pipe read ends.
    Readable,
    /// Sockets and pipe write ends.
    Writable,
    EventFd,
    Epoll,
    /// Unix-domain sockets, stream or datagram.
    Unix,
}

impl Want {
    fn matches(self, kind: FdKind) -> bool {
        match self {
            Want::Any => true,
            Want::Socket => matches!(kind, FdKind::Socket | FdKind::Udp),
            Want::Udp => kind == FdKind::Udp,
            Want::Readable => {
                kind.is_unix() || matches!(kind, FdKind::Socket | FdKind::Udp | FdKind::PipeRead)
            }
            Want::Writable => {
                kind.is_unix() || matches!(kind, FdKind::Socket | FdKind::Udp | FdKind::PipeWrite)
            }
            Want::EventFd => kind == FdKind::EventFd,
            Want::Epoll => kind == FdKind::Epoll,
            Want::Unix => kind.is_unix(),
        }
    }
}

/// An fd argument before the step runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Pick {
    /// Exactly this model fd (regression tests).
    Fd(i32),
    /// The `i`-th open fd of the wanted kind (any open fd if none is of that kind).
    Open { want: Want, i: u8 },
    /// An fd that is not open: `EBADF`.
    Bad(u8),
    /// The fd of the file opened last (the socket a `Socket` step just made).
    Newest,
}

/// One generated step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Socket,
    Bind {
        fd: Pick,
        port: u16,
    },
    Listen {
        fd: Pick,
        backlog: i32,
    },
    Connect {
        fd: Pick,
        port: u16,
    },
    Accept {
        fd: Pick,
    },
    SoError {
        fd: Pick,
    },
    Shutdown {
        fd: Pick,
        how: Shut,
    },
    SetSockOpt {
        fd: Pick,
        opt: SockOpt,
    },
    GetSockName {
        fd: Pick,
    },
    Read {
        fd: Pick,
        len: usize,
    },
    /// `value`: the 8 bytes written when the fd turns out to be an eventfd.
    Write {
        fd: Pick,
        len: usize,
        value: u64,
    },
    Writev {
        fd: Pick,
        lens: Vec<usize>,
        value: u64,
    },
    Close {
        fd: Pick,
    },
    Dup {
        fd: Pick,
    },
    Fcntl {
        fd: Pick,
        cmd: Fcntl,
    },
    Fionread {
        fd: Pick,
    },
    /// `dup3` (`flags` `Some`) or `dup2` onto `newfd`, or onto `fd` itself (`None`).
    Dup3 {
        fd: Pick,
        newfd: Option<Pick>,
        flags: Option<i32>,
    },
    Pipe,
    EventFd {
        init: u32,
        semaphore: bool,
    },
    EpollCreate,
    EpollCtl {
        epfd: Pick,
        op: Ctl,
        fd: Pick,
        events: u32,
    },
    EpollWait {
        epfd: Pick,
        maxevents: i32,
    },
    UdpSocket,
    SendTo {
        fd: Pick,
        len: usize,
        to: Option<u16>,
    },
    RecvFrom {
        fd: Pick,
        len: usize,
        peek: bool,
        trunc: bool,
    },
    GetSockOpt {
        fd: Pick,
        opt: SockOptGet,
    },
    GetPeerName {
        fd: Pick,
    },
    /// `pipe2(flags)` and `eventfd(init, flags)` with flags of their own.
    Pipe2 {
        flags: i32,
    },
    EventFd2 {
        init: u32,
        flags: i32,
    },
    /// `poll` (or `ppoll`) with a zero timeout over these fds and events.
    Poll {
        fds: Vec<(Pick, i16)>,
        ppoll: bool,
    },
    /// `epoll_pwait` (or `epoll_pwait2`) with a zero timeout.
    EpollPwait {
        epfd: Pick,
        maxevents: i32,
        pwait2: bool,
    },
    Settle,
    /// Let a little time pass without settling: on the simulator some segments arrive, on
    /// Linux (where loopback delivers within the sending syscall) nothing happens.
    Nap,
    /// A Unix-domain socket call (`unix_step`).
    Unix(UnixStep),
}

/// A resolved step: what runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// A model op, run as the `Sys` call it names (`Settle` included).
    Op(Op),
    /// `writev` of slices of these lengths; the model judges it as `op`, the write of their
    /// total (`Write`, or `EventFdWrite` on an eventfd).
    Writev {
        op: Op,
        lens: Vec<usize>,
    },
    /// `getsockname`: not in the model; compared between the simulator and Linux directly.
    GetSockName {
        fd: Fd,
    },
    /// `getpeername`: likewise.
    GetPeerName {
        fd: Fd,
    },
    Nap,
    /// A call the model cannot judge as one op, not run (`shown` is the call).
    Skip {
        shown: String,
        why: &'static str,
    },
}

impl Call {
    /// The model op that judges this call, if any.
    pub fn op(&self) -> Option<&Op> {
        match self {
            Call::Op(op) | Call::Writev { op, .. } => Some(op),
            Call::GetSockName { .. } | Call::GetPeerName { .. } | Call::Nap | Call::Skip { .. } => {
                None
            }
        }
    }

    /// The op kind, for statistics and shrinking (`writev`, not the model's `write`).
    pub fn kind(&self) -> &'static str {
        match self {
            Call::Writev { .. } | Call::Skip { .. } => "writev",
            Call::GetSockName { .. } => "getsockname",
            Call::GetPeerName { .. } => "getpeername",
            Call::Nap => "nap",
            Call::Op(op) => op_kind(op),
        }
    }
}

pub fn op_kind(op: &Op) -> &'static str {
    match op {
        Op::Socket => "socket",
        Op::Bind { .. } => "bind",
        Op::Listen { .. } => "listen",
        Op::Connect { .. } => "connect",
        Op::Accept { .. } => "accept4",
        Op::SoError { .. } => "so_error",
        Op::Shutdown { .. } => "shutdown",
        Op::SetSockOpt { .. } => "setsockopt",
        Op::Read { .. } => "read",
        Op::Write { .. } => "write",
        Op::Close { .. } => "close",
        Op::Dup { .. } => "dup",
        Op::Fcntl { .. } => "fcntl",
        Op::Fionread { .. } => "ioctl(FIONREAD)",
        Op::Dup3 { .. } => "dup3",
        Op::Dup2 { .. } => "dup2",
        Op::Pipe => "pipe2",
        Op::EventFd { .. } => "eventfd",
        Op::EventFdRead { .. } => "read(eventfd)",
        Op::EventFdWrite { .. } => "write(eventfd)",
        Op::EpollCreate => "epoll_create",
        Op::EpollCtl { .. } => "epoll_ctl",
        Op::EpollWait { .. } => "epoll_wait",
        Op::UdpSocket => "socket(udp)",
        Op::SendTo { .. } => "sendto",
        Op::RecvFrom { .. } => "recvfrom",
        Op::GetSockOpt { .. } => "getsockopt",
        Op::Pipe2 { .. } => "pipe2(flags)",
        Op::EventFd2 { .. } => "eventfd(flags)",
        Op::Poll { ppoll: false, .. } => "poll",
        Op::Poll { ppoll: true, .. } => "ppoll",
        Op::EpollPwait { pwait2: false, .. } => "epoll_pwait",
        Op::EpollPwait { pwait2: true, .. } => "epoll_pwait2",
        Op::Settle => "settle",
        Op::UnixSocket { .. }
        | Op::SocketPair { .. }
        | Op::UnixBind { .. }
        | Op::UnixConnect { .. }
        | Op::UnixAccept { .. }
        | Op::UnixSendTo { .. }
        | Op::UnixRecvFrom { .. }
        | Op::GetUnixName { .. }
        | Op::Unlink { .. } => unix::op_kind(op),
    }
}

/// The open fds of a run, with their kinds (and, for the content check, which open file
/// each one names).
#[derive(Clone, Debug)]
pub struct Fds {
    pub first: i32,
    open: BTreeMap<i32, (FdKind, u32)>,
    next_object: u32,
}

impl Fds {
    pub fn new(first: i32) -> Fds {
        Fds {
            first,
            open: BTreeMap::new(),
            next_object: 0,
        }
    }

    pub fn kind(&self, fd: Fd) -> Option<FdKind> {
        self.open.get(&fd.0).map(|&(k, _)| k)
    }

    /// The open file `fd` names (shared by dups), for per-file stream offsets.
    pub fn object(&self, fd: Fd) -> Option<u32> {
        self.open.get(&fd.0).map(|&(_, o)| o)
    }

    /// The lowest `n` free fd numbers (the numbers the next fds get, lowest first).
    pub fn lowest_free(&self, n: usize) -> Vec<Fd> {
        (self.first..)
            .filter(|fd| !self.open.contains_key(fd))
            .take(n)
            .map(Fd)
            .collect()
    }

    /// Learns the fds `op` created from its (model-level) outcome; forgets a closed one.
    pub fn learn(&mut self, op: &Op, outcome: &Outcome) {
        let mut add = |fd: Fd, kind: FdKind| {
            self.next_object += 1;
            self.open.insert(fd.0, (kind, self.next_object));
        };
        match (op, outcome) {
            (Op::Socket | Op::Accept { .. }, Outcome::Fd(fd)) => add(*fd, FdKind::Socket),
            (Op::UdpSocket, Outcome::Fd(fd)) => add(*fd, FdKind::Udp),
            (Op::EventFd { .. } | Op::EventFd2 { .. }, Outcome::Fd(fd)) => {
                add(*fd, FdKind::EventFd)
            }
            (Op::EpollCreate, Outcome::Fd(fd)) => add(*fd, FdKind::Epoll),
            (Op::Pipe | Op::Pipe2 { .. }, Outcome::Pair(r, w)) => {
                add(*r, FdKind::PipeRead);
                add(*w, FdKind::PipeWrite);
            }
            (Op::Dup { fd } | Op::Dup3 { fd, .. } | Op::Dup2 { fd, .. }, Outcome::Fd(new)) => {
                if let Some(&(kind, object)) = self.open.get(&fd.0) {
                    self.open.insert(new.0, (kind, object));
                }
            }
            (Op::UnixSocket { dgram }, Outcome::Fd(fd)) => add(*fd, FdKind::unix(*dgram)),
            (Op::SocketPair { dgram }, Outcome::Pair(a, b)) => {
                add(*a, FdKind::unix(*dgram));
                add(*b, FdKind::unix(*dgram));
            }
            (Op::UnixAccept { .. }, Outcome::Accepted { fd, .. }) => add(*fd, FdKind::UnixStream),
            (Op::Close { fd }, Outcome::Ok) => {
                self.open.remove(&fd.0);
            }
            _ => {}
        }
    }

    fn pick(&self, pick: Pick) -> Fd {
        match pick {
            Pick::Fd(fd) => Fd(fd),
            Pick::Bad(i) => {
                let top = self
                    .open
                    .keys()
                    .next_back()
                    .map_or(self.first, |&fd| fd + 1);
                Fd(top + i32::from(i % 3))
            }
            Pick::Newest => {
                let newest = self.open.iter().max_by_key(|(_, &(_, object))| object);
                newest.map_or(Fd(self.first), |(&fd, _)| Fd(fd))
            }
            Pick::Open { want, i } => {
                let wanted: Vec<i32> = (self.open.iter())
                    .filter(|(_, &(kind, _))| want.matches(kind))
                    .map(|(&fd, _)| fd)
                    .collect();
                let any: Vec<i32> = self.open.keys().copied().collect();
                let from = if wanted.is_empty() { any } else { wanted };
                match from.len() {
                    0 => Fd(self.first),
                    n => Fd(from[usize::from(i) % n]),
                }
            }
        }
    }

    /// The call `step` makes with these fds open.
    pub fn resolve(&self, step: &Step) -> Call {
        let fd = |p: Pick| self.pick(p);
        let is_eventfd = |fd: Fd| self.kind(fd) == Some(FdKind::EventFd);
        let op = match step {
            Step::Socket => Op::Socket,
            Step::Bind { fd: p, port } => Op::Bind {
                fd: fd(*p),
                port: Port(*port),
            },
            Step::Listen { fd: p, backlog } => Op::Listen {
                fd: fd(*p),
                backlog: *backlog,
            },
            Step::Connect { fd: p, port } => Op::Connect {
                fd: fd(*p),
                port: Port(*port),
            },
            Step::Accept { fd: p } => Op::Accept { fd: fd(*p) },
            Step::SoError { fd: p } => Op::SoError { fd: fd(*p) },
            Step::Shutdown { fd: p, how } => Op::Shutdown {
                fd: fd(*p),
                how: *how,
            },
            Step::SetSockOpt { fd: p, opt } => Op::SetSockOpt {
                fd: fd(*p),
                opt: *opt,
            },
            Step::GetSockName { fd: p } => return Call::GetSockName { fd: fd(*p) },
            Step::GetPeerName { fd: p } => return Call::GetPeerName { fd: fd(*p) },
            Step::UdpSocket => Op::UdpSocket,
            Step::SendTo { fd: p, len, to } => Op::SendTo {
                fd: fd(*p),
                len: *len,
                to: to.map(Port),
            },
            Step::RecvFrom {
                fd: p,
                len,
                peek,
                trunc,
            } => Op::RecvFrom {
                fd: fd(*p),
                len: *len,
                peek: *peek,
                trunc: *trunc,
            },
            Step::GetSockOpt { fd: p, opt } => Op::GetSockOpt {
                fd: fd(*p),
                opt: *opt,
            },
            Step::Read { fd: p, len } => {
                let fd = fd(*p);
                if is_eventfd(fd) {
                    Op::EventFdRead { fd, len: *len }
                } else {
                    Op::Read { fd, len: *len }
                }
            }
            Step::Write { fd: p, len, value } => write_op(fd(*p), *len, *value, is_eventfd),
            Step::Writev { fd: p, lens, value } => {
                let fd = fd(*p);
                if !is_eventfd(fd) {
                    let op = Op::Write {
                        fd,
                        len: lens.iter().sum(),
                    };
                    let lens = lens.clone();
                    return Call::Writev { op, lens };
                }
                return eventfd_writev(fd, lens, *value);
            }
            Step::Close { fd: p } => Op::Close { fd: fd(*p) },
            Step::Dup { fd: p } => Op::Dup { fd: fd(*p) },
            Step::Fionread { fd: p } => Op::Fionread { fd: fd(*p) },
            Step::Dup3 {
                fd: p,
                newfd,
                flags,
            } => {
                let old = fd(*p);
                let newfd = newfd.map_or(old, fd);
                match flags {
                    Some(flags) => Op::Dup3 {
                        fd: old,
                        newfd,
                        flags: *flags,
                    },
                    None => Op::Dup2 { fd: old, newfd },
                }
            }
            Step::Fcntl { fd: p, cmd } => Op::Fcntl {
                fd: fd(*p),
                cmd: *cmd,
            },
            Step::Pipe => Op::Pipe,
            Step::EventFd { init, semaphore } => Op::EventFd {
                init: *init,
                semaphore: *semaphore,
            },
            Step::EpollCreate => Op::EpollCreate,
            Step::EpollCtl {
                epfd,
                op,
                fd: p,
                events,
            } => {
                let target = fd(*p);
                Op::EpollCtl {
                    epfd: fd(*epfd),
                    op: *op,
                    fd: target,
                    events: *events,
                    data: target.0 as u64,
                }
            }
            Step::EpollWait { epfd, maxevents } => Op::EpollWait {
                epfd: fd(*epfd),
                maxevents: *maxevents,
            },
            Step::Pipe2 { flags } => Op::Pipe2 { flags: *flags },
            Step::EventFd2 { init, flags } => Op::EventFd2 {
                init: *init,
                flags: *flags,
            },
            Step::Poll { fds, ppoll } => Op::Poll {
                fds: fds.iter().map(|&(p, ev)| (fd(p), ev)).collect(),
                ppoll: *ppoll,
            },
            Step::EpollPwait {
                epfd,
                maxevents,
                pwait2,
            } => Op::EpollPwait {
                epfd: fd(*epfd),
                maxevents: *maxevents,
                pwait2: *pwait2,
            },
            Step::Settle => Op::Settle,
            Step::Nap => return Call::Nap,
            Step::Unix(u) => self.resolve_unix(u),
        };
        Call::Op(op)
    }
}

/// A `writev` on an eventfd. eventfd has no `write_iter`, so Linux writes it slice by slice,
/// each slice one `write`; when the first slice decides the outcome, that is the model's
/// `EventFdWrite` of the first slice's length. Two 8-byte slices (two writes) and 0 bytes in
/// all (`vfs_writev` returns 0 before any write) are not one model op: skipped.
fn eventfd_writev(fd: Fd, lens: &[usize], value: u64) -> Call {
    let shown = format!("efd_writev({}, {value}, &{lens:?})", fd.0);
    if lens.iter().sum::<usize>() == 0 {
        let why = "an eventfd writev of 0 bytes (returns 0 before any write)";
        return Call::Skip { shown, why };
    }
    if lens[0] == 8 && lens.get(1).is_some_and(|&n| n >= 8) {
        let why = "an eventfd writev whose first two slices are both written";
        return Call::Skip { shown, why };
    }
    Call::Writev {
        op: Op::EventFdWrite {
            fd,
            value,
            len: lens[0],
        },
        lens: lens.to_vec(),
    }
}

fn write_op(fd: Fd, len: usize, value: u64, is_eventfd: impl Fn(Fd) -> bool) -> Op {
    if is_eventfd(fd) {
        Op::EventFdWrite { fd, value, len }
    } else {
        Op::Write { fd, len }
    }
}

/// A resolved call as the regression-test constructor that makes it (`regressions.rs`), so a
/// shrunk failure can be pasted into a named test.
impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Call::Nap => write!(f, "nap()"),
            Call::Skip { shown, .. } => write!(f, "{shown}"),
            Call::GetSockName { fd } => write!(f, "getsockname({})", fd.0),
            Call::GetPeerName { fd } => write!(f, "getpeername({})", fd.0),
            Call::Writev {
                op: Op::EventFdWrite { fd, value, .. },
                lens,
            } => write!(f, "efd_writev({}, {value}, &{lens:?})", fd.0),
            Call::Writev { op, lens } => match op {
                Op::Write { fd, .. } => write!(f, "writev({}, &{lens:?})", fd.0),
                other => write!(f, "writev({other:?}, &{lens:?})"),
            },
            Call::Op(op) => match op {
                Op::Socket => write!(f, "socket()"),
                Op::Bind { fd, port } => write!(f, "bind({}, {})", fd.0, port.0),
                Op::Listen { fd, backlog } => write!(f, "listen({}, {backlog})", fd.0),
                Op::Connect { fd, port } => write!(f, "connect({}, {})", fd.0, port.0),
                Op::Accept { fd } => write!(f, "accept({})", fd.0),
                Op::SoError { fd } => write!(f, "so_error({})", fd.0),
                Op::Shutdown { fd, how } => write!(f, "shutdown({}, Shut::{how:?})", fd.0),
                Op::SetSockOpt { fd, opt } => write!(f, "setsockopt({}, SockOpt::{opt:?})", fd.0),
                Op::Read { fd, len } => write!(f, "read({}, {len})", fd.0),
                Op::Write { fd, len } => write!(f, "write({}, {len})", fd.0),
                Op::Close { fd } => write!(f, "close({})", fd.0),
                Op::Dup { fd } => write!(f, "dup({})", fd.0),
                Op::Fcntl { fd, cmd } => write!(f, "fcntl({}, Fcntl::{cmd:?})", fd.0),
                Op::Fionread { fd } => write!(f, "fionread({})", fd.0),
                Op::Dup3 { fd, newfd, flags } => {
                    write!(f, "dup3({}, {}, Some({flags:#o}))", fd.0, newfd.0)
                }
                Op::Dup2 { fd, newfd } => write!(f, "dup3({}, {}, None)", fd.0, newfd.0),
                Op::Pipe => write!(f, "pipe()"),
                Op::EventFd { init, semaphore } => write!(f, "eventfd({init}, {semaphore})"),
                Op::EventFdRead { fd, len } => write!(f, "read({}, {len})", fd.0),
                Op::EventFdWrite { fd, value, len } => {
                    write!(f, "efd_write({}, {value}, {len})", fd.0)
                }
                Op::EpollCreate => write!(f, "epoll_create()"),
                Op::EpollCtl {
                    epfd,
                    op,
                    fd,
                    events,
                    ..
                } => write!(
                    f,
                    "ctl({}, Ctl::{op:?}, {}, {})",
                    epfd.0,
                    fd.0,
                    events_expr(*events)
                ),
                Op::EpollWait { epfd, maxevents } => write!(f, "wait({}, {maxevents})", epfd.0),
                Op::UdpSocket => write!(f, "udp_socket()"),
                Op::SendTo { fd, len, to } => {
                    write!(f, "sendto({}, {len}, {:?})", fd.0, to.map(|p| p.0))
                }
                Op::RecvFrom {
                    fd,
                    len,
                    peek,
                    trunc,
                } => write!(f, "recvfrom({}, {len}, {peek}, {trunc})", fd.0),
                Op::GetSockOpt { fd, opt } => {
                    write!(f, "getsockopt({}, SockOptGet::{opt:?})", fd.0)
                }
                Op::Pipe2 { flags } => write!(f, "pipe2_flags({flags:#o})"),
                Op::EventFd2 { init, flags } => write!(f, "eventfd2({init}, {flags:#o})"),
                Op::Poll { fds, ppoll } => {
                    let fds: Vec<(i32, i16)> = fds.iter().map(|&(fd, ev)| (fd.0, ev)).collect();
                    write!(f, "poll(&{fds:?}, {ppoll})")
                }
                Op::EpollPwait {
                    epfd,
                    maxevents,
                    pwait2,
                } => write!(f, "pwait({}, {maxevents}, {pwait2})", epfd.0),
                Op::Settle => write!(f, "settle()"),
                Op::UnixSocket { .. }
                | Op::SocketPair { .. }
                | Op::UnixBind { .. }
                | Op::UnixConnect { .. }
                | Op::UnixAccept { .. }
                | Op::UnixSendTo { .. }
                | Op::UnixRecvFrom { .. }
                | Op::GetUnixName { .. }
                | Op::Unlink { .. } => unix::display(op, f),
            },
        }
    }
}

/// An event mask as a Rust expression over the model's constants: `IN | ET`.
pub fn events_expr(events: u32) -> String {
    let names = simkern::model::event::describe(events);
    if names == "0" {
        return "0".into();
    }
    names.replace('|', " | ")
}
