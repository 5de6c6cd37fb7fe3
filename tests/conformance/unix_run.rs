//! The Unix-domain ops on a `Sys` backend: each model op as the `Sys` call it names, and the
//! result as the model's `Outcome` (names mapped back through `Backend::unix_name`).
//!
//! Content: a stream's bytes are the stream pattern (checked on every read and peek, as on
//! TCP); a datagram's are 0x5a throughout.

use super::{err, Backend, CutShort, Driver, Failure, Stop};
use crate::step::FdKind;
use simkern::model::{Fd, Op, Outcome, UnixName};
use simkern::poller::sys::{Domain, MsgFlags, SockType, Sys, UnixAddr};

fn ty(dgram: bool) -> SockType {
    if dgram {
        SockType::Dgram
    } else {
        SockType::Stream
    }
}

impl<B: Backend> Driver<B> {
    fn unix_addr(&mut self, name: UnixName) -> Result<UnixAddr, Stop> {
        self.b
            .unix_addr(name)
            .map_err(|why| Stop::Cut(CutShort::Harness(why)))
    }

    /// The model name of a reported address; an address the sequence never named fails.
    fn model_name(&self, what: &str, addr: &UnixAddr) -> Result<UnixName, Stop> {
        self.b.unix_name(addr).ok_or_else(|| {
            Stop::Fail(Failure::Content(format!(
                "{what}: reported {addr:?}, a name the sequence never bound"
            )))
        })
    }

    fn stream(&self, fd: Fd) -> bool {
        self.fds.kind(fd) == Some(FdKind::UnixStream)
    }

    pub(super) fn exec_unix(&mut self, op: &Op) -> Result<Outcome, Stop> {
        let s = self.b.sys();
        Ok(match *op {
            Op::UnixSocket { dgram } => err(s.socket(Domain::Unix, ty(dgram)), |fd| {
                Outcome::Fd(self.adopt(0, fd))
            }),
            Op::SocketPair { dgram } => err(s.socketpair(ty(dgram)), |(a, b)| {
                let a = self.adopt(0, a);
                let b = self.adopt(1, b);
                Outcome::Pair(a, b)
            }),
            Op::UnixBind { fd, name } => {
                let addr = self.unix_addr(name)?;
                err(s.bind_unix(self.real(fd), &addr), |()| Outcome::Ok)
            }
            Op::UnixConnect { fd, name } => {
                let addr = self.unix_addr(name)?;
                err(s.connect_unix(self.real(fd), &addr), |()| Outcome::Ok)
            }
            Op::UnixAccept { fd } => match s.accept4_unix(self.real(fd)) {
                Ok((new, peer)) => {
                    let peer = self.model_name("accept4's peer", &peer);
                    let fd = self.adopt(0, new);
                    Outcome::Accepted { fd, peer: peer? }
                }
                Err(e) => Outcome::Err(e.0),
            },
            Op::UnixSendTo {
                fd,
                len,
                to,
                dontwait,
            } => {
                let to = to.map(|n| self.unix_addr(n)).transpose()?;
                let stream = self.stream(fd);
                let bytes = if stream {
                    self.bytes_to_write(&Op::Write { fd, len }, len)
                } else {
                    vec![0x5a; len]
                };
                let flags = if dontwait {
                    MsgFlags::DONTWAIT
                } else {
                    MsgFlags::EMPTY
                };
                match s.sendto_unix(self.real(fd), &bytes, flags, to.as_ref()) {
                    Ok(n) => {
                        if stream {
                            self.wrote(fd, n);
                        }
                        Outcome::Bytes(n)
                    }
                    Err(e) => Outcome::Err(e.0),
                }
            }
            Op::UnixRecvFrom {
                fd,
                len,
                peek,
                trunc,
                dontwait,
            } => {
                let mut flags = MsgFlags::EMPTY;
                for (on, flag) in [
                    (peek, MsgFlags::PEEK),
                    (trunc, MsgFlags::TRUNC),
                    (dontwait, MsgFlags::DONTWAIT),
                ] {
                    if on {
                        flags = flags | flag;
                    }
                }
                let mut buf = vec![0u8; len];
                match s.recvfrom_unix(self.real(fd), &mut buf, flags) {
                    Ok((n, from)) => {
                        if self.stream(fd) {
                            // Peeked bytes are checked and stay unread.
                            let at = self.offset(fd).0;
                            self.check_content(fd, &buf[..n.min(len)])?;
                            if peek {
                                let o = self.fds.object(fd).expect("an open socket");
                                self.offsets.entry(o).or_default().0 = at;
                            }
                        } else if let Some(k) = (0..n.min(len)).find(|&k| buf[k] != 0x5a) {
                            return Err(Stop::Fail(Failure::Content(format!(
                                "recvfrom on fd{}: byte {k} of the datagram is {}, not 0x5a",
                                fd.0, buf[k]
                            ))));
                        }
                        let from = self.model_name("recvfrom's sender", &from)?;
                        Outcome::Received { len: n, from }
                    }
                    Err(e) => Outcome::Err(e.0),
                }
            }
            Op::GetUnixName { fd, peer } => match s.unix_name(self.real(fd), peer) {
                Ok(addr) => Outcome::Name(self.model_name("the socket's name", &addr)?),
                Err(e) => Outcome::Err(e.0),
            },
            Op::Unlink { name } => match self.unix_addr(name)? {
                UnixAddr::Path(path) => err(s.unlink(&path), |()| Outcome::Ok),
                other => unreachable!("unlink of {other:?}: the model skips it"),
            },
            _ => unreachable!("exec_unix of {op:?}"),
        })
    }
}
