//! The driver: runs one sequence on one `Sys` backend, op by op, in lockstep with a `Model`
//! that judges every outcome.
//!
//! Owns: turning a resolved `Call` into `Sys` calls and their results into the model's
//! `Outcome`s; the stream content check; the `Record` of each step and the first `Failure`.
//! Per step: resolve the fds (`Fds::resolve`); skip ops the model does not cover
//! (`Model::check`); run the call; `Model::observe` the outcome. The model follows whichever
//! allowed answer the backend gave, so a later op is judged in the state this backend is in.
//! What differs between backends is behind `Backend`: how fds and ports map to real ones,
//! and how `Settle` and `Nap` let time pass.
//!
//! Content: every byte written to a stream is `pattern(offset)`, its offset in the writing
//! file's stream; every byte read must be `pattern(offset)` at the reading file's offset.
//! Since a stream carries exactly what its one writing file wrote, in order, a lost,
//! duplicated or reordered byte shows up (the model counts bytes only).

use crate::step::{Call, FdKind, Fds, Step};
use simkern::model::{
    self, Disagreement, Event, Fd, Model, Op, Outcome, Port, Shut, SockOpt, SockOptGet,
};
use simkern::poller::sys::{
    self, Domain, EpollEvent, EpollOp, Errno, MsgFlags, PollFd, Shutdown, SockType, Sys, SysResult,
};
use std::collections::BTreeMap;
use std::io::IoSlice;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

#[path = "unix_run.rs"]
mod unix;

/// What differs between the simulator and Linux.
pub trait Backend {
    type S: Sys;
    fn sys(&self) -> Self::S;
    /// The backend's fd for model fd `fd` (one surely not open if the model's is not).
    fn real(&self, fd: Fd) -> Fd;
    /// A call returned the new fd `real`; the model numbers it `model`. Returns the number
    /// to report to the model: `real` where the backend numbers fds as the model does (the
    /// simulator, whose lowest-free numbering is then checked), else `model`.
    fn adopt(&mut self, model: Fd, real: Fd) -> Fd;
    /// Model fd `fd` was closed.
    fn forget(&mut self, fd: Fd);
    /// The real port for a model port, or why there is none.
    fn port(&mut self, port: Port) -> Result<u16, String>;
    /// A port as the comparison sees it: `0`, `port K` (a model port) or `ephemeral`.
    fn classify(&self, port: u16) -> String;
    /// Lets the network go quiet (the model's `Settle`).
    fn settle(&mut self);
    /// Lets a little time pass without settling.
    fn nap(&mut self);
    /// The backend's address for a model Unix name, or why there is none.
    fn unix_addr(&mut self, name: simkern::model::UnixName) -> Result<sys::UnixAddr, String>;
    /// The model name of an address the backend reported, if it is one of the sequence's.
    fn unix_name(&self, addr: &sys::UnixAddr) -> Option<simkern::model::UnixName>;
}

/// Why a run stopped before its last step, with no disagreement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CutShort {
    /// The model tracks too many states (`Config::max_worlds`).
    TooUncertain,
    /// The harness could not run the step safely (and says why).
    Harness(String),
}

/// What went wrong at a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The model does not allow the outcome (its message, with the allowed set and state).
    Model(String),
    /// A byte read is not the byte written at that offset.
    Content(String),
    /// The backend panicked (the simulated kernel's assertions) or stopped otherwise.
    Stopped(String),
}

/// One step as one backend ran it.
#[derive(Clone, Debug, Default)]
pub struct Record {
    /// The resolved call, as a regression-test constructor.
    pub call: String,
    pub kind: &'static str,
    /// The outcome, model-level ("-" while running, "skipped: why" when not run).
    pub outcome: String,
    /// What the model allowed (explain mode only).
    pub allowed: Option<String>,
    /// A result compared between backends directly (`getsockname`, `accept4`'s peer).
    pub extra: Option<String>,
    /// The model judged the outcome.
    pub judged: bool,
    /// After a `Settle`: the model's state set, as `Model::dump` prints it (what the direct
    /// comparison of the next step requires to be one state, the same on both backends).
    pub state: Option<String>,
}

/// One sequence on one backend.
#[derive(Clone, Debug, Default)]
pub struct Run {
    pub records: Vec<Record>,
    /// The first failure and the index of its step.
    pub failure: Option<(usize, Failure)>,
    pub cut_short: Option<CutShort>,
}

