//! `World::unsupported`: the ops and states outside the model, each with the reason named.

use super::World;
use crate::file::Kind;
use crate::op::{Fd, Op, SockOpt};
use crate::socket::{Ss, Tcp};

impl World {
    /// Why `op` is outside the model in this state, if it is.
    pub(crate) fn unsupported(&self, op: &Op) -> Option<&'static str> {
        let fds: &[Fd] = match op {
            Op::EpollCtl { epfd, fd, .. } => &[*epfd, *fd],
            Op::Dup3 { fd, newfd, .. } | Op::Dup2 { fd, newfd } => &[*fd, *newfd],
            Op::Bind { fd, .. }
            | Op::Listen { fd, .. }
            | Op::Connect { fd, .. }
            | Op::Accept { fd }
            | Op::SoError { fd }
            | Op::SetSockOpt { fd, .. }
            | Op::Shutdown { fd, .. }
            | Op::Read { fd, .. }
            | Op::Write { fd, .. }
            | Op::Close { fd }
            | Op::Dup { fd }
            | Op::Fcntl { fd, .. }
            | Op::Fionread { fd }
            | Op::EventFdRead { fd, .. }
            | Op::EventFdWrite { fd, .. }
            | Op::EpollWait { epfd: fd, .. }
            | Op::EpollPwait { epfd: fd, .. }
            | Op::SendTo { fd, .. }
            | Op::RecvFrom { fd, .. }
            | Op::GetSockOpt { fd, .. }
            | Op::UnixBind { fd, .. }
            | Op::UnixConnect { fd, .. }
            | Op::UnixAccept { fd }
            | Op::UnixSendTo { fd, .. }
            | Op::UnixRecvFrom { fd, .. }
            | Op::GetUnixName { fd, .. } => std::slice::from_ref(fd),
            Op::UnixSocket { .. } | Op::SocketPair { .. } | Op::Unlink { .. } => &[],
            Op::Poll { .. } => &[],
            Op::Socket
            | Op::UdpSocket
            | Op::Pipe
            | Op::Pipe2 { .. }
            | Op::EventFd { .. }
            | Op::EventFd2 { .. }
            | Op::EpollCreate
            | Op::Settle => &[],
        };
        if fds.iter().any(|&fd| self.fds.is_reserved(fd)) {
            return Some("the op names an fd below Config::first_fd, which the harness owns");
        }
        if let Some(why) = self.unix_unsupported(op) {
            return Some(why);
        }
        let kind = |fd: Fd| self.fds.get(fd).map(|file| &self.file(file).kind);
        match *op {
            Op::SetSockOpt {
                opt: SockOpt::Linger(Some(secs)),
                ..
            } if secs > 0 => Some("SO_LINGER with a timeout: the last close would block"),
            Op::Dup3 { fd, newfd, .. } | Op::Dup2 { fd, newfd }
                if fd != newfd && kind(newfd).is_none() && (newfd.0 >= 0 || kind(fd).is_none()) =>
            {
                // The harness maps every closed model fd to real -1.
                Some("dup2/dup3 onto a free fd (on Linux the number may be another test's), or of a closed fd onto -1")
            }
            Op::Pipe2 { flags } if crate::waits::pipe2_unsupported(flags).is_some() => {
                crate::waits::pipe2_unsupported(flags)
            }
            Op::EventFd2 { flags, .. } if crate::waits::eventfd_unsupported(flags).is_some() => {
                crate::waits::eventfd_unsupported(flags)
            }
            Op::Poll { ref fds, .. }
                if fds
                    .iter()
                    .any(|&(fd, _)| fd.0 >= 0 && self.fds.is_reserved(fd)) =>
            {
                Some("the op names an fd below Config::first_fd, which the harness owns")
            }
            Op::Poll { ref fds, .. }
                if fds.iter().any(|&(fd, _)| fd.0 >= 0 && kind(fd).is_none()) =>
            {
                // The harness maps every closed model fd to real -1, which poll skips.
                Some("poll of a closed fd (the harness passes -1 for it)")
            }
            Op::Fionread { fd } if matches!(kind(fd), Some(Kind::Socket(_))) => {
                Some("FIONREAD on TCP (tcp_inq under the receive-window freedom)")
            }
            Op::Fcntl { cmd, .. } if crate::fcntl::unsupported(cmd).is_some() => {
                crate::fcntl::unsupported(cmd)
            }
            Op::Read { fd, .. } | Op::Write { fd, .. }
                if matches!(kind(fd), Some(Kind::EventFd(_))) =>
            {
                Some("Read/Write on an eventfd: use EventFdRead/EventFdWrite")
            }
            Op::EventFdRead { fd, .. } | Op::EventFdWrite { fd, .. }
                if kind(fd).is_some_and(|k| !matches!(k, Kind::EventFd(_))) =>
            {
                Some("EventFdRead/EventFdWrite on a file that is not an eventfd")
            }
            Op::RecvFrom { fd, len: 0, .. } if matches!(kind(fd), Some(Kind::Socket(_))) => {
                Some("recvfrom of 0 bytes on TCP (0 with data queued, which may be in flight)")
            }
            Op::GetSockOpt {
                fd,
                opt: crate::op::SockOptGet::SndBuf | crate::op::SockOptGet::RcvBuf,
            } if matches!(kind(fd), Some(Kind::Socket(_))) => {
                Some("a TCP socket's buffer sizes grow with the connection (tcp_sndbuf_expand)")
            }
            Op::Connect { fd, port } => match kind(fd) {
                Some(Kind::Socket(s)) => {
                    let s = self.sock(*s);
                    let starts = s.ss == Ss::Unconnected && s.tcp == Tcp::Close;
                    if !starts {
                        None
                    } else if s.attempted {
                        Some("a second connection attempt on one socket")
                    } else if s.rd_shut || s.wr_shut {
                        Some("connect after shutdown of an unconnected socket")
                    } else if s.port() == Some(port) {
                        Some("connect to the socket's own port (TCP self-connect)")
                    } else {
                        None
                    }
                }
                _ => None,
            },
            _ => None,
        }
    }
}
