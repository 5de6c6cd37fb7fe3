//! The generator: random `Step` sequences over a few fds and ports, in four profiles.
//!
//! Owns: the mix of ops and arguments, and each profile's setup. Every sequence is a pure
//! function of `(seed, case)`, so a failure replays from the two numbers it prints.
//! - `Network`: a listener on port 0 and an epoll watching it usually come first; then
//!   clients, transfers, shutdowns, options, resets and closes, with `Settle` often.
//! - `Mixed`: everything, sockets beside pipes, eventfds and nested epolls.
//! - `Local`: pipes, eventfds and epoll only.
//! - `Datagram`: UDP sockets first (two bound, one watched by an epoll; half the time a TCP
//!   connection beside them, whose `recvfrom` peeks and truncates), then `sendto`,
//!   `recvfrom` (with `MSG_PEEK`/`MSG_TRUNC`), `connect`, `getsockopt`, `getpeername` and
//!   everything `Mixed` has; the other profiles never make a UDP socket.
//! - `Unix`: Unix-domain sockets (`unix_gen`): a listener with an epoll and a client, or a
//!   `socketpair`, first; then every Unix call beside reads, writes, epoll and fd calls; the
//!   other profiles never make a Unix socket.
//! - `FdLimit`: `Mixed` under an fd limit of 10 (seven fds for the sequence), so `EMFILE`
//!   paths run. The simulator and the model only: the test process's own `RLIMIT_NOFILE`
//!   cannot be lowered while other tests share it.
//!
//! Lengths are mostly small, sometimes past the buffer bounds (to reach short writes and
//! `EAGAIN`); eventfd writes carry values near `u64::MAX` at times; a few fds are bad on
//! purpose.

use crate::rng::Rng;
use crate::step::{Pick, Step, Want};
use simkern::model::event::{
    EPOLLET, EPOLLEXCLUSIVE, EPOLLIN, EPOLLONESHOT, EPOLLOUT, EPOLLPRI, EPOLLRDHUP,
};
use simkern::model::{Ctl, Fcntl, Shut, SockOpt, SockOptGet};

#[path = "unix_gen.rs"]
mod unix_gen;

/// Ports the generator names (model ports 0..PORTS).
pub const PORTS: u16 = 3;
/// Longest generated sequence (setup included): long enough for connections to go through
/// several lives, short enough that the model's state set stays small between settles.
pub const STEPS_MAX: usize = 60;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Profile {
    Network,
    Mixed,
    Local,
    FdLimit,
    Datagram,
    Unix,
}

impl Profile {
    /// The profile of case `case`: three in eight network, three mixed, one local, one under
    /// a low fd limit; of sixteen, one mixed and one local case are datagram cases instead,
    /// and one more mixed case a Unix case.
    pub fn of(case: u64) -> Profile {
        if matches!(case % 16, 5 | 14) {
            return Profile::Datagram;
        }
        if case % 16 == 11 {
            return Profile::Unix;
        }
        match case % 8 {
            0..=2 => Profile::Network,
            3..=5 => Profile::Mixed,
            6 => Profile::Local,
            _ => Profile::FdLimit,
        }
    }

    /// Whether the sequence also runs on real Linux.
    pub fn on_linux(self) -> bool {
        self != Profile::FdLimit
    }
}

/// Interest sets `epoll_ctl` is given: the common ones, every mode bit, and combinations
/// Linux refuses (`EPOLLEXCLUSIVE` with `EPOLLONESHOT` or `EPOLLRDHUP`).
const EVENTS: &[u32] = &[
    EPOLLIN,
    EPOLLOUT,
    EPOLLIN | EPOLLOUT,
    EPOLLIN | EPOLLRDHUP,
    EPOLLIN | EPOLLOUT | EPOLLRDHUP,
    EPOLLIN | EPOLLET,
    EPOLLOUT | EPOLLET,
    EPOLLIN | EPOLLOUT | EPOLLET,
    EPOLLIN | EPOLLRDHUP | EPOLLET,
    EPOLLIN | EPOLLONESHOT,
    EPOLLIN | EPOLLOUT | EPOLLET | EPOLLONESHOT,
    EPOLLIN | EPOLLEXCLUSIVE,
    EPOLLOUT | EPOLLET | EPOLLEXCLUSIVE,
    EPOLLIN | EPOLLONESHOT | EPOLLEXCLUSIVE,
    EPOLLIN | EPOLLRDHUP | EPOLLEXCLUSIVE,
    EPOLLIN | EPOLLPRI,
    0,
];