/// The byte at `offset` of every stream.
fn pattern(offset: u64) -> u8 {
    (offset % 251) as u8
}

struct Driver<B: Backend> {
    b: B,
    model: Model,
    fds: Fds,
    /// Per open file: (bytes read, bytes written) of its stream.
    offsets: BTreeMap<u32, (u64, u64)>,
    explain: bool,
}

/// Runs `steps` on `b`, judged by a model made with `cfg`. `run` is filled as the steps go
/// (so a backend that panics mid-step leaves the records up to that step).
pub fn drive<B: Backend>(
    b: B,
    cfg: model::Config,
    steps: &[Step],
    explain: bool,
    run: &mut Run,
) -> B {
    let mut d = Driver {
        fds: Fds::new(cfg.first_fd),
        model: Model::new(cfg),
        b,
        offsets: BTreeMap::new(),
        explain,
    };
    for (i, step) in steps.iter().enumerate() {
        let call = d.fds.resolve(step);
        run.records.push(Record {
            call: call.to_string(),
            kind: call.kind(),
            outcome: "-".into(),
            ..Record::default()
        });
        match d.step(&call, run.records.last_mut().expect("just pushed")) {
            Ok(()) => {}
            Err(Stop::Fail(f)) => {
                run.failure = Some((i, f));
                break;
            }
            Err(Stop::Cut(c)) => {
                run.cut_short = Some(c);
                break;
            }
        }
    }
    d.b
}

enum Stop {
    Fail(Failure),
    Cut(CutShort),
}

fn model_stop(e: Disagreement) -> Stop {
    match e {
        Disagreement::TooUncertain { .. } => Stop::Cut(CutShort::TooUncertain),
        other => Stop::Fail(Failure::Model(other.to_string())),
    }
}

fn err<T>(r: SysResult<T>, ok: impl FnOnce(T) -> Outcome) -> Outcome {
    match r {
        Ok(v) => ok(v),
        Err(Errno(e)) => Outcome::Err(e),
    }
}

const LOOPBACK: Ipv4Addr = Ipv4Addr::LOCALHOST;

impl<B: Backend> Driver<B> {
    fn step(&mut self, call: &Call, rec: &mut Record) -> Result<(), Stop> {
        let Some(op) = call.op() else {
            let (outcome, extra) = self.untracked(call);
            rec.outcome = outcome;
            rec.extra = extra;
            return Ok(());
        };
        if let Err(e) = self.model.check(op) {
            rec.outcome = match e {
                Disagreement::Unsupported { why, .. } => format!("skipped: {why}"),
                other => format!("skipped: {other}"),
            };
            return Ok(());
        }
        if self.explain {
            let allowed = self.model.allowed(op).map_err(model_stop)?;
            rec.allowed = Some(allowed.to_string().replace('\n', " "));
        }
        let (outcome, extra) = self.exec(call, op)?;
        rec.outcome = format!("{outcome:?}");
        rec.extra = extra;
        self.model.observe(op, &outcome).map_err(model_stop)?;
        rec.judged = true;
        if *op == Op::Settle {
            rec.state = Some(self.model.dump());
        }
        self.fds.learn(op, &outcome);
        Ok(())
    }

    /// Calls the model does not judge: `getsockname` and `Nap`.
    fn untracked(&mut self, call: &Call) -> (String, Option<String>) {
        match call {
            Call::GetSockName { fd } => {
                let r = self.b.sys().getsockname(self.real(*fd));
                match r {
                    Ok(addr) => {
                        let a = self.addr(addr);
                        (a.clone(), Some(a))
                    }
                    Err(e) => {
                        let s = format!("{:?}", Outcome::Err(e.0));
                        (s.clone(), Some(s))
                    }
                }
            }
            Call::GetPeerName { fd } => {
                let s = match self.b.sys().getpeername(self.real(*fd)) {
                    Ok(addr) => self.addr(addr),
                    Err(e) => format!("{:?}", Outcome::Err(e.0)),
                };
                (s.clone(), Some(s))
            }
            Call::Nap => {
                self.b.nap();
                ("Ok".into(), None)
            }
            Call::Skip { why, .. } => (format!("skipped: {why}"), None),
            Call::Op(_) | Call::Writev { .. } => unreachable!("judged calls go through exec"),
        }
    }

