//! The `echo` scenario on Simkern's simulator against the same echo on turmoil and madsim, and
//! Simkern's cost per simulated step against one real `getppid()`.
//!
//! Simkern simulates every syscall of the poller (epoll_wait, read, write, epoll_ctl, ...) as a
//! scheduling step; the peers simulate at the socket-API level. Faults are off everywhere, so
//! this measures the simulation machinery, not fault handling. Simulated round trips per wall
//! second: higher is better; ns per step: lower is better.

use crate::peers::{self, Measurement};
use crate::report::{Entry, Report, Summary};
use crate::Options;
use simkern::scenarios;
use simkern::sim::batch::{Batch, FaultSpec};
use simkern::sim::fault::Profile;
use simkern::sim::runner::STEP_BUDGET_DEFAULT;
use simkern::sim::strategy;
use std::time::Instant;

const SIZE: usize = 64;
/// Runs of turmoil per shape (at most `Options::reps`): see `run`.
const TURMOIL_REPS: usize = 3;

/// Ours: one seed of echo with `clients` x `rounds`, as `simkern run` runs a batch's seeds
/// (`Batch::run_one`: no trace tail kept); round trips per wall second and ns per simulated
/// step. Timed like the peers: building the run, running it to completion, tearing it down.
fn ours(clients: u64, rounds: u64, seed: u64) -> (Measurement, f64) {
    let echo = scenarios::find("echo").expect("built-in");
    let setup = echo
        .setup(
            None,
            &[
                ("clients".into(), clients),
                ("rounds".into(), rounds),
                ("size".into(), SIZE as u64),
            ],
        )
        .expect("valid");
    let batch = one_seed(*echo, setup, seed, Default::default());
    let mut config = batch.config(seed);
    config.keep_tail = false;
    let start = Instant::now();
    let outcome = batch.run_seed(&config);
    let wall_s = start.elapsed().as_secs_f64();
    assert!(
        outcome.passed(),
        "echo seed {seed} failed in the benchmark: {:?}",
        outcome.stop
    );
    (
        Measurement {
            round_trips: clients * rounds,
            wall_s,
        },
        wall_s * 1e9 / outcome.steps as f64,
    )
}

/// A batch of one seed as the benchmarks run it: random strategy, no faults, in process.
pub fn one_seed(
    scenario: simkern::sim::scenario::Scenario,
    setup: simkern::sim::scenario::Setup,
    seed: u64,
    kernel: simkern::sim::kernel::Config,
) -> Batch {
    Batch {
        scenario,
        setup,
        seeds: seed..seed + 1,
        strategy: strategy::Kind::Random,
        faults: FaultSpec::Profile(Profile::None),
        fault_scope: Default::default(),
        step_budget: STEP_BUDGET_DEFAULT * 10,
        jobs: 1,
        save_dir: None,
        save_passing: false,
        kernel,
        shard: None,
    }
}

/// Ns per step of the bare machinery: two simulated threads each `read` an empty eventfd
/// (`EAGAIN`) `reads` times under the random strategy. Each step is a strategy decision, a
/// possible coroutine switch, the kernel's read and the trace record: what every syscall of
/// the code under test costs on top of the code itself.
fn step_cost_ns(reads: u64) -> f64 {
    use simkern::poller::Sys;
    use simkern::sim::{run, Config, SimSys};
    let start = Instant::now();
    let outcome = run(&Config::new(1), move || {
        let worker = move || {
            let fd = SimSys.eventfd(0, false).expect("eventfd");
            let mut buf = [0u8; 8];
            for _ in 0..reads {
                assert_eq!(
                    SimSys.read(fd, &mut buf),
                    Err(simkern::poller::Errno::EAGAIN)
                );
            }
            SimSys.close(fd).expect("close");
        };
        let a = SimSys.spawn("a", worker).expect("spawn");
        let b = SimSys.spawn("b", worker).expect("spawn");
        SimSys.join(a);
        SimSys.join(b);
    });
    assert!(outcome.passed(), "{:?}", outcome.stop);
    start.elapsed().as_nanos() as f64 / outcome.steps as f64
}

