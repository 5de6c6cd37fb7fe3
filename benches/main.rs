//! Simkern's benchmarks, one binary, one run: `cargo bench --bench main [-- FILTER]`.
//!
//! - `report`: `Report` and `Entry` (ratio oriented so above 1.0 means Simkern is ahead), the
//!   table and `target/simkern-bench.json`; `Summary`, the median and spread of repeated runs.
//! - `real_echo`: echo ping-pong over loopback, the poller on `LinuxSys` against mio.
//! - `noise`: how much CPU other processes took during a measurement, printed beside it.
//! - `sim_echo`: the `echo` scenario on the simulator against turmoil and madsim; cost per
//!   simulated step against a real `getppid()`.
//! - `switch`: a coroutine switch against an OS-thread baton handoff (why `sim` uses coroutines).
//! - `memory`: peak RSS per simulated client (against madsim) and per lws connection.
//! - `peers`: the same echo on turmoil and madsim, and the `getppid()` yardstick.
//!
//! Numbers are printed and saved, never asserted: a timed assertion fails on a busy machine
//! and teaches nothing. A benchmark adds its entries to the one `Report`, so every comparison
//! of a run lands in the same table and the same JSON file.
//!
//! `SIMKERN_BENCH_PIN=split|shared|off` chooses where the real-kernel benchmarks' loop threads
//! run (default `split`: server and client on a CPU each; see `real_echo::pin`).
//!
//! Run without `--bench` (as `cargo test --benches` does) each configuration runs once, briefly,
//! as a smoke test, and the JSON file is left alone.

// The benchmarks measure the real backend in real time, on real threads: the clippy.toml bans
// on `Instant::now` and `std::thread::spawn` are for sim-run code and do not apply here.
#![allow(clippy::disallowed_methods)]

mod memory;
mod noise;
mod peers;
mod real_echo;
mod report;
mod sim_echo;
mod switch;

use real_echo::pin::Pin;
use std::time::Duration;

/// How a run measures, and which benchmarks it runs.
pub struct Options {
    /// Time each run is given before counting starts (connects, caches, frequency ramp-up).
    pub warmup: Duration,
    /// Wall time counted per run.
    pub measure: Duration,
    /// Runs per framework and configuration; the report takes the median.
    pub reps: usize,
    /// Run only benchmarks whose name contains this.
    pub filter: Option<String>,
    /// Where the real-kernel benchmarks' loop threads run (`SIMKERN_BENCH_PIN`).
    pub pin: Pin,
}

impl Options {
    /// Nine runs of 1 s per framework and configuration (the echo benchmark takes ~45 s):
    /// many short interleaved runs give the median more to work with against drift and noise.
    fn bench(filter: Option<String>, pin: Pin) -> Options {
        Options {
            warmup: Duration::from_millis(250),
            measure: Duration::from_secs(1),
            reps: 9,
            filter,
            pin,
        }
    }

    /// One short run each: checks that every benchmark works, measures nothing worth keeping.
    fn smoke(filter: Option<String>, pin: Pin) -> Options {
        Options {
            warmup: Duration::from_millis(20),
            measure: Duration::from_millis(100),
            reps: 1,
            filter,
            pin,
        }
    }

    pub fn wants(&self, name: &str) -> bool {
        match &self.filter {
            Some(filter) => name.contains(filter.as_str()),
            None => true,
        }
    }
}

/// `SIMKERN_BENCH_FIXED=FRAMEWORK:CONNS:ROUND_TRIPS`: one fixed-length real echo run and
/// nothing else, for valgrind's instruction counts (see `real_echo::fixed`).
fn fixed_run(spec: &str) -> ! {
    let parsed = match spec.split(':').collect::<Vec<_>>()[..] {
        [framework, conns, n] => conns
            .parse::<usize>()
            .ok()
            .zip(n.parse::<u64>().ok())
            .map(|(c, n)| (framework, c, n)),
        _ => None,
    };
    let Some((framework, conns, n)) = parsed.filter(|&(_, c, n)| c > 0 && n > 0) else {
        eprintln!("bench: SIMKERN_BENCH_FIXED={spec:?}: want FRAMEWORK:CONNS:ROUND_TRIPS");
        std::process::exit(2);
    };
    match real_echo::fixed(framework, conns, n) {
        Ok(done) => {
            println!("round trips: {done}");
            std::process::exit(0);
        }
        Err(e) => {
            eprintln!("bench: SIMKERN_BENCH_FIXED: {e}");
            std::process::exit(2);
        }
    }
}

/// `SIMKERN_BENCH_TURMOIL=CLIENTS:ROUNDS`: one turmoil echo of 64-byte messages and nothing
/// else, so valgrind can count turmoil's instructions per round trip beside Simkern's and
/// madsim's (`scripts/bench-profile.sh`).
fn turmoil_run(spec: &str) -> ! {
    let parsed = match spec.split(':').collect::<Vec<_>>()[..] {
        [clients, rounds] => clients
            .parse::<usize>()
            .ok()
            .zip(rounds.parse::<usize>().ok()),
        _ => None,
    };
    let Some((clients, rounds)) = parsed.filter(|&(c, r)| c > 0 && r > 0) else {
        eprintln!("bench: SIMKERN_BENCH_TURMOIL={spec:?}: want CLIENTS:ROUNDS, both at least 1");
        std::process::exit(2);
    };
    let m = peers::turmoil_echo(clients, rounds, 64);
    println!("round trips: {}", m.round_trips);
    std::process::exit(0);
}

fn main() {
    if let Ok(spec) = std::env::var("SIMKERN_BENCH_FIXED") {
        fixed_run(&spec);
    }
    if let Ok(spec) = std::env::var("SIMKERN_BENCH_TURMOIL") {
        turmoil_run(&spec);
    }
    if let Ok(spec) = std::env::var("SIMKERN_BENCH_MEM") {
        memory::child_run(&spec);
    }
    // cargo passes `--bench` under `cargo bench`; libtest-style flags are otherwise ignored.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bench_mode = args.iter().any(|a| a == "--bench");
    let filter = args.iter().find(|a| !a.starts_with('-')).cloned();
    let pin = Pin::from_env().unwrap_or_else(|e| {
        eprintln!("bench: {e}");
        std::process::exit(2);
    });
    let opts = if bench_mode {
        Options::bench(filter, pin)
    } else {
        Options::smoke(filter, pin)
    };
    eprintln!("placement: {pin}");

    let mut report = report::Report::default();
    real_echo::run(&mut report, &opts);
    sim_echo::run(&mut report, &opts, bench_mode);
    switch::run(&mut report, &opts, bench_mode);
    memory::run(&mut report, &opts, bench_mode);

    if report.is_empty() {
        eprintln!("no benchmark matches the filter {:?}", opts.filter);
        return;
    }
    print!("{}", report.table());
    if !bench_mode {
        eprintln!("smoke run (no --bench): numbers are not saved");
        return;
    }
    match report.write_json() {
        Ok(path) => println!("wrote {}", path.display()),
        Err(e) => {
            eprintln!("writing {}: {e}", report::json_path().display());
            std::process::exit(1);
        }
    }
}