/// `IP_TTL` values: the range's ends, the default, both sides of it, -1 as std passes it
/// (`u32::MAX`: back to the default) and -2.
const TTLS: &[u32] = &[1, 64, 255, 0, 256, u32::MAX, u32::MAX - 1];
/// `IP_MULTICAST_TTL` values: 0 is a TTL here (not for `IP_TTL`), the default 1, the top,
/// past it, and -1 as std passes it (back to 1).
const MULTICAST_TTLS: &[u32] = &[0, 1, 7, 255, 256, u32::MAX];
/// Eventfd counter values: small ones, and the top of the range where writes stop fitting.
const EVENTFD_VALUES: &[u64] = &[0, 1, 1, 2, 7, u64::MAX - 2, u64::MAX - 1, u64::MAX];

mod waits;

struct Gen {
    rng: Rng,
    profile: Profile,
}

impl Gen {
    /// An `fcntl` of each command. `F_SETFL` always keeps `O_NONBLOCK` (Linux would block a
    /// later read otherwise) and may add `O_APPEND` or ignored bits (`O_RDWR`, `O_CREAT`).
    fn fcntl(&mut self) -> Step {
        let cmd = match self.rng.weighted(&[2, 1, 3, 2]) {
            0 => Fcntl::GetFd,
            1 => Fcntl::SetFd(self.rng.pick(&[0, 1, 1, -1])),
            2 => Fcntl::GetFl,
            _ => Fcntl::SetFl(0o4000 | self.rng.pick(&[0, 0o2000, 0o2000, 0o2, 0o100])),
        };
        Step::Fcntl {
            fd: if self.rng.odds(1, 10) {
                Pick::Bad(self.rng.pick(&[0, 1, 2]))
            } else {
                self.pick(Want::Any)
            },
            cmd,
        }
    }

    /// A `dup3` or `dup2` onto an open fd (the harness maps only open fds to real ones, so
    /// a target free in the model could be someone else's on Linux), onto the fd itself,
    /// or onto -1; `dup3` with `O_CLOEXEC`, none, or a bad flag.
    fn dup3(&mut self) -> Step {
        let newfd = match self.rng.weighted(&[8, 1, 1]) {
            0 => Some(self.pick(Want::Any)),
            1 => None,
            _ => Some(Pick::Fd(-1)),
        };
        let flags = match self.rng.weighted(&[2, 2, 2, 1]) {
            0 => None,
            1 => Some(0),
            2 => Some(0o2000000),
            _ => Some(0o4000),
        };
        Step::Dup3 {
            fd: self.pick(Want::Any),
            newfd,
            flags,
        }
    }

    fn pick(&mut self, want: Want) -> Pick {
        if self.rng.odds(1, 25) {
            return Pick::Bad(self.rng.below(3) as u8);
        }
        let want = if self.rng.odds(1, 5) { Want::Any } else { want };
        Pick::Open {
            want,
            i: self.rng.below(256) as u8,
        }
    }

    fn port(&mut self) -> u16 {
        if self.rng.odds(1, 2) {
            0
        } else {
            self.rng.below(u64::from(PORTS)) as u16
        }
    }

    /// A stream length: empty, tiny, typical, or past the buffer bounds.
    fn len(&mut self) -> usize {
        match self.rng.weighted(&[2, 30, 56, 12]) {
            0 => 0,
            1 => self.rng.range(1, 64),
            2 => self.rng.range(1, 5000),
            _ => self.rng.range(20_000, 200_000),
        }
    }

    fn read(&mut self) -> Step {
        if self.rng.odds(1, 5) {
            let len = self.rng.pick(&[8, 8, 8, 4, 16]);
            Step::Read {
                fd: self.pick(Want::EventFd),
                len,
            }
        } else {
            Step::Read {
                fd: self.pick(Want::Readable),
                len: self.len(),
            }
        }
    }

