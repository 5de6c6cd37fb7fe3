//! How one trace event reads in a story: Linux's names for calls, epoll ops and event bits,
//! fds spelled `fd N`, results as values or errno names, virtual time in milliseconds.

use simkern_poller::sys::Errno;
use simkern_sim::sys::PARKED;
use simkern_sim::thread::ThreadId;
use simkern_sim::trace::{Call, What};

/// An event as (what, result), with Linux's names for epoll ops and event bits.
pub fn describe(what: &What) -> (String, String) {
    match what {
        What::Syscall { call, args, result } => {
            let shown = match call {
                Call::EpollCtl => {
                    let op = match args[1] >> 32 {
                        0 => "EPOLL_CTL_ADD",
                        1 => "EPOLL_CTL_MOD",
                        _ => "EPOLL_CTL_DEL",
                    };
                    let bits = if args[2] == 0 {
                        String::new()
                    } else {
                        format!(", {}", bits(args[2] as u32))
                    };
                    format!(
                        "epoll_ctl(ep {}, {op}, fd {}{bits})",
                        args[0],
                        args[1] & 0xffff_ffff
                    )
                }
                Call::EpollWait => format!(
                    "epoll_wait(ep {}, max {}, timeout {} ms)",
                    args[0], args[1], args[2]
                ),
                Call::Read | Call::Write => {
                    format!("{}(fd {}, {} bytes)", call.name(), args[0], args[1])
                }
                Call::Writev => format!("writev(fd {}, {} bytes in {})", args[0], args[1], args[2]),
                Call::Sendto => format!(
                    "sendto(fd {}, {} bytes, flags {:#x}{})",
                    args[0],
                    args[1] & 0xffff_ffff,
                    args[1] >> 32,
                    if args[2] < 0 { "" } else { ", addr" }
                ),
                Call::Recvfrom => format!(
                    "recvfrom(fd {}, {} bytes, flags {:#x})",
                    args[0], args[1], args[2]
                ),
                Call::Getsockopt => {
                    let opt = [
                        "SO_SNDBUF",
                        "SO_RCVBUF",
                        "SO_TYPE",
                        "SO_ERROR",
                        "TCP_NODELAY",
                        "IP_TTL",
                        "SO_BROADCAST",
                        "IP_MULTICAST_TTL",
                        "IP_MULTICAST_LOOP",
                    ];
                    let name = usize::try_from(args[1]).ok().and_then(|i| opt.get(i));
                    format!("getsockopt(fd {}, {})", args[0], name.unwrap_or(&"?"))
                }
                Call::Setsockopt => format!("setsockopt(fd {}, {})", args[0], sockopt(args)),
                Call::Connect | Call::Bind | Call::ConnectUnix | Call::BindUnix => {
                    format!("{}(fd {}, addr)", call.name(), args[0])
                }
                Call::SendtoUnix => format!(
                    "sendto(fd {}, {} bytes, flags {:#x}{}) [AF_UNIX]",
                    args[0],
                    args[1] & 0xffff_ffff,
                    args[1] >> 32,
                    if args[2] < 0 { "" } else { ", addr" }
                ),
                Call::RecvfromUnix => format!(
                    "recvfrom(fd {}, {} bytes, flags {:#x}) [AF_UNIX]",
                    args[0], args[1], args[2]
                ),
                Call::UnixName if args[1] != 0 => format!("getpeername(fd {}) [AF_UNIX]", args[0]),
                Call::UnixName => format!("getsockname(fd {}) [AF_UNIX]", args[0]),
                Call::Socketpair => format!(
                    "socketpair({})",
                    ["SOCK_STREAM", "SOCK_DGRAM"][(args[0] & 1) as usize]
                ),
                Call::Unlink => "unlink(path)".to_string(),
                Call::Spawn
                | Call::SpawnProcess
                | Call::EpollCreate
                | Call::Pipe2
                | Call::Socket => {
                    format!("{}()", call.name())
                }
                Call::Join => format!("join(t{})", args[0]),
                Call::ExitGroup => format!("exit_group(pid {})", args[0]),
                Call::Kill => format!("kill(pid {}, SIGKILL)", args[0]),
                Call::Close
                | Call::Dup
                | Call::Accept4
                | Call::Accept4Unix
                | Call::SoError
                | Call::Getsockname
                | Call::Getpeername => {
                    format!("{}(fd {})", call.name(), args[0])
                }
                _ => format!("{}({}, {}, {})", call.name(), args[0], args[1], args[2]),
            };
            let result = if *result == PARKED {
                "(blocks)".to_string()
            } else if *result < 0 {
                Errno(-*result as i32).to_string()
            } else {
                match call {
                    Call::Socket
                    | Call::Accept4
                    | Call::Accept4Unix
                    | Call::Dup
                    | Call::EpollCreate
                    | Call::Eventfd => {
                        format!("fd {result}")
                    }
                    Call::Pipe2 => format!(
                        "fd {} (read), fd {} (write)",
                        result >> 32,
                        result & 0xffff_ffff
                    ),
                    Call::Socketpair => format!("fd {}, fd {}", result >> 32, result & 0xffff_ffff),
                    Call::Spawn | Call::SpawnProcess => format!("t{result}"),
                    Call::SoError if *result > 0 => Errno(*result as i32).to_string(),
                    _ => result.to_string(),
                }
            };
            (shown, result)
        }
        What::Ready {
            data,
            events,
            source,
        } => (
            format!("  reports fd {} {} (data {data})", source.0, bits(*events)),
            String::new(),
        ),
        What::Fault { call, errno } => (
            format!("fault: {} made to fail with {errno}", call.name()),
            String::new(),
        ),
        What::Probe(p) => (format!("probe {p:?}"), String::new()),
    }
}

