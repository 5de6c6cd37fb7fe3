//! The cost of one real `getppid()` call: the yardstick for "how many syscalls is one
//! simulated operation worth". `getppid` is about the cheapest syscall Linux has (no
//! arguments, no locks, no vDSO shortcut), so the figure is the bare user/kernel round trip,
//! with whatever mitigations this kernel runs.

// Timing real syscalls in real time: the clippy.toml bans are for sim-run code.
#![allow(clippy::disallowed_methods)]

use std::hint::black_box;
use std::time::Instant;

/// Calls made before timing starts, to fault in the code and settle the caches.
const WARMUP_CALLS: u64 = 10_000;

/// Mean nanoseconds per real `libc::getppid()` call over `iterations` calls.
pub fn getppid_ns(iterations: u64) -> f64 {
    assert!(iterations > 0, "getppid_ns: iterations must be at least 1");
    for _ in 0..WARMUP_CALLS {
        // SAFETY: getppid takes no arguments, touches no memory of ours and cannot fail.
        black_box(unsafe { libc::getppid() });
    }
    let start = Instant::now();
    for _ in 0..black_box(iterations) {
        // SAFETY: as above.
        black_box(unsafe { libc::getppid() });
    }
    start.elapsed().as_nanos() as f64 / iterations as f64
}
