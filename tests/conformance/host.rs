//! The host kernel: its release, and how it answers each call where Linux versions differ.
//!
//! Owns: one probe per `simkern_model::linux::DIVERGENCES` entry, run once on real Linux
//! (127.0.0.1 only). The simulator is configured with the host's answers wherever it is
//! compared with Linux (so a direct comparison after such a call sees the same state on
//! both), and the model judges Linux allowing every named answer. A host whose answer is
//! neither of the named ones fails the suite: that is a behaviour the table does not know.

use simkern::model::linux::{self, Behaviours, Divergence, Version};
use simkern::poller::sys::{Domain, Errno, Fd, Shutdown, SockType, Sys};
use simkern::poller::LinuxSys;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::OnceLock;
use std::time::Duration;

/// Polls of a refused connect before the probe gives up (each `POLL` apart): loopback
/// delivers the RST within the connecting syscall, so one or two are enough.
const POLLS_MAX: u32 = 1000;
const POLL: Duration = Duration::from_millis(1);

/// `uname -r`.
pub fn release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|e| format!("unknown ({e})"))
}

/// `net.ipv4.ip_default_ttl` of this network namespace (what `IP_TTL` reads before a
/// socket sets one): a sysctl, so hosts may differ; 64 (Linux's default) if unreadable.
pub fn ip_default_ttl() -> u8 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_default_ttl")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(64)
}

/// How the host answered one divergence.
#[derive(Clone, Debug)]
pub struct Answer {
    pub divergence: Divergence,
    /// `Ok(true)`: the newer answer; `Ok(false)`: the older one; `Err`: neither (what it was).
    pub newer: Result<bool, String>,
}

/// Every divergence, probed once per test process.
pub fn answers() -> &'static [Answer] {
    static ANSWERS: OnceLock<Vec<Answer>> = OnceLock::new();
    ANSWERS.get_or_init(|| {
        linux::DIVERGENCES
            .iter()
            .map(|d| Answer {
                divergence: *d,
                newer: probe(d),
            })
            .collect()
    })
}

/// The host's behaviours. Panics (failing the test that asks) when a probe saw an answer
/// that is neither of the named ones.
pub fn behaviours() -> Behaviours {
    let mut b = Behaviours::default();
    for a in answers() {
        let newer = a.newer.clone().unwrap_or_else(|e| {
            panic!(
                "host kernel {}: {} ({}): {e}; named answers: {} (since {}) or {}",
                release(),
                a.divergence.name,
                a.divergence.when,
                a.divergence.newer,
                a.divergence.since,
                a.divergence.older
            )
        });
        b.set(&a.divergence, newer);
    }
    b
}

/// One line per divergence: the host's release, its answer, and whether the version table
/// predicted it.
pub fn report() -> String {
    let release = release();
    let version = release.parse::<Version>().ok();
    let mut out = format!("host kernel {release}\n");
    for a in answers() {
        let d = &a.divergence;
        let shown = match &a.newer {
            Ok(true) => format!("newer ({})", d.newer),
            Ok(false) => format!("older ({})", d.older),
            Err(e) => format!("neither: {e}"),
        };
        let table = match (version, &a.newer) {
            (Some(v), Ok(newer)) if Behaviours::of(v).newer(d) == *newer => "as the table says",
            (Some(_), Ok(_)) => "NOT as the table says: the version boundary is off",
            _ => "",
        };
        out += &format!("  {}: {shown}, {table} (newer since {})\n", d.name, d.since);
    }
    out
}

fn probe(d: &Divergence) -> Result<bool, String> {
    match d.name {
        n if n == linux::LISTEN_AFTER_CONNECT.name => listen_after_connect(),
        n if n == linux::CONNECT_AFTER_LISTEN.name => connect_after_listen(),
        n if n == linux::EVENTFD_LONG_WRITE.name => eventfd_long_write(),
        n if n == linux::EPOLL_IOCTL.name => epoll_ioctl(),
        other => Err(format!("no probe for divergence {other}")),
    }
}

fn localhost(port: u16) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))
}

