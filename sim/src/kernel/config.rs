//! `Config`: the kernel's tunables. Each default is Linux's value, or a documented smaller one.
//!
//! Owns the named constants the kernel bounds itself with; each doc says its Linux analogue.
//! A config can come from a seed file, so `Config::check` reports a bad field as an error
//! naming the field and value; `Kernel::new` refuses (panics on) a config that fails it.

use serde::{Deserialize, Serialize};
use simkern_model::linux::{Behaviours, Version};
use std::fmt;

mod linux_serde;

/// `PAGE_SIZE` on x86_64 and aarch64 (4 KiB pages): the size of one pipe buffer.
pub const PAGE_SIZE: usize = 4096;
/// `PIPE_BUF`: a pipe write of at most this many bytes is atomic (pipe(7)).
pub const PIPE_BUF: usize = 4096;
/// `PIPE_DEF_BUFFERS`: a new pipe has 16 page buffers, so 65536 bytes (pipe(7), since 2.6.11).
pub const PIPE_DEF_BUFFERS: usize = 16;
/// Default pipe capacity in bytes: `PIPE_DEF_BUFFERS` pages.
pub const PIPE_CAPACITY: usize = PIPE_DEF_BUFFERS * PAGE_SIZE;
/// `net.ipv4.tcp_wmem[1]`: the default TCP send buffer, 16 KiB.
pub const TCP_WMEM_DEFAULT: usize = 16 * 1024;
/// `net.ipv4.tcp_rmem[1]`: the default TCP receive buffer, 128 KiB.
pub const TCP_RMEM_DEFAULT: usize = 128 * 1024;
/// `net.core.rmem_default`: the default receive buffer of other sockets (UDP), 208 KiB.
pub const RMEM_DEFAULT: usize = 212_992;
/// `net.core.wmem_default`: the default send buffer of other sockets (UDP), 208 KiB.
pub const WMEM_DEFAULT: usize = 212_992;
/// `TCP_TIMEOUT_INIT`: the first SYN retransmission timeout, 1 s (RFC 6298).
pub const TCP_TIMEOUT_INIT_NS: u64 = 1_000_000_000;
/// `TCP_TIMEWAIT_LEN`: how long a TIME_WAIT entry keeps its address busy for `bind`, 60 s.
pub const TCP_TIMEWAIT_LEN_NS: u64 = 60_000_000_000;
/// `net.ipv4.tcp_syn_retries`: SYN retransmissions before `ETIMEDOUT` (6: gives up at 127 s).
pub const TCP_SYN_RETRIES: u32 = 6;
/// `net.ipv4.ip_local_port_range` low end.
pub const EPHEMERAL_PORT_MIN: u16 = 32768;
/// `net.ipv4.ip_local_port_range` high end.
pub const EPHEMERAL_PORT_MAX: u16 = 60999;
/// `RLIMIT_NOFILE` soft limit most distributions start processes with.
pub const RLIMIT_NOFILE: u32 = 1024;
/// `net.core.somaxconn`: the cap on a listen backlog (4096 since Linux 5.4).
pub const SOMAXCONN: u32 = 4096;
/// `net.ipv4.ip_default_ttl`: the TTL of a socket that set none (`IPDEFTTL`).
pub const IP_DEFAULT_TTL: u8 = 64;
/// Default of `Config::step_ns_max`: each step takes 0 to 100 ns, about what a syscall or a
/// handler's stretch of work between two takes on Linux (madsim moves its clock 50-100 ns per
/// poll). Small beside the network's latencies (10 µs and up), so a byte written still takes
/// about a hundred steps of other work to land, but never zero.
pub const STEP_NS_MAX: u64 = 100;
/// The most virtual time one step may take (`Config::step_ns_max`): 1 ms. More would make a
/// handler's few steps outlast the network's latencies and timers many times over.
pub const STEP_NS_MAX_MAX: u64 = 1_000_000;
/// Default lower bound of a segment's one-way latency: 10 µs, a loopback hop.
pub const LATENCY_NS_MIN: u64 = 10_000;
/// Default upper bound of a segment's one-way latency: 1 ms, wide enough to reorder
/// segments of different connections often.
pub const LATENCY_NS_MAX: u64 = 1_000_000;