    fn write(&mut self) -> Step {
        let value = self.rng.pick(EVENTFD_VALUES);
        if self.rng.odds(1, 5) {
            let len = self.rng.pick(&[8, 8, 8, 4, 16]);
            Step::Write {
                fd: self.pick(Want::EventFd),
                len,
                value,
            }
        } else {
            Step::Write {
                fd: self.pick(Want::Writable),
                len: self.len(),
                value,
            }
        }
    }

    fn writev(&mut self) -> Step {
        let value = self.rng.pick(EVENTFD_VALUES);
        if self.rng.odds(1, 5) {
            // The counter's 8 bytes split across slices (Linux does not gather them), or a
            // first slice of 8 (or more) and a short one after it.
            let a = self.rng.range(0, 8);
            let lens = match self.rng.below(3) {
                0 => vec![a, 8 - a],
                1 => vec![8, a],
                _ => vec![12, 4],
            };
            Step::Writev {
                fd: self.pick(Want::EventFd),
                lens,
                value,
            }
        } else {
            let n = self.rng.range(1, 4);
            let lens = (0..n)
                .map(|_| match self.rng.weighted(&[1, 6, 1]) {
                    0 => 0,
                    1 => self.rng.range(1, 3000),
                    _ => self.rng.range(10_000, 60_000),
                })
                .collect();
            Step::Writev {
                fd: self.pick(Want::Writable),
                lens,
                value,
            }
        }
    }

    fn sockopt(&mut self) -> SockOpt {
        match self.rng.weighted(&[3, 1, 3, 1, 1, 2, 1, 1, 1]) {
            0 => SockOpt::ReuseAddr(true),
            1 => SockOpt::ReuseAddr(false),
            2 => SockOpt::Linger(Some(0)),
            3 => SockOpt::Linger(None),
            4 => SockOpt::NoDelay(true),
            5 => SockOpt::Ttl(self.rng.pick(TTLS)),
            6 => SockOpt::Broadcast(self.rng.odds(2, 3)),
            7 => SockOpt::MulticastTtl(self.rng.pick(MULTICAST_TTLS)),
            _ => SockOpt::MulticastLoop(self.rng.odds(1, 3)),
        }
    }

    fn ctl(&mut self) -> Step {
        let op = [Ctl::Add, Ctl::Mod, Ctl::Del][self.rng.weighted(&[6, 3, 2])];
        let target = if self.rng.odds(2, 5) {
            Want::Socket
        } else {
            Want::Any
        };
        Step::EpollCtl {
            epfd: self.pick(Want::Epoll),
            op,
            fd: self.pick(target),
            events: self.rng.pick(EVENTS),
        }
    }