    /// An address as compared across backends: the IP, and the port's class.
    fn addr(&self, addr: SocketAddr) -> String {
        match addr {
            SocketAddr::V4(a) => format!("{}:{}", a.ip(), self.b.classify(a.port())),
            SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
        }
    }

    /// Reports the new fd `real` that the model numbers `n`-th lowest free.
    fn adopt(&mut self, n: usize, real: sys::Fd) -> Fd {
        let model = self.fds.lowest_free(n + 1)[n];
        self.b.adopt(model, Fd(real.0))
    }

    fn real(&self, fd: Fd) -> sys::Fd {
        sys::Fd(self.b.real(fd).0)
    }

    fn exec(&mut self, call: &Call, op: &Op) -> Result<(Outcome, Option<String>), Stop> {
        let s = self.b.sys();
        let mut extra = None;
        let outcome = match *op {
            Op::Socket => err(s.socket(Domain::Inet, SockType::Stream), |fd| {
                Outcome::Fd(self.adopt(0, fd))
            }),
            Op::Bind { fd, port } => {
                let port = self.port(port)?;
                let addr = SocketAddr::V4(SocketAddrV4::new(LOOPBACK, port));
                err(s.bind(self.real(fd), addr), |()| Outcome::Ok)
            }
            Op::Listen { fd, backlog } => {
                self.bind_before_listen(op, fd)?;
                err(s.listen(self.real(fd), backlog), |()| Outcome::Ok)
            }
            Op::Connect { fd, port } => {
                let port = self.port(port)?;
                let addr = SocketAddr::V4(SocketAddrV4::new(LOOPBACK, port));
                err(s.connect(self.real(fd), addr), |()| Outcome::Ok)
            }
            Op::Accept { fd } => match s.accept4(self.real(fd)) {
                Ok((new, peer)) => {
                    extra = Some(format!("peer {}", self.addr(peer)));
                    Outcome::Fd(self.adopt(0, new))
                }
                Err(e) => Outcome::Err(e.0),
            },
            Op::SoError { fd } => err(s.so_error(self.real(fd)), |e| {
                Outcome::SoError(e.map_or(0, |e| e.0))
            }),
            Op::Shutdown { fd, how } => {
                let how = match how {
                    Shut::Rd => Shutdown::Read,
                    Shut::Wr => Shutdown::Write,
                    Shut::RdWr => Shutdown::Both,
                };
                err(s.shutdown(self.real(fd), how), |()| Outcome::Ok)
            }
            Op::SetSockOpt { fd, opt } => {
                let opt = match opt {
                    SockOpt::ReuseAddr(on) => sys::SockOpt::ReuseAddr(on),
                    SockOpt::NoDelay(on) => sys::SockOpt::NoDelay(on),
                    SockOpt::Linger(secs) => sys::SockOpt::Linger(secs),
                    SockOpt::Ttl(ttl) => sys::SockOpt::Ttl(ttl),
                    SockOpt::Broadcast(on) => sys::SockOpt::Broadcast(on),
                    SockOpt::MulticastTtl(ttl) => sys::SockOpt::MulticastTtl(ttl),
                    SockOpt::MulticastLoop(on) => sys::SockOpt::MulticastLoop(on),
                };
                err(s.setsockopt(self.real(fd), opt), |()| Outcome::Ok)
            }
            Op::Read { fd, len } => {
                let mut buf = vec![0u8; len];
                match s.read(self.real(fd), &mut buf) {
                    Ok(n) => {
                        self.check_content(fd, &buf[..n])?;
                        Outcome::Bytes(n)
                    }
                    Err(e) => Outcome::Err(e.0),
                }
            }
            Op::EventFdRead { fd, len } => {
                let mut buf = vec![0u8; len];
                err(s.read(self.real(fd), &mut buf), |n| match n {
                    8 => Outcome::Value(u64::from_ne_bytes(buf[..8].try_into().expect("8"))),
                    n => Outcome::Bytes(n),
                })
            }
            Op::Write { fd, .. } | Op::EventFdWrite { fd, .. } => {
                let total = match call {
                    Call::Writev { lens, .. } => lens.iter().sum(),
                    _ => match *op {
                        Op::Write { len, .. } | Op::EventFdWrite { len, .. } => len,
                        _ => unreachable!("a write"),
                    },
                };
                let bytes = self.bytes_to_write(op, total);
                let r = match call {
                    Call::Writev { lens, .. } => {
                        let mut slices = Vec::new();
                        let mut at = 0;
                        for &len in lens {
                            slices.push(IoSlice::new(&bytes[at..at + len]));
                            at += len;
                        }
                        s.writev(self.real(fd), &slices)
                    }
                    _ => s.write(self.real(fd), &bytes),
                };
                match r {
                    Ok(n) => {
                        if matches!(op, Op::Write { .. }) {
                            self.wrote(fd, n);
                        }
                        Outcome::Bytes(n)
                    }
                    Err(e) => Outcome::Err(e.0),
                }
            }
            Op::Close { fd } => {
                let r = s.close(self.real(fd));
                if r.is_ok() {
                    self.b.forget(fd);
                }
                err(r, |()| Outcome::Ok)
            }
            Op::Dup { fd } => err(s.dup(self.real(fd)), |new| Outcome::Fd(self.adopt(0, new))),
            Op::Fcntl { fd, cmd } => {
                let cmd = match cmd {
                    model::Fcntl::GetFd => sys::Fcntl::GetFd,
                    model::Fcntl::SetFd(arg) => sys::Fcntl::SetFd(arg),
                    model::Fcntl::GetFl => sys::Fcntl::GetFl,
                    model::Fcntl::SetFl(arg) => sys::Fcntl::SetFl(arg),
                };
                err(s.fcntl(self.real(fd), cmd), Outcome::Int)
            }
            Op::Fionread { fd } => err(s.fionread(self.real(fd)), Outcome::Int),
            Op::Dup3 { fd, newfd, .. } | Op::Dup2 { fd, newfd } => {
                let (old, new) = (self.real(fd), self.real(newfd));
                let r = match *op {
                    Op::Dup3 { flags, .. } => s.dup3(old, new, sys::Dup3Flags(flags)),
                    _ => s.dup2(old, new),
                };
                // Model fds name real ones: the real answer must be newfd's real number.
                err(r, |got| {
                    Outcome::Fd(if got == new { newfd } else { Fd(-2) })
                })
            }
            Op::Pipe => err(s.pipe2(), |(r, w)| {
                let r = self.adopt(0, r);
                let w = self.adopt(1, w);
                Outcome::Pair(r, w)
            }),
            Op::EventFd { init, semaphore } => err(s.eventfd(init, semaphore), |fd| {
                Outcome::Fd(self.adopt(0, fd))
            }),
            Op::EpollCreate => err(s.epoll_create(), |fd| Outcome::Fd(self.adopt(0, fd))),
            Op::EpollCtl {
                epfd,
                op: ctl,
                fd,
                events,
                data,
            } => {
                let (ctl, event) = match ctl {
                    model::Ctl::Add => (EpollOp::Add, Some(EpollEvent::new(events, data))),
                    model::Ctl::Mod => (EpollOp::Mod, Some(EpollEvent::new(events, data))),
                    model::Ctl::Del => (EpollOp::Del, None),
                };
                let r = s.epoll_ctl(self.real(epfd), ctl, self.real(fd), event);
                err(r, |()| Outcome::Ok)
            }
            Op::EpollWait { epfd, maxevents } => {
                let mut buf = vec![EpollEvent::zeroed(); usize::try_from(maxevents).unwrap_or(0)];
                err(s.epoll_wait(self.real(epfd), &mut buf, 0), |n| {
                    let events = buf[..n].iter().map(|e| Event::new(e.data(), e.events()));
                    Outcome::Events(events.collect())
                })
            }
            Op::EpollPwait {
                epfd,
                maxevents,
                pwait2,
            } => {
                let mut buf = vec![EpollEvent::zeroed(); usize::try_from(maxevents).unwrap_or(0)];
                let r = match pwait2 {
                    false => s.epoll_pwait(self.real(epfd), &mut buf, 0),
                    true => s.epoll_pwait2(self.real(epfd), &mut buf, Some(Duration::ZERO)),
                };
                err(r, |n| {
                    let events = buf[..n].iter().map(|e| Event::new(e.data(), e.events()));
                    Outcome::Events(events.collect())
                })
            }
            Op::Poll { ref fds, ppoll } => {
                let mut real: Vec<PollFd> = fds
                    .iter()
                    .map(|&(fd, ev)| PollFd::new(self.real(fd), ev))
                    .collect();
                let r = match ppoll {
                    false => s.poll(&mut real, 0),
                    true => s.ppoll(&mut real, Some(Duration::ZERO)),
                };
                err(r, |_| {
                    Outcome::Revents(real.iter().map(|p| p.revents).collect())
                })
            }
            Op::Pipe2 { flags } => err(s.pipe2_flags(sys::PipeFlags(flags)), |(r, w)| {
                let r = self.adopt(0, r);
                let w = self.adopt(1, w);
                Outcome::Pair(r, w)
            }),
            Op::EventFd2 { init, flags } => {
                err(s.eventfd_flags(init, sys::EfdFlags(flags)), |fd| {
                    Outcome::Fd(self.adopt(0, fd))
                })
            }
            Op::UdpSocket => err(s.socket(Domain::Inet, SockType::Dgram), |fd| {
                Outcome::Fd(self.adopt(0, fd))
            }),
            Op::SendTo { fd, len, to } => {
                let to = match to {
                    Some(p) => {
                        let port = self.port(p)?;
                        Some(SocketAddr::V4(SocketAddrV4::new(LOOPBACK, port)))
                    }
                    None => None,
                };
                let bytes: Vec<u8> = match self.fds.kind(fd) {
                    Some(FdKind::Socket) => self.bytes_to_write(&Op::Write { fd, len }, len),
                    _ => vec![0x5a; len],
                };
                match s.sendto(self.real(fd), &bytes, MsgFlags::EMPTY, to) {
                    Ok(n) => {
                        if self.fds.kind(fd) == Some(FdKind::Socket) {
                            self.wrote(fd, n);
                        }
                        Outcome::Bytes(n)
                    }
                    Err(e) => Outcome::Err(e.0),
                }
            }
            Op::RecvFrom {
                fd,
                len,
                peek,
                trunc,
            } => {
                let mut flags = MsgFlags::EMPTY;
                if peek {
                    flags = flags | MsgFlags::PEEK;
                }
                if trunc {
                    flags = flags | MsgFlags::TRUNC;
                }
                let mut buf = vec![0u8; len];
                let tcp = self.fds.kind(fd) == Some(FdKind::Socket);
                match s.recvfrom(self.real(fd), &mut buf, flags) {
                    Ok((n, None)) if tcp => {
                        // Peeked bytes are checked and stay unread; MSG_TRUNC's are not copied.
                        let at = self.offset(fd).0;
                        if !trunc {
                            self.check_content(fd, &buf[..n])?;
                        }
                        let o = self.fds.object(fd).expect("an open socket");
                        self.offsets.entry(o).or_default().0 =
                            if peek { at } else { at + n as u64 };
                        Outcome::Bytes(n)
                    }
                    Ok((n, from)) => {
                        let got = n.min(len);
                        if let Some(k) = (0..got).find(|&k| buf[k] != 0x5a) {
                            return Err(Stop::Fail(Failure::Content(format!(
                                "recvfrom on fd{}: byte {k} of the datagram is {}, not 0x5a",
                                fd.0, buf[k]
                            ))));
                        }
                        let from = from.and_then(|a| self.model_port(a.port()));
                        Outcome::Datagram { len: n, from }
                    }
                    Err(e) => Outcome::Err(e.0),
                }
            }
            Op::GetSockOpt { fd, opt } => {
                let opt = match opt {
                    SockOptGet::SndBuf => sys::SockOptGet::SndBuf,
                    SockOptGet::RcvBuf => sys::SockOptGet::RcvBuf,
                    SockOptGet::Type => sys::SockOptGet::Type,
                    SockOptGet::Error => sys::SockOptGet::Error,
                    SockOptGet::NoDelay => sys::SockOptGet::NoDelay,
                    SockOptGet::Ttl => sys::SockOptGet::Ttl,
                    SockOptGet::Broadcast => sys::SockOptGet::Broadcast,
                    SockOptGet::MulticastTtl => sys::SockOptGet::MulticastTtl,
                    SockOptGet::MulticastLoop => sys::SockOptGet::MulticastLoop,
                };
                err(s.getsockopt(self.real(fd), opt), Outcome::Int)
            }
            Op::Settle => {
                self.b.settle();
                Outcome::Ok
            }
            Op::UnixSocket { .. }
            | Op::SocketPair { .. }
            | Op::UnixBind { .. }
            | Op::UnixConnect { .. }
            | Op::UnixAccept { .. }
            | Op::UnixSendTo { .. }
            | Op::UnixRecvFrom { .. }
            | Op::GetUnixName { .. }
            | Op::Unlink { .. } => self.exec_unix(op)?,
        };
        Ok((outcome, extra))
    }