/// The kernel's tunables. Serialised (seed files, reports, worker specs) as an object whose
/// missing fields take their defaults; an unknown field is an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Least one-way latency of a segment, in ns.
    pub latency_ns_min: u64,
    /// Greatest one-way latency of a segment, in ns (inclusive).
    pub latency_ns_max: u64,
    /// Bytes a socket may hold written but not yet delivered to its peer (`SO_SNDBUF`).
    pub sndbuf: usize,
    /// Bytes a socket may hold delivered but not yet read (`SO_RCVBUF`).
    pub rcvbuf: usize,
    /// Bytes a UDP socket's receive queue may be charged (`SO_RCVBUF`, `rmem_default`); each
    /// datagram is charged about its skb's `truesize` (`udp::truesize`), not its length.
    pub udp_rcvbuf: usize,
    /// Pipe capacity in bytes; a multiple of `PAGE_SIZE` (`F_SETPIPE_SZ`).
    pub pipe_capacity: usize,
    /// First SYN retransmission timeout, in ns; doubles after each retransmission.
    pub syn_rto_initial_ns: u64,
    /// SYN retransmissions before a connect fails with `ETIMEDOUT`.
    pub syn_retries: u32,
    /// Lowest ephemeral port (`ip_local_port_range`).
    pub ephemeral_port_min: u16,
    /// Highest ephemeral port (`ip_local_port_range`).
    pub ephemeral_port_max: u16,
    /// fds at or above this number are refused with `EMFILE` (`RLIMIT_NOFILE`).
    pub rlimit_nofile: u32,
    /// Cap on a listen backlog (`somaxconn`).
    pub somaxconn: u32,
    /// What `IP_TTL` reads on a socket that set none (`net.ipv4.ip_default_ttl`, 1 to 255).
    pub ip_default_ttl: u8,
    /// Whether a harvest may report ready entries in an order other than the ready list's
    /// FIFO (`Choice::ReadyOrder`). Linux is FIFO; on by default to explore more orders.
    pub permute_ready: bool,
    /// Whether a socket write that does not fit whole may accept less than the free space
    /// (`Choice::WriteLen`). Linux fills the buffer; on by default to explore short writes.
    pub write_len_freedom: bool,
    /// How the target kernel answers where Linux versions differ
    /// (`simkern_model::linux::DIVERGENCES`). Default: the newest known version's answers
    /// (`--kernel linux=VERSION` picks another).
    #[serde(with = "linux_serde")]
    pub linux: Behaviours,
    /// Virtual time each step may take, in ns: every scheduling point advances the clock by
    /// a drawn amount in `0..=step_ns_max`, so deliveries and timer expiries land between the
    /// steps of a running handler (a read that found `EAGAIN` may find data at the next one;
    /// events of many connections pile up for one `epoll_wait`), as on Linux, where work takes
    /// time. Default `STEP_NS_MAX`; 0 keeps time still while any thread can run (what every
    /// run did before the default changed, and what seed files older than format 3 replay
    /// with). `STEP_NS_MAX_MAX` bounds it.
    pub step_ns_max: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            latency_ns_min: LATENCY_NS_MIN,
            latency_ns_max: LATENCY_NS_MAX,
            sndbuf: TCP_WMEM_DEFAULT,
            rcvbuf: TCP_RMEM_DEFAULT,
            udp_rcvbuf: RMEM_DEFAULT,
            pipe_capacity: PIPE_CAPACITY,
            syn_rto_initial_ns: TCP_TIMEOUT_INIT_NS,
            syn_retries: TCP_SYN_RETRIES,
            ephemeral_port_min: EPHEMERAL_PORT_MIN,
            ephemeral_port_max: EPHEMERAL_PORT_MAX,
            rlimit_nofile: RLIMIT_NOFILE,
            somaxconn: SOMAXCONN,
            ip_default_ttl: IP_DEFAULT_TTL,
            permute_ready: true,
            write_len_freedom: true,
            linux: Behaviours::default(),
            step_ns_max: STEP_NS_MAX,
        }
    }
}

/// A config field with a value the kernel cannot run with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The field's name, as spelled in `Config`.
    pub field: &'static str,
    /// The offending value.
    pub value: String,
    /// What the value must be.
    pub why: &'static str,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "kernel config {} = {}: {}",
            self.field, self.value, self.why
        )
    }
}

impl std::error::Error for ConfigError {}

fn bad(field: &'static str, value: impl fmt::Debug, why: &'static str) -> ConfigError {
    ConfigError {
        field,
        value: format!("{value:?}"),
        why,
    }
}

