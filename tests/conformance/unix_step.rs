//! The Unix-domain steps (`UnixStep`, a `Step::Unix`): their resolution into model ops, their
//! kinds for the statistics, and their display as regression-test constructors.
//!
//! Names are the model's `UnixName` indices; each backend maps them to real names
//! (`Backend::unix_addr`). The calls every socket takes (`listen`, `shutdown`, `read`,
//! `write`, options, `close`) are the ordinary `Step`s on an fd picked `Want::Unix`.

use super::{FdKind, Fds, Pick};
use simkern::model::{Op, UnixName};
use std::fmt;

/// One generated Unix-domain call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnixStep {
    Socket {
        dgram: bool,
    },
    Pair {
        dgram: bool,
    },
    Bind {
        fd: Pick,
        name: UnixName,
    },
    Connect {
        fd: Pick,
        name: UnixName,
    },
    Accept {
        fd: Pick,
    },
    SendTo {
        fd: Pick,
        len: usize,
        to: Option<UnixName>,
        dontwait: bool,
    },
    RecvFrom {
        fd: Pick,
        len: usize,
        peek: bool,
        trunc: bool,
        dontwait: bool,
    },
    /// `getsockname` (`peer` false) or `getpeername`.
    Name {
        fd: Pick,
        peer: bool,
    },
    Unlink {
        name: UnixName,
    },
}

impl FdKind {
    pub fn unix(dgram: bool) -> FdKind {
        if dgram {
            FdKind::UnixDgram
        } else {
            FdKind::UnixStream
        }
    }

    pub fn is_unix(self) -> bool {
        matches!(self, FdKind::UnixStream | FdKind::UnixDgram)
    }
}

impl Fds {
    /// The model op of a Unix step with these fds open.
    pub(super) fn resolve_unix(&self, step: &UnixStep) -> Op {
        let fd = |p: Pick| self.pick(p);
        match *step {
            UnixStep::Socket { dgram } => Op::UnixSocket { dgram },
            UnixStep::Pair { dgram } => Op::SocketPair { dgram },
            UnixStep::Bind { fd: p, name } => Op::UnixBind { fd: fd(p), name },
            UnixStep::Connect { fd: p, name } => Op::UnixConnect { fd: fd(p), name },
            UnixStep::Accept { fd: p } => Op::UnixAccept { fd: fd(p) },
            UnixStep::SendTo {
                fd: p,
                len,
                to,
                dontwait,
            } => Op::UnixSendTo {
                fd: fd(p),
                len,
                to,
                dontwait,
            },
            UnixStep::RecvFrom {
                fd: p,
                len,
                peek,
                trunc,
                dontwait,
            } => Op::UnixRecvFrom {
                fd: fd(p),
                len,
                peek,
                trunc,
                dontwait,
            },
            UnixStep::Name { fd: p, peer } => Op::GetUnixName { fd: fd(p), peer },
            UnixStep::Unlink { name } => Op::Unlink { name },
        }
    }
}

/// The statistics' kind of a Unix op.
pub fn op_kind(op: &Op) -> &'static str {
    match op {
        Op::UnixSocket { .. } => "socket(unix)",
        Op::SocketPair { .. } => "socketpair",
        Op::UnixBind { .. } => "bind(unix)",
        Op::UnixConnect { .. } => "connect(unix)",
        Op::UnixAccept { .. } => "accept4(unix)",
        Op::UnixSendTo { .. } => "sendto(unix)",
        Op::UnixRecvFrom { .. } => "recvfrom(unix)",
        Op::GetUnixName { peer: false, .. } => "getsockname(unix)",
        Op::GetUnixName { peer: true, .. } => "getpeername(unix)",
        Op::Unlink { .. } => "unlink",
        other => unreachable!("not a Unix op: {other:?}"),
    }
}

/// A Unix op as the constructor `unix_regressions.rs` takes.
pub fn display(op: &Op, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match *op {
        Op::UnixSocket { dgram } => write!(f, "unix_socket({dgram})"),
        Op::SocketPair { dgram } => write!(f, "socketpair({dgram})"),
        Op::UnixBind { fd, name } => write!(f, "unix_bind({}, {name:?})", fd.0),
        Op::UnixConnect { fd, name } => write!(f, "unix_connect({}, {name:?})", fd.0),
        Op::UnixAccept { fd } => write!(f, "unix_accept({})", fd.0),
        Op::UnixSendTo {
            fd,
            len,
            to,
            dontwait,
        } => write!(f, "unix_sendto({}, {len}, {to:?}, {dontwait})", fd.0),
        Op::UnixRecvFrom {
            fd,
            len,
            peek,
            trunc,
            dontwait,
        } => write!(
            f,
            "unix_recvfrom({}, {len}, {peek}, {trunc}, {dontwait})",
            fd.0
        ),
        Op::GetUnixName { fd, peer } => write!(f, "unix_name({}, {peer})", fd.0),
        Op::Unlink { name } => write!(f, "unlink({name:?})"),
        ref other => unreachable!("not a Unix op: {other:?}"),
    }
}
