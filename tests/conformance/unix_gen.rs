//! The `Unix` profile's steps: Unix-domain sockets, stream and datagram, over a few names
//! (paths 0 to 2, abstract names 0 to 2, rarely no name at all).
//!
//! The setup is a stream listener bound to path 0 or abstract name 0 with an epoll watching
//! it and a client connected to it, or a `socketpair` (stream or datagram) with an epoll
//! watching one end, and a datagram socket bound beside it. Then each Unix call with the
//! weights of `WEIGHTS`; the calls every socket takes (`listen`, `shutdown`, options, `read`,
//! `write`, `close`, epoll) run on fds picked `Want::Unix` (or any fd now and then).
//! Stream lengths are `Gen::len`'s (past the 212,992-byte send buffer at times); datagram
//! lengths mostly small, sometimes past a page or past `sndbuf - 32` (`EMSGSIZE`).

use super::Gen;
use crate::step::{Pick, Step, UnixStep, Want};
use simkern::model::event::{EPOLLET, EPOLLIN, EPOLLOUT, EPOLLRDHUP};
use simkern::model::{Shut, SockOpt, SockOptGet, UnixName};

/// Weights of the Unix steps, in `Gen::unix_step`'s order; appended to `Gen::step`'s, and
/// zero outside the `Unix` profile.
pub const WEIGHTS: [u32; 12] = [
    3, // socket(AF_UNIX)
    2, // socketpair
    3, // bind
    2, // listen
    4, // connect
    3, // accept4
    8, // sendto
    8, // recvfrom
    2, // getsockname, getpeername
    1, // unlink
    2, // shutdown
    2, // setsockopt, getsockopt, SO_ERROR
];

impl Gen {
    fn unix_name(&mut self) -> UnixName {
        let k = self.rng.below(3) as u8;
        match self.rng.weighted(&[10, 8, 1]) {
            0 => UnixName::Path(k),
            1 => UnixName::Abstract(k),
            _ => UnixName::Unnamed,
        }
    }

    /// A datagram length: empty, small, past the linear head, or past `sndbuf - 32`.
    fn unix_datagram_len(&mut self) -> usize {
        match self.rng.weighted(&[1, 12, 2, 1]) {
            0 => 0,
            1 => self.rng.range(1, 3000),
            2 => self.rng.range(16_000, 100_000),
            _ => self.rng.range(212_950, 213_000),
        }
    }

    /// Unix step `n` (an index into `WEIGHTS`).
    pub(super) fn unix_step(&mut self, n: usize) -> Step {
        let unix = |g: &mut Gen| g.pick(Want::Unix);
        let step = match n {
            0 => UnixStep::Socket {
                dgram: self.rng.odds(1, 2),
            },
            1 => UnixStep::Pair {
                dgram: self.rng.odds(1, 2),
            },
            2 => UnixStep::Bind {
                fd: unix(self),
                name: self.unix_name(),
            },
            3 => {
                return Step::Listen {
                    fd: unix(self),
                    backlog: self.rng.pick(&[0, 1, 1, 2, 5, -1]),
                }
            }
            4 => UnixStep::Connect {
                fd: unix(self),
                name: self.unix_name(),
            },
            5 => UnixStep::Accept { fd: unix(self) },
            6 => {
                let fd = unix(self);
                let len = if self.rng.odds(1, 2) {
                    self.len()
                } else {
                    self.unix_datagram_len()
                };
                let to = if self.rng.odds(1, 2) {
                    None
                } else {
                    Some(self.unix_name())
                };
                UnixStep::SendTo {
                    fd,
                    len,
                    to,
                    dontwait: self.rng.odds(1, 3),
                }
            }
            7 => UnixStep::RecvFrom {
                fd: unix(self),
                len: self.rng.pick(&[0, 1, 8, 64, 1000, 5000, 40_000, 300_000]),
                peek: self.rng.odds(1, 4),
                trunc: self.rng.odds(1, 4),
                dontwait: self.rng.odds(1, 3),
            },
            8 => UnixStep::Name {
                fd: unix(self),
                peer: self.rng.odds(1, 2),
            },
            9 => UnixStep::Unlink {
                name: UnixName::Path(self.rng.below(3) as u8),
            },
            10 => {
                return Step::Shutdown {
                    fd: unix(self),
                    how: self.rng.pick(&[Shut::Rd, Shut::Wr, Shut::Wr, Shut::RdWr]),
                }
            }
            _ => {
                let fd = unix(self);
                return match self.rng.below(3) {
                    0 => Step::SetSockOpt {
                        fd,
                        opt: self.rng.pick(&[
                            SockOpt::ReuseAddr(true),
                            SockOpt::Linger(Some(0)),
                            SockOpt::Linger(None),
                            SockOpt::NoDelay(true),
                            SockOpt::Ttl(64),
                            SockOpt::Broadcast(true),
                            SockOpt::MulticastTtl(3),
                            SockOpt::MulticastLoop(false),
                        ]),
                    },
                    1 => Step::GetSockOpt {
                        fd,
                        opt: self.rng.pick(&[
                            SockOptGet::Type,
                            SockOptGet::SndBuf,
                            SockOptGet::RcvBuf,
                            SockOptGet::Error,
                            SockOptGet::NoDelay,
                            SockOptGet::Ttl,
                            SockOptGet::Broadcast,
                            SockOptGet::MulticastTtl,
                            SockOptGet::MulticastLoop,
                        ]),
                    },
                    _ => Step::SoError { fd },
                };
            }
        };
        Step::Unix(step)
    }

    /// The start of a Unix sequence (see the module docs).
    pub(super) fn setup_unix(&mut self, out: &mut Vec<Step>) {
        let fixed = Pick::Fd;
        let events = self.rng.pick(&[
            EPOLLIN,
            EPOLLIN | EPOLLOUT,
            EPOLLIN | EPOLLET,
            EPOLLIN | EPOLLOUT | EPOLLET,
            EPOLLIN | EPOLLRDHUP,
        ]);
        if self.rng.odds(1, 2) {
            let name = if self.rng.odds(1, 2) {
                UnixName::Path(0)
            } else {
                UnixName::Abstract(0)
            };
            out.push(Step::Unix(UnixStep::Socket { dgram: false }));
            out.push(Step::Unix(UnixStep::Bind { fd: fixed(3), name }));
            out.push(Step::Listen {
                fd: fixed(3),
                backlog: self.rng.pick(&[0, 1, 2, 5]),
            });
            out.push(Step::EpollCreate);
            out.push(Step::EpollCtl {
                epfd: fixed(4),
                op: simkern::model::Ctl::Add,
                fd: fixed(3),
                events: EPOLLIN,
            });
            out.push(Step::Unix(UnixStep::Socket { dgram: false }));
            out.push(Step::Unix(UnixStep::Connect { fd: fixed(5), name }));
            out.push(Step::EpollCtl {
                epfd: fixed(4),
                op: simkern::model::Ctl::Add,
                fd: fixed(5),
                events,
            });
        } else {
            out.push(Step::Unix(UnixStep::Pair {
                dgram: self.rng.odds(1, 2),
            }));
            out.push(Step::EpollCreate);
            out.push(Step::EpollCtl {
                epfd: fixed(5),
                op: simkern::model::Ctl::Add,
                fd: fixed(3),
                events,
            });
            out.push(Step::Unix(UnixStep::Socket { dgram: true }));
            out.push(Step::Unix(UnixStep::Bind {
                fd: fixed(6),
                name: UnixName::Path(1),
            }));
        }
    }
}