impl Config {
    /// Checks every field; the first bad one is the error.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.latency_ns_min > self.latency_ns_max {
            return Err(bad(
                "latency_ns_min",
                self.latency_ns_min,
                "must not exceed latency_ns_max",
            ));
        }
        if self.latency_ns_max - self.latency_ns_min == u64::MAX {
            return Err(bad(
                "latency_ns_max",
                self.latency_ns_max,
                "the latency range must have fewer than 2^64 values",
            ));
        }
        if self.sndbuf == 0 {
            return Err(bad("sndbuf", self.sndbuf, "must be at least 1 byte"));
        }
        if self.rcvbuf == 0 {
            return Err(bad("rcvbuf", self.rcvbuf, "must be at least 1 byte"));
        }
        if self.udp_rcvbuf == 0 {
            return Err(bad(
                "udp_rcvbuf",
                self.udp_rcvbuf,
                "must be at least 1 byte",
            ));
        }
        if self.pipe_capacity < PAGE_SIZE || !self.pipe_capacity.is_multiple_of(PAGE_SIZE) {
            return Err(bad(
                "pipe_capacity",
                self.pipe_capacity,
                "must be a non-zero multiple of PAGE_SIZE (4096)",
            ));
        }
        if self.syn_rto_initial_ns == 0 {
            return Err(bad(
                "syn_rto_initial_ns",
                self.syn_rto_initial_ns,
                "must be positive",
            ));
        }
        if self.syn_retries > 30 {
            return Err(bad(
                "syn_retries",
                self.syn_retries,
                "must be at most 30 (the doubling timeout would overflow)",
            ));
        }
        if self.ephemeral_port_min == 0 || self.ephemeral_port_min > self.ephemeral_port_max {
            return Err(bad(
                "ephemeral_port_min",
                self.ephemeral_port_min,
                "must be non-zero and not exceed ephemeral_port_max",
            ));
        }
        if self.step_ns_max > STEP_NS_MAX_MAX {
            return Err(bad(
                "step_ns_max",
                self.step_ns_max,
                "must be at most STEP_NS_MAX_MAX (1,000,000 ns)",
            ));
        }
        if self.ip_default_ttl == 0 {
            return Err(bad(
                "ip_default_ttl",
                self.ip_default_ttl,
                "must be 1 to 255 (Linux's range for net.ipv4.ip_default_ttl)",
            ));
        }
        if self.rlimit_nofile > i32::MAX as u32 {
            return Err(bad(
                "rlimit_nofile",
                self.rlimit_nofile,
                "must fit an fd number (i32)",
            ));
        }
        Ok(())
    }
}

impl Config {
    /// "Strict Linux": every freedom off, so the kernel answers as Linux most often does
    /// (ready entries in wakeup order, writes that fill the buffer). The freedoms explore what
    /// Linux allows but rarely shows; strict runs check that a failure does not need them.
    /// Latency stays drawn: delivery timing is the network's, not a freedom of the model;
    /// so does each step's time (`step_ns_max`): work taking time is Linux's, too.
    /// (`EPOLLEXCLUSIVE` still wakes every exclusive entry: waking just one needs to know
    /// which epoll has a thread blocked in `epoll_wait`, which the kernel does not see.)
    pub fn strict() -> Config {
        Config {
            permute_ready: false,
            write_len_freedom: false,
            ..Config::default()
        }
    }

    /// Whether this is `Config::default()` (seed files and reports leave the field out then).
    pub fn is_default(&self) -> bool {
        *self == Config::default()
    }

    /// The `--kernel NAME=VALUE` arguments that make this config from the default, in field
    /// order; `None` when the target kernel's answers match no version `linux=` can name
    /// (a config built by hand, such as a probed host's).
    pub fn overrides(&self) -> Option<Vec<String>> {
        let d = Config::default();
        let mut out = Vec::new();
        macro_rules! diff {
            ($($field:ident),*) => {$(
                if self.$field != d.$field {
                    out.push(format!(concat!(stringify!($field), "={}"), self.$field));
                }
            )*};
        }
        diff!(
            latency_ns_min,
            latency_ns_max,
            sndbuf,
            rcvbuf,
            udp_rcvbuf,
            pipe_capacity,
            syn_rto_initial_ns,
            syn_retries,
            ephemeral_port_min,
            ephemeral_port_max,
            rlimit_nofile,
            somaxconn,
            ip_default_ttl,
            permute_ready,
            write_len_freedom,
            step_ns_max
        );
        if self.linux != d.linux {
            // Each divergence's first version and the one before it cover every combination
            // the version table can give.
            let mut candidates = vec![Version::new(5, 0, 0)];
            for div in simkern_model::linux::DIVERGENCES {
                candidates.push(div.since);
                let v = div.since;
                candidates.push(match (v.patch, v.minor) {
                    (0, 0) => Version::new(v.major.saturating_sub(1), 0, 0),
                    (0, m) => Version::new(v.major, m - 1, 0),
                    (p, m) => Version::new(v.major, m, p - 1),
                });
            }
            let v = candidates
                .into_iter()
                .find(|v| Behaviours::of(*v) == self.linux)?;
            out.push(format!("linux={v}"));
        }
        Some(out)
    }

