//! Real Linux as a conformance backend: `LinuxSys` in the test process, on 127.0.0.1 only.
//!
//! Owns: the maps from model fds and ports to real ones, quiescence, and cleanup.
//! - fds: the test process has other fds open, and other tests open and close fds in
//!   parallel, so real numbers say nothing: a new real fd is reported to the model under the
//!   number the model gives it (lowest-free numbering is checked on the simulator only). A
//!   model fd that is not open maps to -1, never to a number that might be someone else's.
//!   Every real fd a sequence got is closed when it ends (`Drop`), whatever happened.
//! - ports: a model port is a real port below `ip_local_port_range`, so no `connect` or
//!   autobind (which take ephemeral ports) can collide with it, found fresh for each sequence
//!   by binding it without `SO_REUSEADDR` (so neither a listener nor a TIME_WAIT entry of an
//!   earlier sequence holds it), then closing the probe.
//! - `Settle`: loopback delivers within the sending syscall (softirq on `local_bh_enable`,
//!   or `release_sock` for a socket the sender holds); only a deferral to `ksoftirqd` on a
//!   loaded machine is late. So it polls a fingerprint of every open socket (TCP state,
//!   accept-queue or unacked count, bytes queued in and out) until it holds still twice in a
//!   row, for at most `SETTLE_POLLS_MAX` polls.
//! - `Nap`: nothing (Linux has no slower network to wait for).
//!
//! Safety: every address is 127.0.0.1; `run::bind_before_listen` keeps `listen` from binding
//! 0.0.0.0.

use crate::run::{drive, Backend, Run};
use crate::step::Step;
use simkern::model::{self, Fd, Port, UnixName};
use simkern::poller::sys::{self, Domain, SockType, Sys};
use simkern::poller::LinuxSys;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// Polls of the fingerprint before `Settle` gives up waiting (each `SETTLE_POLL` apart).
const SETTLE_POLLS_MAX: u32 = 100;
const SETTLE_POLL: Duration = Duration::from_micros(200);
/// Ports a fresh model port is looked for among, before giving up on the sequence.
const PORT_PROBES_MAX: u32 = 2000;

/// The real ports model ports may take: below the ephemeral range (or above it if it starts
/// too low), never 0..1024.
fn port_range() -> (u16, u16) {
    static RANGE: OnceLock<(u16, u16)> = OnceLock::new();
    *RANGE.get_or_init(|| {
        let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .unwrap_or_else(|_| "32768 60999".into());
        let mut it = text
            .split_whitespace()
            .map(|n| n.parse::<u16>().unwrap_or(0));
        let (lo, hi) = (it.next().unwrap_or(32768), it.next().unwrap_or(60999));
        if lo > 12_000 {
            (10_000, lo)
        } else {
            (hi.saturating_add(1).max(1024), u16::MAX)
        }
    })
}

/// A port nobody holds, not even in TIME_WAIT: bind it (no `SO_REUSEADDR`), then let go.
fn fresh_port() -> Result<u16, String> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let (lo, hi) = port_range();
    let span = u32::from(hi - lo);
    let start = std::process::id() * 7919;
    for _ in 0..PORT_PROBES_MAX {
        let port = lo + ((start + NEXT.fetch_add(1, Ordering::Relaxed)) % span) as u16;
        let s = LinuxSys;
        let probe = s
            .socket(Domain::Inet, SockType::Stream)
            .map_err(|e| format!("probe socket: {e:?}"))?;
        let addr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port));
        let free = s.bind(probe, addr).is_ok();
        let _ = s.close(probe);
        if free {
            return Ok(port);
        }
    }
    Err(format!(
        "no free port in {lo}..{hi} after {PORT_PROBES_MAX} probes"
    ))
}

/// What `Settle` watches on one socket; equal twice in a row means quiet.
fn fingerprint(fd: i32) -> Option<[i64; 5]> {
    // SAFETY: tcp_info is plain old data; zero is a valid value to be overwritten.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: `info` is writable for `len` bytes.
    let ret = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            &mut info as *mut _ as *mut libc::c_void,
            &mut len,
        )
    };
    if ret != 0 {
        return None; // not a socket
    }
    let mut inq: libc::c_int = -1;
    let mut outq: libc::c_int = -1;
    // SAFETY: FIONREAD/TIOCOUTQ (SIOCINQ/SIOCOUTQ) write one int; a listener refuses them.
    unsafe {
        libc::ioctl(fd, libc::FIONREAD, &mut inq);
        libc::ioctl(fd, libc::TIOCOUTQ, &mut outq);
    }
    Some([
        i64::from(info.tcpi_state),
        i64::from(info.tcpi_unacked),
        i64::from(info.tcpi_sacked),
        i64::from(inq),
        i64::from(outq),
    ])
}

#[derive(Default)]
struct LinuxBackend {
    /// Model fd → real fd.
    map: BTreeMap<i32, i32>,
    /// Every real fd this sequence holds (closed on drop).
    owned: BTreeSet<i32>,
    /// Model port → real port.
    ports: BTreeMap<u16, u16>,
    /// This sequence's Unix names: a fresh directory for its paths (made on first use,
    /// removed with every socket file in it on drop) and a prefix for its abstract names,
    /// both unique to the process and the sequence.
    unix: Option<UnixNames>,
}