    /// One step (two when `getsockname` follows a `Settle`, where it is compared).
    fn step(&mut self, out: &mut Vec<Step>) {
        // Weights per op; the profile scales the socket, local and settle groups.
        let (sock, local, settle) = match self.profile {
            Profile::Network => (3, 1, 10),
            Profile::Mixed | Profile::FdLimit => (2, 2, 6),
            Profile::Local => (0, 3, 3),
            Profile::Datagram => (1, 1, 6),
            // Nothing of a Unix socket waits for the network: settles are rare.
            Profile::Unix => (0, 1, 1),
        };
        // Zero outside `Datagram`, so the other profiles draw as they always did.
        let udp = if self.profile == Profile::Datagram {
            1
        } else {
            0
        };
        let weights = [
            3 * sock,  // socket
            2 * sock,  // bind
            2 * sock,  // listen
            3 * sock,  // connect
            3 * sock,  // accept4
            sock,      // so_error
            2 * sock,  // shutdown
            2 * sock,  // setsockopt
            sock,      // getsockname
            8,         // read
            8,         // write
            3,         // writev
            3,         // close
            2,         // dup
            2 * local, // pipe2
            2 * local, // eventfd
            3,         // epoll_create
            8,         // epoll_ctl
            8,         // epoll_wait
            settle,    // settle
            2,         // nap
            3 * udp,   // socket(udp)
            10 * udp,  // sendto
            8 * udp,   // recvfrom
            udp,       // getsockopt
            udp,       // getpeername
            3,         // fcntl
            3,         // ioctl(FIONREAD)
            3,         // dup3, dup2
            3,         // poll, ppoll
            2,         // epoll_pwait, epoll_pwait2
            local,     // pipe2, eventfd with flags
        ];
        // Appended, zero outside `Unix`: the other profiles draw as they always did.
        let unix = u32::from(self.profile == Profile::Unix);
        let unix_base = weights.len();
        let weights: Vec<u32> = (weights.iter().copied())
            .chain(unix_gen::WEIGHTS.iter().map(|w| w * unix))
            .collect();
        let step = match self.rng.weighted(&weights) {
            0 => {
                out.push(Step::Socket);
                if self.rng.odds(3, 4) {
                    // Most event loops turn Nagle off; the rest keep Linux's default.
                    Step::SetSockOpt {
                        fd: Pick::Newest,
                        opt: SockOpt::NoDelay(true),
                    }
                } else {
                    return;
                }
            }
            1 => Step::Bind {
                fd: self.pick(Want::Socket),
                port: self.port(),
            },
            2 => Step::Listen {
                fd: self.pick(Want::Socket),
                backlog: self.rng.pick(&[0, 1, 1, 2, 5, -1]),
            },
            3 => Step::Connect {
                fd: self.pick(Want::Socket),
                port: self.port(),
            },
            4 => Step::Accept {
                fd: self.pick(Want::Socket),
            },
            5 => Step::SoError {
                fd: self.pick(Want::Socket),
            },
            6 => Step::Shutdown {
                fd: self.pick(Want::Socket),
                how: self.rng.pick(&[Shut::Rd, Shut::Wr, Shut::Wr, Shut::RdWr]),
            },
            7 => Step::SetSockOpt {
                fd: self.pick(Want::Socket),
                opt: self.sockopt(),
            },
            8 => {
                if self.rng.odds(1, 2) {
                    out.push(Step::Settle);
                }
                Step::GetSockName {
                    fd: self.pick(Want::Socket),
                }
            }
            9 => self.read(),
            10 => self.write(),
            11 => self.writev(),
            12 => Step::Close {
                fd: self.pick(Want::Any),
            },
            13 => Step::Dup {
                fd: self.pick(Want::Any),
            },
            14 => Step::Pipe,
            15 => Step::EventFd {
                init: self.rng.pick(&[0, 0, 1, 2]),
                semaphore: self.rng.odds(1, 3),
            },
            16 => Step::EpollCreate,
            17 => self.ctl(),
            18 => Step::EpollWait {
                epfd: self.pick(Want::Epoll),
                maxevents: self.rng.pick(&[1, 1, 2, 2, 3, 4, 8, 0]),
            },
            19 => Step::Settle,
            20 => Step::Nap,
            21 => Step::UdpSocket,
            22 => Step::SendTo {
                fd: self.pick(Want::Udp),
                len: self.datagram_len(),
                to: if self.rng.odds(1, 4) {
                    None
                } else {
                    Some(self.port())
                },
            },
            23 => {
                let (peek, trunc) = (self.rng.odds(1, 4), self.rng.odds(1, 4));
                let want = if self.rng.odds(1, 3) {
                    Want::Socket
                } else {
                    Want::Udp
                };
                Step::RecvFrom {
                    fd: self.pick(want),
                    len: self.rng.pick(&[0, 1, 8, 64, 64, 1000, 2000]),
                    peek,
                    trunc,
                }
            }
            24 => Step::GetSockOpt {
                fd: self.pick(Want::Socket),
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
            26 => self.fcntl(),
            29 => self.poll(),
            30 => self.epoll_pwait(),
            31 => self.flagged_open(),
            28 => self.dup3(),
            27 => Step::Fionread {
                fd: if self.rng.odds(1, 10) {
                    Pick::Bad(0)
                } else {
                    let want = self.rng.pick(&[Want::Any, Want::Udp, Want::Readable]);
                    self.pick(want)
                },
            },
            25 => {
                if self.rng.odds(1, 2) {
                    out.push(Step::Settle);
                }
                Step::GetPeerName {
                    fd: self.pick(Want::Socket),
                }
            }
            n => self.unix_step(n - unix_base),
        };
        out.push(step);
    }

    /// A datagram length: empty, small, or past the MTU of a typical link.
    fn datagram_len(&mut self) -> usize {
        match self.rng.weighted(&[1, 10, 3]) {
            0 => 0,
            1 => self.rng.range(1, 100),
            _ => self.rng.range(100, 3000),
        }
    }

    /// The start of a datagram sequence: sockets bound to ports 0 and 1, an epoll watching
    /// the first, and sometimes the second connected to the first.
    fn setup_datagram(&mut self, out: &mut Vec<Step>) {
        let fixed = |fd| Pick::Fd(fd);
        out.push(Step::UdpSocket);
        out.push(Step::Bind {
            fd: fixed(3),
            port: 0,
        });
        out.push(Step::UdpSocket);
        out.push(Step::Bind {
            fd: fixed(4),
            port: 1,
        });
        out.push(Step::EpollCreate);
        out.push(Step::EpollCtl {
            epfd: fixed(5),
            op: Ctl::Add,
            fd: fixed(3),
            events: self
                .rng
                .pick(&[EPOLLIN, EPOLLIN | EPOLLOUT, EPOLLIN | EPOLLET]),
        });
        if self.rng.odds(1, 2) {
            out.push(Step::Connect {
                fd: fixed(4),
                port: 0,
            });
        }
        if self.rng.odds(1, 2) {
            // A TCP connection beside them (fds 6, 7 and 8), for `recvfrom`'s `MSG_PEEK`
            // and `MSG_TRUNC` on a stream.
            out.push(Step::Socket);
            out.push(Step::Bind {
                fd: fixed(6),
                port: 2,
            });
            out.push(Step::Listen {
                fd: fixed(6),
                backlog: 1,
            });
            out.push(Step::Socket);
            out.push(Step::Connect {
                fd: fixed(7),
                port: 2,
            });
            out.push(Step::Settle);
            out.push(Step::Accept { fd: fixed(6) });
        }
    }

    /// The usual start of a network sequence: a listener on port 0 (sometimes with
    /// `SO_REUSEADDR`; mostly with `TCP_NODELAY`, which its children inherit), an epoll
    /// watching it, and a client dialing it.
    fn setup(&mut self, out: &mut Vec<Step>) {
        let fixed = |fd| Pick::Fd(fd);
        let nodelay = self.rng.odds(3, 4);
        out.push(Step::Socket);
        if nodelay {
            out.push(Step::SetSockOpt {
                fd: fixed(3),
                opt: SockOpt::NoDelay(true),
            });
        }
        if self.rng.odds(1, 3) {
            out.push(Step::SetSockOpt {
                fd: fixed(3),
                opt: SockOpt::ReuseAddr(true),
            });
        }
        out.push(Step::Bind {
            fd: fixed(3),
            port: 0,
        });
        out.push(Step::Listen {
            fd: fixed(3),
            backlog: self.rng.pick(&[0, 1, 2, 5]),
        });
        out.push(Step::EpollCreate);
        out.push(Step::EpollCtl {
            epfd: fixed(4),
            op: Ctl::Add,
            fd: fixed(3),
            events: EPOLLIN,
        });
        out.push(Step::Socket);
        if nodelay {
            out.push(Step::SetSockOpt {
                fd: fixed(5),
                opt: SockOpt::NoDelay(true),
            });
        }
        out.push(Step::Connect {
            fd: fixed(5),
            port: 0,
        });
    }
}

/// The steps of case `case` of a run seeded `seed`.
pub fn steps(seed: u64, case: u64) -> Vec<Step> {
    let mut g = Gen {
        rng: Rng::new(seed ^ case.wrapping_mul(0xa076_1d64_78bd_642f)),
        profile: Profile::of(case),
    };
    let len = g.rng.range(4, STEPS_MAX);
    let mut out = Vec::with_capacity(len + 8);
    if g.profile == Profile::Network && g.rng.odds(2, 3) {
        g.setup(&mut out);
    }
    if g.profile == Profile::Datagram {
        g.setup_datagram(&mut out);
    }
    if g.profile == Profile::Unix {
        g.setup_unix(&mut out);
    }
    while out.len() < len {
        g.step(&mut out);
    }
    out
}
