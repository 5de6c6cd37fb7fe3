//! Arguments and results as trace words (an address, a timeout, an fd), and the length a
//! `Short` fault leaves.

use super::*;

pub(super) fn addr_word(addr: &SocketAddr) -> i64 {
    match addr {
        SocketAddr::V4(a) => ((u32::from(*a.ip()) as i64) << 16) | a.port() as i64,
        SocketAddr::V6(a) => a.port() as i64,
    }
}

/// A Unix address as one trace word: FNV-1a over its kind and bytes, nonnegative (stable
/// across runs and platforms; `-1` is reserved for "no address").
pub(super) fn unix_addr_word(addr: &UnixAddr) -> i64 {
    let (kind, bytes): (u8, &[u8]) = match addr {
        UnixAddr::Unnamed => (0, &[]),
        UnixAddr::Path(p) => (1, p),
        UnixAddr::Abstract(a) => (2, a),
    };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in std::iter::once(&kind).chain(bytes) {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    (h >> 1) as i64
}

/// A nanosecond timeout as a trace word (-1: forever).
pub(super) fn ns_word(ns: Option<u64>) -> i64 {
    ns.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX))
}

pub(super) fn fd_result(fd: &Fd) -> i64 {
    fd.0 as i64
}

pub(super) fn unit(_: &()) -> i64 {
    0
}

pub(super) fn len_result(n: &usize) -> i64 {
    *n as i64
}

/// A `Short` fault: accept between 1 and len-1 bytes (len > 1) — on a byte stream only;
/// Linux never shortens an eventfd write.
pub(super) fn shortened(w: &mut World, fd: Fd, len: usize) -> usize {
    if len <= 1 || !w.kernel.is_stream(fd) {
        return len;
    }
    w.kernel.found_short_of_space(fd);
    1 + w
        .decisions
        .choose(crate::decision::Choice::Fault, len as u64 - 1) as usize
}
