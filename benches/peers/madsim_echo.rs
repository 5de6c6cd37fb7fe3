//! The echo on madsim 0.2, run as a child process: `bench-madsim/run.sh` builds the
//! `madsim-echo` binary (release, `--cfg madsim`, its own target dir `bench-madsim/target`)
//! and runs it; this module reads its one JSON line.
//!
//! Why a child: madsim only simulates when every crate it touches is built with
//! `--cfg madsim`, and it replaces libc's `clock_gettime`, `getrandom` and
//! `pthread_attr_init` process-wide, so it cannot share a binary with the other benchmarks.
//! The child times itself (runtime build, run, teardown), so its start-up and the build are
//! not counted. The echo itself and madsim's defaults are described in
//! `bench-madsim/src/main.rs`.

// Timing the peer in real time: the clippy.toml bans are for sim-run code.
#![allow(clippy::disallowed_methods)]

use super::Measurement;
use std::path::PathBuf;
use std::process::Command;

/// Lines of the child's stderr quoted in an error (cargo's last lines hold the compile error).
const STDERR_TAIL_LINES: usize = 20;

/// What `madsim-echo` prints.
#[derive(serde::Deserialize)]
struct Line {
    round_trips: u64,
    wall_s: f64,
}

/// The `bench-madsim` crate, next to this repository's root manifest.
fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench-madsim")
}

/// Runs the echo once on madsim, building `madsim-echo` first if need be.
///
/// Err if the build fails, the child fails (a mismatched echo among them) or its output is
/// not the one JSON line expected; the message quotes the command and the child's stderr.
pub fn madsim_echo(clients: usize, rounds: usize, size: usize) -> Result<Measurement, String> {
    let dir = crate_dir();
    let script = dir.join("run.sh");
    if !dir.join("target/release/madsim-echo").exists() {
        eprintln!(
            "peers: building {} (first use, about a minute)",
            dir.display()
        );
    }
    let args = [
        "--clients".to_string(),
        clients.to_string(),
        "--rounds".to_string(),
        rounds.to_string(),
        "--size".to_string(),
        size.to_string(),
    ];
    let command = format!("bash {} {}", script.display(), args.join(" "));
    let output = Command::new("bash")
        .arg(&script)
        .args(&args)
        .output()
        .map_err(|e| format!("{command}: cannot start: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail = || {
        let lines: Vec<&str> = stderr.lines().collect();
        lines[lines.len().saturating_sub(STDERR_TAIL_LINES)..].join("\n")
    };
    if !output.status.success() {
        return Err(format!("{command}: {}\n{}", output.status, tail()));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty());
    let line: Line = last
        .ok_or_else(|| format!("{command}: printed nothing on stdout\n{}", tail()))
        .and_then(|l| {
            serde_json::from_str(l).map_err(|e| format!("{command}: output {l:?}: {e}"))
        })?;
    let expected = clients as u64 * rounds as u64;
    if line.round_trips != expected {
        return Err(format!(
            "{command}: round_trips {} but clients * rounds = {expected}",
            line.round_trips
        ));
    }
    if !(line.wall_s.is_finite() && line.wall_s > 0.0) {
        return Err(format!(
            "{command}: wall_s {} is not a positive time",
            line.wall_s
        ));
    }
    Ok(Measurement {
        round_trips: line.round_trips,
        wall_s: line.wall_s,
    })
}
