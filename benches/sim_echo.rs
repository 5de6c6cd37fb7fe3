//! The `echo` scenario on Simkern's simulator against the same echo on turmoil and madsim, and
//! Simkern's cost per simulated step against one real `getppid()`.
//!
//! Simkern simulates every syscall of the poller (epoll_wait, read, write, epoll_ctl, ...) as a
//! scheduling step; the peers simulate at the socket-API level. Faults are off everywhere, so
//! this measures the simulation machinery, not fault handling. Simulated round trips per wall
//! second: higher is better; ns per step: lower is better.

use crate::peers::{self, Measurement};
use crate::report::{Entry, Report};
use crate::Options;
use simkern::sim::batch::{Batch, FaultSpec};
use simkern::sim::fault::Profile;
use simkern::sim::runner::STEP_BUDGET_DEFAULT;
use simkern::sim::{scenario, strategy};
use std::time::Instant;

const SIZE: usize = 64;

/// Ours: `seeds` seeds of echo with `clients` x `rounds`; round trips per wall second and ns
/// per simulated step.
fn ours(clients: u64, rounds: u64, seeds: u64) -> (Measurement, f64) {
    let echo = scenario::find("echo").expect("built-in");
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
    let batch = Batch {
        scenario: *echo,
        setup,
        seeds: 0..seeds,
        strategy: strategy::Kind::Random,
        faults: FaultSpec::Profile(Profile::None),
        step_budget: STEP_BUDGET_DEFAULT * 10,
        jobs: 1,
        save_dir: None,
        save_passing: false,
        shard: None,
    };
    let start = Instant::now();
    let mut steps = 0;
    for seed in batch.seeds.clone() {
        let outcome = batch.run_seed(&batch.config(seed));
        assert!(
            outcome.passed(),
            "echo seed {seed} failed in the benchmark: {:?}",
            outcome.stop
        );
        steps += outcome.steps;
    }
    let wall_s = start.elapsed().as_secs_f64();
    (
        Measurement {
            round_trips: clients * rounds * seeds,
            wall_s,
        },
        wall_s * 1e9 / steps as f64,
    )
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
    let mut step_ns = None;
    for &(clients, rounds) in shapes {
        let seeds = if bench_mode { 5 } else { 1 };
        let (ours, ns_per_step) = ours(clients, rounds, seeds);
        step_ns.get_or_insert(ns_per_step);
        let name = format!("sim_echo_rtt_{clients}clients");
        let unit = "simulated_round_trips_per_wall_s";
        let turmoil = peers::turmoil_echo(clients as usize, rounds as usize, SIZE);
        report.push(Entry::throughput(
            &name,
            unit,
            ours.per_s(),
            "turmoil",
            turmoil.per_s(),
        ));
        match peers::madsim_echo(clients as usize, rounds as usize, SIZE) {
            Ok(madsim) => report.push(Entry::throughput(
                &name,
                unit,
                ours.per_s(),
                "madsim",
                madsim.per_s(),
            )),
            Err(e) => eprintln!("madsim echo skipped: {e}"),
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
    if let Some(ns) = step_ns {
        // The whole echo (poller, executor, futures and kernel) per simulated step.
        report.push(Entry::cost(
            "sim_echo_wall_per_step",
            "ns_per_step",
            ns,
            "getppid",
            getppid,
        ));
    }
}