    /// The model port a real port is, if it is one (`classify` says `port K`).
    fn model_port(&self, real: u16) -> Option<Port> {
        let class = self.b.classify(real);
        class.strip_prefix("port ")?.parse().ok().map(Port)
    }

    fn port(&mut self, port: Port) -> Result<u16, Stop> {
        self.b
            .port(port)
            .map_err(|why| Stop::Cut(CutShort::Harness(why)))
    }

    /// Binds a socket to 127.0.0.1:0 before a `listen` the model says succeeds, unless its
    /// name is already 127.0.0.1 and a port, on every backend alike: Linux would otherwise
    /// bind the listener to 0.0.0.0 (an unbound socket, or one whose source address a failed
    /// `connect` reset while its old port still shows), and this harness never listens beyond
    /// loopback. Port 0 takes no `SOCK_BINDPORT_LOCK`, so the port is as ephemeral as
    /// `listen`'s own autobind (the model's view).
    fn bind_before_listen(&mut self, op: &Op, fd: Fd) -> Result<(), Stop> {
        let s = self.b.sys();
        let unbound = matches!(
            s.getsockname(self.real(fd)),
            Ok(SocketAddr::V4(a)) if a.port() == 0 || a.ip().is_unspecified()
        );
        if !unbound {
            return Ok(());
        }
        let succeeds = self.model.allowed(op).map_err(model_stop)?;
        if !succeeds.contains(&Outcome::Ok) {
            return Ok(()); // it fails before autobinding: nothing to guard against
        }
        let any = SocketAddr::V4(SocketAddrV4::new(LOOPBACK, 0));
        s.bind(self.real(fd), any).map_err(|e| {
            Stop::Cut(CutShort::Harness(format!(
                "bind(127.0.0.1:0) before listen failed ({e:?}); listen would bind 0.0.0.0"
            )))
        })
    }