struct UnixNames {
    dir: std::path::PathBuf,
    abstract_prefix: String,
}

impl UnixNames {
    fn fresh() -> Result<UnixNames, String> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let dir = std::env::temp_dir().join(format!("simkern-conformance-{pid}-{n}"));
        std::fs::create_dir(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
        Ok(UnixNames {
            dir,
            abstract_prefix: format!("simkern-conformance-{pid}-{n}-"),
        })
    }

    fn dir(&self) -> &str {
        self.dir.to_str().expect("the temp dir is UTF-8")
    }
}

impl Drop for LinuxBackend {
    fn drop(&mut self) {
        for &fd in &self.owned {
            let _ = LinuxSys.close(sys::Fd(fd));
        }
        if let Some(names) = &self.unix {
            let _ = std::fs::remove_dir_all(&names.dir);
        }
    }
}

impl Backend for LinuxBackend {
    type S = LinuxSys;

    fn sys(&self) -> LinuxSys {
        LinuxSys
    }

    fn real(&self, fd: Fd) -> Fd {
        Fd(self.map.get(&fd.0).copied().unwrap_or(-1))
    }

    fn adopt(&mut self, model: Fd, real: Fd) -> Fd {
        self.owned.insert(real.0);
        if let Some(old) = self.map.insert(model.0, real.0) {
            // The model thinks `model` is free but it was mapped: the sequence has already
            // disagreed; keep both real fds owned so both get closed.
            self.owned.insert(old);
        }
        model
    }

    fn forget(&mut self, fd: Fd) {
        if let Some(real) = self.map.remove(&fd.0) {
            self.owned.remove(&real);
        }
    }

    fn port(&mut self, port: Port) -> Result<u16, String> {
        if let Some(&real) = self.ports.get(&port.0) {
            return Ok(real);
        }
        let real = fresh_port()?;
        self.ports.insert(port.0, real);
        Ok(real)
    }

    fn classify(&self, port: u16) -> String {
        if port == 0 {
            return "0".into();
        }
        if let Some((k, _)) = self.ports.iter().find(|(_, &p)| p == port) {
            return format!("port {k}");
        }
        let eph = ephemeral_range();
        if (eph.0..=eph.1).contains(&port) {
            "ephemeral".into()
        } else {
            format!("{port}")
        }
    }

    fn settle(&mut self) {
        let print = |owned: &BTreeSet<i32>| -> Vec<Option<[i64; 5]>> {
            owned.iter().map(|&fd| fingerprint(fd)).collect()
        };
        let mut last = print(&self.owned);
        let mut still = 0;
        for _ in 0..SETTLE_POLLS_MAX {
            std::thread::sleep(SETTLE_POLL);
            let now = print(&self.owned);
            if now == last {
                still += 1;
                if still >= 2 {
                    return;
                }
            } else {
                still = 0;
                last = now;
            }
        }
    }

    fn nap(&mut self) {}

    fn unix_addr(&mut self, name: UnixName) -> Result<sys::UnixAddr, String> {
        if self.unix.is_none() {
            self.unix = Some(UnixNames::fresh()?);
        }
        let names = self.unix.as_ref().expect("just made");
        Ok(crate::unix_names::addr(
            name,
            names.dir(),
            &names.abstract_prefix,
        ))
    }

    fn unix_name(&self, addr: &sys::UnixAddr) -> Option<UnixName> {
        match &self.unix {
            Some(names) => crate::unix_names::name(addr, names.dir(), &names.abstract_prefix),
            None => (*addr == sys::UnixAddr::Unnamed).then_some(UnixName::Unnamed),
        }
    }
}

fn ephemeral_range() -> (u16, u16) {
    static RANGE: OnceLock<(u16, u16)> = OnceLock::new();
    *RANGE.get_or_init(|| {
        let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .unwrap_or_else(|_| "32768 60999".into());
        let mut it = text
            .split_whitespace()
            .map(|n| n.parse::<u16>().unwrap_or(0));
        (it.next().unwrap_or(32768), it.next().unwrap_or(60999))
    })
}

/// The model configuration that judges Linux: Linux's defaults, with the same bound on
/// states as for the simulator.
pub fn model_config() -> model::Config {
    model::Config {
        max_worlds: crate::sim::MAX_WORLDS,
        // The host's answers where versions differ, probed once (`host`): either named answer
        // is Linux, but one kernel gives one of them, and a harness step that depends on the
        // answer (`bind_before_listen`) must know which.
        linux: Some(crate::host::behaviours()),
        ip_default_ttl: crate::host::ip_default_ttl(),
        ..model::Config::default()
    }
}

/// Runs `steps` on real Linux, judged by the model; closes every fd it opened.
pub fn run(steps: &[Step], explain: bool) -> Run {
    let mut run = Run::default();
    let backend = drive(
        LinuxBackend::default(),
        model_config(),
        steps,
        explain,
        &mut run,
    );
    drop(backend);
    run
}