/// Who runs next in a repetition of the interleaved measurement.
#[derive(Copy, Clone)]
enum Turn {
    Simkern,
    Madsim,
}

pub fn run(report: &mut Report, opts: &Options, bench_mode: bool) {
    if !opts.wants("sim") {
        return;
    }
    // (clients, rounds): the two shapes. Smoke runs shrink them to check the plumbing.
    let shapes: &[(u64, u64)] = if bench_mode {
        &[(100, 100), (1, 1000)]
    } else {
        &[(10, 5), (1, 20)]
    };
    let mut step_ns = Vec::new();
    for &(clients, rounds) in shapes {
        let name = format!("sim_echo_rtt_{clients}clients");
        let unit = "simulated_round_trips_per_wall_s";
        // Every run, ours and each peer's, is one simulation of `clients` x `rounds` round
        // trips, so all are timed over windows of the same work: on a shared machine a longer
        // window is more likely to catch a neighbour's burst. A run is a millisecond to a
        // tenth of a second, so one burst can halve it: `opts.reps` runs each, Simkern (seed
        // `rep`) and madsim interleaved in ABBA order (drift falls on both alike), and the
        // report takes the medians. madsim runs as a fresh child process each time, Simkern
        // in this process: the child's first touches of its memory are counted every time,
        // this process's only in the first run.
        let mut ours_rates = Vec::new();
        let mut madsim_rates = Vec::new();
        let mut madsim_error = None;
        for rep in 0..opts.reps {
            let order = if rep % 2 == 0 {
                [Turn::Simkern, Turn::Madsim]
            } else {
                [Turn::Madsim, Turn::Simkern]
            };
            for turn in order {
                match turn {
                    Turn::Simkern => {
                        let (run, ns_per_step) = ours(clients, rounds, rep as u64);
                        ours_rates.push(run.per_s());
                        if clients == shapes[0].0 {
                            step_ns.push(ns_per_step);
                        }
                    }
                    Turn::Madsim if madsim_error.is_none() => {
                        match peers::madsim_echo(clients as usize, rounds as usize, SIZE) {
                            Ok(run) => madsim_rates.push(run.per_s()),
                            Err(e) => madsim_error = Some(e),
                        }
                    }
                    Turn::Madsim => {}
                }
            }
        }
        // turmoil is two orders of magnitude slower (seconds a run at 100 clients), so its
        // ratio needs no more precision than a few runs give.
        let mut turmoil_rates: Vec<f64> = (0..opts.reps.min(TURMOIL_REPS))
            .map(|_| peers::turmoil_echo(clients as usize, rounds as usize, SIZE).per_s())
            .collect();
        let ours = Summary::of(&mut ours_rates);
        let turmoil = Summary::of(&mut turmoil_rates);
        eprintln!("  {name}: simkern {ours}; turmoil {turmoil}");
        report.push(Entry::throughput(
            &name,
            unit,
            ours.median,
            "turmoil",
            turmoil.median,
        ));
        match madsim_error {
            None => {
                let madsim = Summary::of(&mut madsim_rates);
                eprintln!("  {name}: madsim {madsim}");
                report.push(Entry::throughput(
                    &name,
                    unit,
                    ours.median,
                    "madsim",
                    madsim.median,
                ));
            }
            Some(e) => eprintln!("madsim echo skipped: {e}"),
        }
    }
    let getppid = peers::getppid_ns(if bench_mode { 10_000_000 } else { 100_000 });
    let step = step_cost_ns(if bench_mode { 2_000_000 } else { 10_000 });
    report.push(Entry::cost(
        "sim_step_cost",
        "ns_per_step",
        step,
        "getppid",
        getppid,
    ));
    if !step_ns.is_empty() {
        // The whole echo (poller, executor, futures and kernel) per simulated step.
        report.push(Entry::cost(
            "sim_echo_wall_per_step",
            "ns_per_step",
            Summary::of(&mut step_ns).median,
            "getppid",
            getppid,
        ));
    }
}
