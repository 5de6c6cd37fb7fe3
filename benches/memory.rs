//! Memory per simulated client and per connection: peak RSS of one simulation in a fresh child
//! process (`wait4`'s rusage of that child alone), at two sizes; the difference divided by the
//! clients (or connections) added is what one more costs, start-up and binary cancelled out.
//!
//! - `sim_memory_per_client`: the echo, 1 client against `N`: each client is a simulated
//!   thread with its own coroutine stack, a connection (two sockets, the server's handler) and
//!   its buffers. The peer is the same echo on madsim (`bench-madsim`), a task per client.
//! - lws per connection (printed, no peer: no peer runs this scenario): the
//!   `lws-timer-after-destroy` scenario at 1,000 and 10,000 connections, the client process
//!   and the server each holding one socket per connection, the fd limit raised to fit.
//!
//! The child is this binary, re-executed with `SIMKERN_BENCH_MEM` naming the run
//! (`child_run`); it simulates one seed and exits, so its peak is that run's.

// The parent measures real processes: the clippy.toml bans are for sim-run code.
#![allow(clippy::disallowed_methods)]

use crate::report::{Entry, Report};
use crate::Options;
use simkern::scenarios;
use std::path::Path;
use std::process::Command;

const SIZE: u64 = 64;

/// Peak RSS in bytes of `cmd` run to completion (Err names the command and its failure).
fn peak_rss(cmd: &mut Command) -> Result<u64, String> {
    let shown = format!("{cmd:?}");
    let child = cmd
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("{shown}: cannot start: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of the plain C struct wait4 fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child, not yet waited for; both pointers are valid for the call.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if r != pid {
        return Err(format!(
            "{shown}: wait4: {}",
            std::io::Error::last_os_error()
        ));
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!("{shown}: ended with status {status:#x}"));
    }
    // ru_maxrss is in KiB on Linux.
    Ok(usage.ru_maxrss as u64 * 1024)
}

/// This binary, re-executed to run `spec` (see `child_run`).
fn ours(spec: &str) -> Result<u64, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    peak_rss(Command::new(exe).env("SIMKERN_BENCH_MEM", spec))
}

fn madsim(clients: u64) -> Result<u64, String> {
    // Built (if need be) and checked by a one-round run, then the binary itself is measured,
    // not the script and cargo around it.
    crate::peers::madsim_echo(1, 1, SIZE as usize)?;
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-madsim/target/release/madsim-echo");
    let (c, r, s) = (clients.to_string(), "10".to_string(), SIZE.to_string());
    peak_rss(Command::new(bin).args(["--clients", &c, "--rounds", &r, "--size", &s]))
}

/// One seed of a built-in scenario with these params and fd limit, in this process.
fn simulate(name: &str, params: &[(&str, u64)], rlimit_nofile: Option<u32>) {
    let scenario = scenarios::find(name).expect("a built-in scenario");
    let params: Vec<(String, u64)> = params.iter().map(|&(k, v)| (k.to_owned(), v)).collect();
    let setup = scenario.setup(None, &params).expect("valid params");
    let mut kernel = simkern::sim::kernel::Config::default();
    if let Some(n) = rlimit_nofile {
        kernel.rlimit_nofile = n;
    }
    let batch = crate::sim_echo::one_seed(*scenario, setup, 0, kernel);
    let mut config = batch.config(0);
    config.keep_tail = false;
    let outcome = batch.run_seed(&config);
    assert!(outcome.passed(), "{name} {params:?}: {:?}", outcome.stop);
}

/// The child's side: `echo:CLIENTS` or `lws:CONNECTIONS`.
pub fn child_run(spec: &str) -> ! {
    let parsed = spec
        .split_once(':')
        .and_then(|(what, n)| Some((what, n.parse::<u64>().ok().filter(|&n| n > 0)?)));
    match parsed {
        Some(("echo", clients)) => simulate(
            "echo",
            &[("clients", clients), ("rounds", 10), ("size", SIZE)],
            // Each client: its loop's epoll and eventfd, its socket, the server's accepted one.
            Some(u32::try_from(4 * clients + 64).expect("a sane client count")),
        ),
        Some(("lws", conns)) => simulate(
            "lws-timer-after-destroy",
            &[("connections", conns), ("stagger_ms", 0)],
            Some(u32::try_from(conns + 10).expect("a sane connection count")),
        ),
        _ => {
            eprintln!("bench: SIMKERN_BENCH_MEM={spec:?}: want echo:CLIENTS or lws:CONNECTIONS");
            std::process::exit(2);
        }
    }
    std::process::exit(0);
}

/// Bytes one more unit costs: the peak at `big` minus the peak at `small`, per unit added.
fn per_unit(small: (u64, u64), big: (u64, u64)) -> f64 {
    big.1.saturating_sub(small.1) as f64 / (big.0 - small.0) as f64
}

pub fn run(report: &mut Report, opts: &Options, bench_mode: bool) {
    if !opts.wants("memory") {
        return;
    }
    // Enough clients that a client's cost is many pages in all (RSS moves in pages).
    let n = if bench_mode { 2000 } else { 500 };
    let measured = (|| -> Result<(f64, f64), String> {
        let ours_per = per_unit((1, ours("echo:1")?), (n, ours(&format!("echo:{n}"))?));
        let madsim_per = per_unit((1, madsim(1)?), (n, madsim(n)?));
        Ok((ours_per, madsim_per))
    })();
    match measured {
        Ok((ours_per, madsim_per)) if ours_per <= 0.0 || madsim_per <= 0.0 => eprintln!(
            "  sim_memory_per_client: no growth to compare ({n} clients against 1: simkern \
             {ours_per:.0} B, madsim {madsim_per:.0} B per client)"
        ),
        Ok((ours_per, madsim_per)) => {
            eprintln!(
                "  sim_memory_per_client ({n} clients against 1): simkern {ours_per:.0} B, \
                 madsim {madsim_per:.0} B"
            );
            report.push(Entry::cost(
                "sim_memory_per_client",
                "peak_rss_bytes_per_client",
                ours_per,
                "madsim",
                madsim_per,
            ));
        }
        Err(e) => eprintln!("  sim_memory_per_client skipped: {e}"),
    }
    let (small, big) = if bench_mode {
        (1000, 10_000)
    } else {
        (10, 100)
    };
    let lws = (|| -> Result<(u64, f64), String> {
        let at_big = ours(&format!("lws:{big}"))?;
        Ok((
            at_big,
            per_unit((small, ours(&format!("lws:{small}"))?), (big, at_big)),
        ))
    })();
    match lws {
        Ok((peak, per)) => eprintln!(
            "  lws-timer-after-destroy: {big} connections peak at {:.1} MB; {per:.0} B per \
             connection ({small} against {big})",
            peak as f64 / 1e6
        ),
        Err(e) => eprintln!("  lws memory skipped: {e}"),
    }
}