/// Epoll event bits by name (`EPOLLIN|EPOLLOUT`).
pub fn bits(b: u32) -> String {
    use simkern_poller::sys::epoll as E;
    let named = [
        (E::EPOLLIN, "EPOLLIN"),
        (E::EPOLLPRI, "EPOLLPRI"),
        (E::EPOLLOUT, "EPOLLOUT"),
        (E::EPOLLERR, "EPOLLERR"),
        (E::EPOLLHUP, "EPOLLHUP"),
        (E::EPOLLRDHUP, "EPOLLRDHUP"),
        (E::EPOLLEXCLUSIVE, "EPOLLEXCLUSIVE"),
        (E::EPOLLONESHOT, "EPOLLONESHOT"),
        (E::EPOLLET, "EPOLLET"),
    ];
    let mut parts: Vec<String> = named
        .iter()
        .filter(|(bit, _)| b & bit != 0)
        .map(|(_, n)| n.to_string())
        .collect();
    let rest = named.iter().fold(b, |r, (bit, _)| r & !bit);
    if rest != 0 || parts.is_empty() {
        parts.push(format!("{rest:#x}"));
    }
    parts.join("|")
}

pub fn name(names: &[String], t: ThreadId) -> String {
    match names.get(t.index()) {
        Some(n) => format!("{t} {n}"),
        None => t.to_string(),
    }
}

pub(super) fn ms(ns: u64) -> String {
    format!("{:.6} ms", ns as f64 / 1e6)
}

/// A `setsockopt`'s option and value from its trace words (`simkern_sim::sys`'s encoding).
fn sockopt(args: &[i64; 3]) -> String {
    match (args[2], args[1]) {
        (0, 0 | 1) => format!("SO_REUSEADDR {}", args[1]),
        (0, 2 | 3) => format!("TCP_NODELAY {}", args[1] - 2),
        (0, 4) => "SO_LINGER off".to_string(),
        (0, n) => format!("SO_LINGER {} s", n - 5),
        (1, ttl) => format!("IP_TTL {}", ttl as u32 as i32),
        (2, on) => format!("SO_BROADCAST {on}"),
        (3, ttl) => format!("IP_MULTICAST_TTL {}", ttl as u32 as i32),
        (4, on) => format!("IP_MULTICAST_LOOP {on}"),
        (kind, code) => format!("? {kind} {code}"),
    }
}

#[cfg(test)]
mod tests {
    use super::describe;
    use simkern_poller::sys::SockOptGet;
    use simkern_sim::trace::{Call, What};

    fn shown(call: Call, args: [i64; 3]) -> String {
        describe(&What::Syscall {
            call,
            args,
            result: 0,
        })
        .0
    }

    /// The trace records `getsockopt`'s option as its discriminant: the names table must
    /// follow the enum's order, or a story names the wrong option.
    #[test]
    fn getsockopt_names_each_option_by_its_discriminant() {
        let named = [
            (SockOptGet::SndBuf, "SO_SNDBUF"),
            (SockOptGet::RcvBuf, "SO_RCVBUF"),
            (SockOptGet::Type, "SO_TYPE"),
            (SockOptGet::Error, "SO_ERROR"),
            (SockOptGet::NoDelay, "TCP_NODELAY"),
            (SockOptGet::Ttl, "IP_TTL"),
            (SockOptGet::Broadcast, "SO_BROADCAST"),
            (SockOptGet::MulticastTtl, "IP_MULTICAST_TTL"),
            (SockOptGet::MulticastLoop, "IP_MULTICAST_LOOP"),
        ];
        for (opt, name) in named {
            assert_eq!(
                shown(Call::Getsockopt, [5, opt as i64, 0]),
                format!("getsockopt(fd 5, {name})")
            );
        }
    }

    #[test]
    fn setsockopt_names_the_multicast_options_and_their_values() {
        assert_eq!(
            shown(Call::Setsockopt, [3, u32::MAX as i64, 3]),
            "setsockopt(fd 3, IP_MULTICAST_TTL -1)"
        );
        assert_eq!(
            shown(Call::Setsockopt, [3, 0, 4]),
            "setsockopt(fd 3, IP_MULTICAST_LOOP 0)"
        );
    }
}