    /// Sets `NAME=VALUE` (one `--kernel` argument). The error names the argument.
    pub fn set_arg(&mut self, arg: &str) -> Result<(), String> {
        let (name, value) = arg.split_once('=').ok_or_else(|| {
            format!("--kernel {arg:?}: expected NAME=VALUE, e.g. rlimit_nofile=20000")
        })?;
        self.set(name, value)
            .map_err(|e| format!("--kernel {arg}: {e}"))
    }

    /// Sets one tunable from `NAME=VALUE` text (`--kernel`, `Check::kernel_set`): a field of
    /// `Config` by its name, or `linux=VERSION` for the target kernel's behaviours. The error
    /// names the field and the value; the whole config is checked afterwards.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        fn num<T: std::str::FromStr>(field: &'static str, value: &str) -> Result<T, ConfigError> {
            value
                .trim()
                .replace('_', "")
                .parse()
                .map_err(|_| ConfigError {
                    field,
                    value: format!("{value:?}"),
                    why: "must be a non-negative integer in the field's range",
                })
        }
        fn flag(field: &'static str, value: &str) -> Result<bool, ConfigError> {
            match value.trim() {
                "true" | "on" | "1" => Ok(true),
                "false" | "off" | "0" => Ok(false),
                _ => Err(ConfigError {
                    field,
                    value: format!("{value:?}"),
                    why: "must be true or false",
                }),
            }
        }
        match name.trim() {
            "latency_ns_min" => self.latency_ns_min = num("latency_ns_min", value)?,
            "latency_ns_max" => self.latency_ns_max = num("latency_ns_max", value)?,
            "sndbuf" => self.sndbuf = num("sndbuf", value)?,
            "rcvbuf" => self.rcvbuf = num("rcvbuf", value)?,
            "udp_rcvbuf" => self.udp_rcvbuf = num("udp_rcvbuf", value)?,
            "pipe_capacity" => self.pipe_capacity = num("pipe_capacity", value)?,
            "syn_rto_initial_ns" => self.syn_rto_initial_ns = num("syn_rto_initial_ns", value)?,
            "syn_retries" => self.syn_retries = num("syn_retries", value)?,
            "ephemeral_port_min" => self.ephemeral_port_min = num("ephemeral_port_min", value)?,
            "ephemeral_port_max" => self.ephemeral_port_max = num("ephemeral_port_max", value)?,
            "rlimit_nofile" => self.rlimit_nofile = num("rlimit_nofile", value)?,
            "somaxconn" => self.somaxconn = num("somaxconn", value)?,
            "ip_default_ttl" => self.ip_default_ttl = num("ip_default_ttl", value)?,
            "step_ns_max" => self.step_ns_max = num("step_ns_max", value)?,
            "permute_ready" => self.permute_ready = flag("permute_ready", value)?,
            "write_len_freedom" => self.write_len_freedom = flag("write_len_freedom", value)?,
            "profile" => {
                let freedoms =
                    match value.trim() {
                        "strict" => Config::strict(),
                        "default" => Config::default(),
                        _ => return Err(ConfigError {
                            field: "profile",
                            value: format!("{value:?}"),
                            why: "must be strict (every freedom off) or default (every freedom on)",
                        }),
                    };
                self.permute_ready = freedoms.permute_ready;
                self.write_len_freedom = freedoms.write_len_freedom;
            }
            "linux" => {
                let version: Version = value.parse().map_err(|_| ConfigError {
                    field: "linux",
                    value: format!("{value:?}"),
                    why: "must be a kernel version MAJOR.MINOR[.PATCH], e.g. 6.18.44",
                })?;
                self.linux = Behaviours::of(version);
            }
            other => return Err(ConfigError {
                field: "tunable",
                value: format!("{other:?}"),
                why:
                    "is not one of the kernel's tunables (latency_ns_min, latency_ns_max, sndbuf, \
                          rcvbuf, udp_rcvbuf, pipe_capacity, syn_rto_initial_ns, syn_retries, \
                          ephemeral_port_min, ephemeral_port_max, rlimit_nofile, somaxconn, \
                          ip_default_ttl, step_ns_max, permute_ready, write_len_freedom, profile, linux)",
            }),
        }
        self.check()
    }
}

#[cfg(test)]
mod tests;
