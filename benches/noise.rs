//! How much CPU other processes took while a benchmark measured: `Cpu` samples and `foreign`.
//!
//! A benchmark on a shared machine measures its neighbours too (a `cargo build` next door
//! halves an echo benchmark's throughput). The number is not corrected for; it is printed
//! next to the results so a reader can tell a clean run from a spoiled one.
//!
//! Foreign time is the machine's `user + nice + system + steal` time (`/proc/stat`) minus this
//! process's own `utime + stime` (`/proc/self/stat`, which counts exited threads too). `irq`
//! and `softirq` time are left out: loopback TCP does its receive work in softirq context,
//! which is the benchmark's own work but not charged to its threads. Resolution is one clock
//! tick (`USER_HZ`, 10 ms on Linux).

use std::time::Duration;

/// One reading of the machine's and this process's CPU time, in clock ticks.
#[derive(Copy, Clone, Debug)]
pub struct Cpu {
    machine_ticks: u64,
    self_ticks: u64,
}

impl Cpu {
    /// Reads both counters now. `None` when `/proc` cannot be read (the noise is then unknown).
    pub fn now() -> Option<Cpu> {
        Some(Cpu {
            machine_ticks: machine_ticks()?,
            self_ticks: self_ticks()?,
        })
    }
}

/// CPUs' worth of time other processes used between `a` and `b`, `wall` apart.
pub fn foreign(a: Option<Cpu>, b: Option<Cpu>, wall: Duration) -> Option<f64> {
    let (a, b) = (a?, b?);
    let machine = b.machine_ticks.saturating_sub(a.machine_ticks);
    let own = b.self_ticks.saturating_sub(a.self_ticks);
    let ticks = machine.saturating_sub(own) as f64;
    Some(ticks / ticks_per_sec() / wall.as_secs_f64())
}

fn ticks_per_sec() -> f64 {
    // SAFETY: sysconf has no memory effects.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 {
        hz as f64
    } else {
        100.0 // Linux's USER_HZ on every architecture it exports to user space
    }
}

/// `user + nice + system + steal` of the `cpu` line of `/proc/stat`.
fn machine_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal ...
    let field = |i: usize| fields.get(i).copied();
    Some(field(0)? + field(1)? + field(2)? + field(7).unwrap_or(0))
}

/// `utime + stime` of `/proc/self/stat` (fields 14 and 15, after the parenthesised name).
fn self_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The name may contain spaces and parentheses; the fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state), so field n is at index n - 3.
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    Some(utime + stime)
}