/// Runs `probe` with a fresh socket and the address of another bound to 127.0.0.1 and not
/// listening (a port that refuses); closes both afterwards.
fn with_refusing_port(
    probe: impl FnOnce(SocketAddr, Fd) -> Result<bool, String>,
) -> Result<bool, String> {
    let sys = LinuxSys;
    let closed = sys
        .socket(Domain::Inet, SockType::Stream)
        .map_err(|e| format!("socket: {e}"))?;
    let result = sys
        .socket(Domain::Inet, SockType::Stream)
        .map_err(|e| format!("socket: {e}"))
        .and_then(|s| {
            let r = sys
                .bind(closed, localhost(0))
                .and_then(|()| sys.getsockname(closed))
                .map_err(|e| format!("bind and getsockname: {e}"))
                .and_then(|target| probe(target, s));
            let _ = sys.close(s);
            r
        });
    let _ = sys.close(closed);
    result
}

/// A socket refused by a bound, not listening port, the refusal reported by `connect`;
/// then `listen`.
fn listen_after_connect() -> Result<bool, String> {
    with_refusing_port(|target, client| {
        let sys = LinuxSys;
        match sys.connect(client, target) {
            Err(Errno::EINPROGRESS) => {}
            other => return Err(format!("first connect answered {other:?}, not EINPROGRESS")),
        }
        let mut refused = false;
        for _ in 0..POLLS_MAX {
            match sys.connect(client, target) {
                Err(Errno::ECONNREFUSED) => {
                    refused = true;
                    break;
                }
                Err(Errno::EALREADY) => std::thread::sleep(POLL),
                other => return Err(format!("connect to a closed port answered {other:?}")),
            }
        }
        if !refused {
            return Err("the refusal never arrived".into());
        }
        match sys.listen(client, 1) {
            Ok(()) => Ok(false),
            Err(Errno::EINVAL) => Ok(true),
            Err(e) => Err(format!("listen answered {e}")),
        }
    })
}

/// A socket that listened on 127.0.0.1 and was shut for reading (which stops listening);
/// then `connect` to a bound, not listening port.
fn connect_after_listen() -> Result<bool, String> {
    with_refusing_port(|target, s| {
        let sys = LinuxSys;
        sys.bind(s, localhost(0))
            .map_err(|e| format!("bind: {e}"))?;
        sys.listen(s, 1).map_err(|e| format!("listen: {e}"))?;
        sys.shutdown(s, Shutdown::Read)
            .map_err(|e| format!("shutdown(SHUT_RD) of a listener: {e}"))?;
        match sys.connect(s, target) {
            Err(Errno::EINVAL) => Ok(true),
            Err(Errno::EINPROGRESS) => Ok(false),
            other => Err(format!("connect answered {other:?}")),
        }
    })
}

/// A 16-byte write to an eventfd.
fn eventfd_long_write() -> Result<bool, String> {
    let sys = LinuxSys;
    let fd = sys.eventfd(0, false).map_err(|e| format!("eventfd: {e}"))?;
    let mut buf = [0u8; 16];
    buf[..8].copy_from_slice(&1u64.to_ne_bytes());
    let result = match sys.write(fd, &buf) {
        Err(Errno::EINVAL) => Ok(true),
        Ok(8) => Ok(false),
        other => Err(format!("write of 16 bytes answered {other:?}")),
    };
    let _ = sys.close(fd);
    result
}

/// The host answers every divergence one of the named ways; which, and whether the version
/// table predicted it, is printed (`--nocapture`).
#[test]
fn the_host_kernel_answers_each_divergence_one_of_the_named_ways() {
    let report = report();
    println!("{report}");
    for a in answers() {
        assert!(a.newer.is_ok(), "{report}");
    }
    let _ = behaviours();
}

/// `EPOLL_IOCTL`: whether `ioctl(FIONREAD)` on an epoll is `EINVAL` (newer) or `ENOTTY`.
fn epoll_ioctl() -> Result<bool, String> {
    let sys = LinuxSys;
    let ep = sys
        .epoll_create()
        .map_err(|e| format!("epoll_create: {e}"))?;
    let r = sys.fionread(ep);
    let _ = sys.close(ep);
    match r {
        Err(Errno::EINVAL) => Ok(true),
        Err(Errno::ENOTTY) => Ok(false),
        other => Err(format!("FIONREAD on an epoll answered {other:?}")),
    }
}
