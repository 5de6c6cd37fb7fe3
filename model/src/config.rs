//! `Config`: the limits and bounds the model needs, each defaulting to its Linux value.
//!
//! Owns: numbers, and which kernel version is judged. The model is used against real Linux (defaults below) and against the
//! simulator (which passes its own buffer sizes so that its exact EAGAIN points are checked).

use crate::linux::Behaviours;

/// Limits of the modelled process and network. `Config::default()` is Linux's defaults.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Config {
    /// Fds below this number are open outside the model (stdin, stdout, stderr): never
    /// allocated, and ops naming them are unsupported. Default 3.
    pub first_fd: i32,
    /// `RLIMIT_NOFILE`: every fd number is below it, else `EMFILE`. Default 1024, the usual
    /// soft limit.
    pub fd_limit: i32,
    /// Pipe capacity in page slots: `PIPE_DEF_BUFFERS` = 16, i.e. 65536 bytes with 4 KiB pages.
    pub pipe_pages: usize,
    /// Bytes a connected stream socket surely accepts: while the bytes written and not yet
    /// read-and-acknowledged by the peer stay at or below this, writes are taken whole and the
    /// socket is writable. Default 64 KiB: below the loopback receive window plus the send
    /// buffer Linux sizes at connection setup (`tcp_rmem[1]` = 128 KiB, `tcp_wmem[1]` =
    /// 16 KiB grown by `tcp_sndbuf_expand`).
    pub stream_buf_min: usize,
    /// Bytes a stream socket never exceeds: at this many unacknowledged bytes writes fail with
    /// `EAGAIN`. Default 16 MiB: above `tcp_wmem[2]` (4 MiB) + `tcp_rmem[2]` (6 MiB), the
    /// most autotuning can grow to, with room for one overshooting skb.
    pub stream_buf_max: usize,
    /// `SO_RCVBUF` of a UDP socket, the bytes its receive queue may be charged
    /// (`net.core.rmem_default`, 212,992; each datagram is charged `udp::truesize`).
    pub udp_rcvbuf: usize,
    /// `SO_SNDBUF` of a UDP socket (`net.core.wmem_default`, 212,992). Loopback never fills
    /// it: sent datagrams are freed at once.
    pub udp_sndbuf: usize,
    /// `net.core.somaxconn`: `listen` caps its backlog here. 4096 since Linux 5.4 (128 before).
    pub somaxconn: u32,
    /// `net.ipv4.ip_default_ttl`: what `IP_TTL` reads on a socket that set none (64).
    pub ip_default_ttl: u8,
    /// Every socket has `SO_REUSEADDR` set before `bind` (the poller sets it on listeners).
    /// Default false, Linux's default.
    pub reuse_addr: bool,
    /// Bound on the kernel states the model tracks at once (see `Model::worlds`). Past it the
    /// model stops judging rather than slow down: `Settle` more often.
    pub max_worlds: usize,
    /// Which kernel is judged, where versions differ (`linux::DIVERGENCES`): `None` allows
    /// every named answer (a real kernel of any version); `Some` only that kernel's (the
    /// simulator, whose target is known). Default `None`.
    pub linux: Option<Behaviours>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            first_fd: 3,
            fd_limit: 1024,
            pipe_pages: 16,
            stream_buf_min: 64 * 1024,
            stream_buf_max: 16 * 1024 * 1024,
            udp_rcvbuf: 212_992,
            udp_sndbuf: 212_992,
            somaxconn: 4096,
            ip_default_ttl: 64,
            reuse_addr: false,
            max_worlds: 4096,
            linux: None,
        }
    }
}

impl Config {
    /// A configuration for an implementation whose stream buffers are exactly `bytes` long per
    /// direction: writes are taken whole up to it and refused past it, with no band of
    /// uncertainty in between (a simulator with fixed buffers).
    pub fn exact_buffers(bytes: usize) -> Config {
        Config {
            stream_buf_min: bytes,
            stream_buf_max: bytes,
            ..Config::default()
        }
    }
}
