//! `World::unix_branches` and `World::unix_unsupported`: which ops on a Unix-domain socket
//! the model answers, and the call body each goes to.

use crate::errno::{EINVAL, EMFILE, ENOTSOCK, EOPNOTSUPP};
use crate::file::{Kind, UnixId};
use crate::model::Branch;
use crate::op::{Fd, Op, Outcome, SockOpt, UnixName};
use crate::world::World;

impl World {
    /// The branches of `op` when it is a Unix op or names a Unix socket; `None` otherwise.
    pub(crate) fn unix_branches(&self, op: &Op) -> Option<Vec<Branch>> {
        type Body<'a> = &'a dyn Fn(&mut World, UnixId) -> Result<Outcome, i32>;
        // A Unix call: `EBADF`, `ENOTSOCK`, or the body (an inet socket is unsupported).
        let call = |fd: Fd, body: Body| match self.unix_of(fd) {
            Err(e) => self.fail(e),
            Ok(Some(u)) => self.exact(|w| body(w, u)),
            Ok(None) => self.fail(ENOTSOCK),
        };
        // A call every socket takes: answered here only on a Unix socket.
        let on = |fd: Fd, body: Body| match self.unix_of(fd) {
            Ok(Some(u)) => Some(self.exact(|w| body(w, u))),
            _ => None,
        };
        match *op {
            // `Sys` refuses a name no `sockaddr_un` can hold before making the call.
            Op::UnixBind {
                name: UnixName::Unnamed,
                ..
            }
            | Op::UnixConnect {
                name: UnixName::Unnamed,
                ..
            }
            | Op::UnixSendTo {
                to: Some(UnixName::Unnamed),
                ..
            } => Some(self.fail(EINVAL)),
            Op::UnixSocket { dgram } => Some(self.exact(|w| w.unix_socket(dgram))),
            Op::SocketPair { dgram } => Some(self.exact(|w| w.socketpair(dgram))),
            Op::Unlink { name } => Some(self.exact(|w| w.unix_unlink(name))),
            Op::UnixBind { fd, name } => Some(call(fd, &|w, u| w.unix_bind(u, name))),
            Op::UnixConnect { fd, name } => Some(call(fd, &|w, u| w.unix_connect(u, name))),
            Op::UnixAccept { fd } => Some(match self.file_of(fd) {
                Err(e) => self.fail(e),
                Ok(_) if self.fds.lowest_free().is_none() => self.fail(EMFILE),
                Ok(_) => call(fd, &|w, u| w.unix_accept(u)),
            }),
            Op::UnixSendTo { fd, len, to, .. } => Some(call(fd, &|w, u| {
                w.unix_send(u, len, to).map(Outcome::Bytes)
            })),
            Op::UnixRecvFrom {
                fd,
                len,
                peek,
                trunc,
                ..
            } => Some(call(fd, &|w, u| {
                let (len, from) = w.unix_recv(u, len, peek, trunc)?;
                Ok(Outcome::Received { len, from })
            })),
            Op::GetUnixName { fd, peer } => Some(call(fd, &|w, u| w.unix_getname(u, peer))),
            Op::Listen { fd, backlog } => on(fd, &|w, u| w.unix_listen(u, backlog)),
            Op::Shutdown { fd, how } => on(fd, &|w, u| w.unix_shutdown(u, how)),
            Op::SetSockOpt { fd, opt } => on(fd, &|w, u| match opt {
                SockOpt::ReuseAddr(_) | SockOpt::Linger(_) => Ok(Outcome::Ok),
                SockOpt::Broadcast(on) => {
                    w.unix_mut(u).broadcast = on;
                    Ok(Outcome::Ok)
                }
                SockOpt::NoDelay(_)
                | SockOpt::Ttl(_)
                | SockOpt::MulticastTtl(_)
                | SockOpt::MulticastLoop(_) => Err(EOPNOTSUPP),
            }),
            Op::GetSockOpt { fd, opt } => on(fd, &|w, u| w.unix_getsockopt(u, opt)),
            Op::SoError { fd } => on(fd, &|w, u| {
                Ok(Outcome::SoError(w.unix_mut(u).err.take().unwrap_or(0)))
            }),
            Op::Fionread { fd } => on(fd, &|w, u| w.unix_fionread(u)),
            // `sock_read_iter`: a zero-length read returns 0 before the protocol looks.
            Op::Read { fd, len: 0 } => on(fd, &|_, _| Ok(Outcome::Bytes(0))),
            Op::Read { fd, len } => on(fd, &|w, u| {
                let (n, _) = w.unix_recv(u, len, false, false)?;
                Ok(Outcome::Bytes(n))
            }),
            Op::Write { fd, len } => on(fd, &|w, u| w.unix_send(u, len, None).map(Outcome::Bytes)),
            _ => None,
        }
    }

    /// Why `op` is outside the model's Unix sockets, if it is.
    pub(crate) fn unix_unsupported(&self, op: &Op) -> Option<&'static str> {
        let kind = |fd: Fd| self.fds.get(fd).map(|file| &self.file(file).kind);
        let inet = |fd: Fd| matches!(kind(fd), Some(Kind::Socket(_) | Kind::Udp(_)));
        let unix = |fd: Fd| matches!(kind(fd), Some(Kind::Unix(_)));
        match *op {
            Op::Unlink { name } if !matches!(name, UnixName::Path(_)) => {
                Some("unlink of a name that is not a path")
            }
            Op::UnixBind { fd, .. }
            | Op::UnixConnect { fd, .. }
            | Op::UnixAccept { fd }
            | Op::UnixSendTo { fd, .. }
            | Op::UnixRecvFrom { fd, .. }
            | Op::GetUnixName { fd, .. }
                if inet(fd) =>
            {
                Some("a Unix-address call on an inet socket")
            }
            Op::Bind { fd, .. }
            | Op::Connect { fd, .. }
            | Op::Accept { fd }
            | Op::SendTo { fd, .. }
            | Op::RecvFrom { fd, .. }
                if unix(fd) =>
            {
                Some("an inet-address call on a Unix socket")
            }
            _ => None,
        }
    }
}