    /// The `len` bytes a write sends: the stream pattern from the writer's offset, 0x5a on
    /// a UDP socket, or the eventfd counter value then zeros.
    fn bytes_to_write(&self, op: &Op, len: usize) -> Vec<u8> {
        match *op {
            Op::EventFdWrite { value, .. } => {
                let mut bytes = value.to_ne_bytes().to_vec();
                bytes.resize(len, 0);
                bytes
            }
            // Datagrams carry one byte value throughout (`recvfrom` checks it).
            Op::Write { fd, .. }
                if matches!(self.fds.kind(fd), Some(FdKind::Udp | FdKind::UnixDgram)) =>
            {
                vec![0x5a; len]
            }
            Op::Write { fd, .. } => {
                let from = self.offset(fd).1;
                (0..len as u64).map(|k| pattern(from + k)).collect()
            }
            _ => unreachable!("bytes_to_write of {op:?}"),
        }
    }

    fn offset(&self, fd: Fd) -> (u64, u64) {
        self.fds
            .object(fd)
            .and_then(|o| self.offsets.get(&o).copied())
            .unwrap_or((0, 0))
    }

    fn wrote(&mut self, fd: Fd, n: usize) {
        if let Some(o) = self.fds.object(fd) {
            self.offsets.entry(o).or_default().1 += n as u64;
        }
    }

    /// Checks the bytes a stream read returned, and advances the reader's offset.
    fn check_content(&mut self, fd: Fd, got: &[u8]) -> Result<(), Stop> {
        let streams = matches!(
            self.fds.kind(fd),
            Some(FdKind::Socket | FdKind::PipeRead | FdKind::UnixStream)
        );
        let Some(o) = self.fds.object(fd).filter(|_| streams) else {
            return Ok(());
        };
        let from = self.offsets.get(&o).map_or(0, |&(r, _)| r);
        if let Some(k) = (0..got.len()).find(|&k| got[k] != pattern(from + k as u64)) {
            return Err(Stop::Fail(Failure::Content(format!(
                "read on fd{}: byte {} of the stream is {}, but {} was written there",
                fd.0,
                from + k as u64,
                got[k],
                pattern(from + k as u64)
            ))));
        }
        self.offsets.entry(o).or_default().0 += got.len() as u64;
        Ok(())
    }
}
