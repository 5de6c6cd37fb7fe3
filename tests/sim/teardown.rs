//! Teardown never aborts (issue 14, item 7). Three clients panic at the same virtual instant,
//! each holding a connected poller `TcpStream` (`selftest-teardown`); unwinding drops the
//! streams, whose destructors make syscalls. Before the fix a thread was suspended at such a
//! syscall in the middle of its unwind, and the forced unwind of that coroutine at teardown
//! aborted the process ("thread caused non-unwinding panic. aborting."). Every path that runs
//! a seed must now end it with the first client's panic as the failure: `sim::run`, `Check`,
//! an in-process `Batch`, and the CLI's crash-isolated workers (never `crash: SIGABRT`).

use crate::cli::{simkern, stderr, stdout};
use crate::determinism::tempdir;
use crate::signature;
use simkern::poller::Probe;
use simkern::scenarios::selftest_teardown::{CLIENTS, FAILING, SCENARIO};
use simkern::sim::batch::{Batch, FaultSpec};
use simkern::sim::check::Check;
use simkern::sim::fault::Profile;
use simkern::sim::runner::{Config, Faults, Outcome, STEP_BUDGET_DEFAULT};
use simkern::sim::trace::{Call, Event, What};
use simkern::sim::{strategy, Stop};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Seeds each test runs: every one of them has all three clients fail together.
const SEEDS: u64 = 24;
const PROFILES: [Profile; 2] = [Profile::None, Profile::Default];

fn config(seed: u64, faults: Profile) -> Config {
    let mut c = Config::new(seed);
    c.faults = Faults::Profile(faults);
    c.keep_events = true;
    c
}

fn run(seed: u64, faults: Profile) -> Outcome {
    let setup = SCENARIO.setup(None, &[]).unwrap();
    simkern::sim::run(&config(seed, faults), SCENARIO.root(&setup))
}

/// The client whose `FAILING` probe `e` is, if it is one.
fn failing_client(e: &Event) -> Option<&'static str> {
    match &e.what {
        What::Probe(Probe::User { name, a, .. }) if *name == FAILING => Some(CLIENTS[*a as usize]),
        _ => None,
    }
}

/// The clients that reached their panic, in trace order.
fn failing_clients(outcome: &Outcome) -> Vec<&'static str> {
    let events = outcome.all_events.as_ref().expect("events kept");
    events.iter().filter_map(failing_client).collect()
}

/// Runs `seed` in process and returns the expected signature: the first failing client's
/// panic, checked against the run's stop.
fn first_panic(seed: u64, faults: Profile) -> (String, u64) {
    let outcome = run(seed, faults);
    let failing = failing_clients(&outcome);
    let first = *failing.first().unwrap_or_else(|| {
        panic!(
            "seed {seed} {faults}: no client reached its panic: {:?}",
            outcome.stop
        )
    });
    match &outcome.stop {
        Stop::Panic { message, .. } => assert_eq!(
            message,
            &format!("client {first} failed"),
            "seed {seed} {faults}: the run must report the first client's panic (clients \
             that reached theirs: {failing:?})"
        ),
        other => panic!("seed {seed} {faults}: expected a panic, got {other:?}"),
    }
    (signature(&outcome.stop), outcome.trace_hash)
}

fn batch(faults: Profile, jobs: usize) -> Batch {
    Batch {
        scenario: SCENARIO,
        setup: SCENARIO.setup(None, &[]).unwrap(),
        seeds: 0..SEEDS,
        shard: None,
        strategy: strategy::Kind::Random,
        faults: FaultSpec::Profile(faults),
        fault_scope: Default::default(),
        step_budget: STEP_BUDGET_DEFAULT,
        jobs,
        save_dir: None,
        save_passing: false,
        kernel: Default::default(),
    }
}

#[test]
fn clients_panicking_together_end_a_run_with_the_first_panic_and_the_same_hash_twice() {
    for faults in PROFILES {
        for seed in 0..SEEDS {
            let (sig, hash) = first_panic(seed, faults);
            assert!(sig.starts_with("panic: client "), "{sig}");
            let again = run(seed, faults);
            assert_eq!(
                (signature(&again.stop), again.trace_hash),
                (sig, hash),
                "seed {seed} {faults}: not deterministic"
            );
        }
    }
}

#[test]
fn the_first_panic_unwinds_before_any_other_thread_runs() {
    // The unwinding thread's syscalls are answered at once, so no other client gets to run
    // (and panic) between the first panic and the end of the run.
    for faults in PROFILES {
        for seed in 0..SEEDS {
            let outcome = run(seed, faults);
            assert_eq!(
                failing_clients(&outcome).len(),
                1,
                "seed {seed} {faults}: {:?}",
                outcome.stop
            );
        }
    }
}

#[test]
fn check_reports_the_first_clients_panic_not_an_abort() {
    for faults in PROFILES {
        let (expected, _) = first_panic(0, faults);
        let failed = catch_unwind(AssertUnwindSafe(|| {
            Check::new(&SCENARIO, None).faults(faults).seeds(4).run()
        }))
        .expect_err("every seed fails, so the check must fail");
        let message = failed.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            message.contains(&format!("failed on seed 0: {expected}")),
            "{faults}: {message}"
        );
    }
}

#[test]
fn an_in_process_batch_records_each_seeds_first_panic() {
    for faults in PROFILES {
        let report = batch(faults, 2).run(&|_, _| {});
        assert_eq!(report.seeds_run, SEEDS);
        assert!(report.errors.is_empty(), "{faults}: {:?}", report.errors);
        let got: Vec<(u64, String)> = report
            .failures
            .iter()
            .map(|f| (f.seed, f.signature.to_string()))
            .collect();
        let expected: Vec<(u64, String)> = (0..SEEDS)
            .map(|seed| (seed, first_panic(seed, faults).0))
            .collect();
        assert_eq!(got, expected, "{faults}");
    }
}

#[test]
fn crash_isolated_workers_record_the_first_panic_not_sigabrt_and_its_seed_file_replays() {
    for faults in PROFILES {
        let dir = tempdir();
        let report = dir.join("r.json");
        let saved = dir.join("seeds");
        let seeds = format!("0..{SEEDS}");
        let o = simkern(&[
            "run",
            SCENARIO.name,
            "--seeds",
            &seeds,
            "--jobs",
            "2",
            "--faults",
            &faults.to_string(),
            "--report",
            report.to_str().unwrap(),
            "--save",
            saved.to_str().unwrap(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{faults}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(r["seeds_run"], SEEDS, "{faults}");
        assert_eq!(r["errors"], serde_json::json!([]), "{faults}");
        let got: Vec<(u64, String, String)> = r["failures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["seed"].as_u64().unwrap(),
                    crate::sig(&f["signature"]),
                    f["trace_hash"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        // The workers' results are the in-process ones: same first panic, same trace hash.
        let expected: Vec<(u64, String, String)> = (0..SEEDS)
            .map(|seed| {
                let (sig, hash) = first_panic(seed, faults);
                (seed, sig, simkern::sim::seed_file::format_hash(hash))
            })
            .collect();
        assert_eq!(got, expected, "{faults}");

        // A saved seed file replays exactly (outcome and hash), as a user replays it.
        let file = saved.join(format!("{}-together-0.json", SCENARIO.name));
        let o = simkern(&["replay", file.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{faults}: {}", stdout(&o));
        assert!(stdout(&o).contains("reproduced"), "{}", stdout(&o));
    }
}

#[test]
fn the_unwinding_destructors_calls_are_recorded_at_the_panics_step() {
    // They are answered at once, not scheduled: the trace shows them (the `close` of the
    // stream among them), all at the step of the panic, and no step after it.
    for faults in PROFILES {
        for seed in 0..SEEDS {
            let outcome = run(seed, faults);
            let events = outcome.all_events.as_ref().unwrap();
            let at = events
                .iter()
                .position(|e| failing_client(e).is_some())
                .expect("a client reached its panic");
            let after = &events[at..];
            assert!(
                after
                    .iter()
                    .all(|e| e.step == events[at].step && e.thread == events[at].thread),
                "seed {seed} {faults}: a step after the panic: {after:?}"
            );
            assert!(
                after.iter().any(|e| matches!(
                    &e.what,
                    What::Syscall {
                        call: Call::Close,
                        ..
                    }
                )),
                "seed {seed} {faults}: the unwinding closed nothing: {after:?}"
            );
            assert_eq!(outcome.steps, events[at].step, "seed {seed} {faults}");
        }
    }
}

#[test]
fn a_panic_the_code_catches_while_holding_a_stream_lets_the_run_go_on() {
    // A handler that isolates panics (as RPC servers do): the unwinding closes the stream at
    // once, the thread carries on, and the run passes, the same way twice.
    use simkern::poller::{Runtime, TcpListener, TcpStream};
    use simkern::sim::SimSys;
    let root = || {
        let rt = Runtime::new(SimSys).unwrap();
        let h = rt.handle().clone();
        rt.block_on(async move {
            let addr = "127.0.0.1:7001".parse().unwrap();
            let listener = TcpListener::bind(&h, addr).unwrap();
            let client = TcpStream::connect(&h, addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let caught = catch_unwind(AssertUnwindSafe(move || {
                let _held = server;
                panic!("handler failed");
            }));
            assert!(caught.is_err());
            // The server's end is closed: the client reads end of file.
            let mut buf = [0u8; 1];
            assert_eq!(client.read(&mut buf).await, Ok(0));
        })
        .unwrap();
    };
    let a = simkern::sim::run(&Config::new(7), root);
    let b = simkern::sim::run(&Config::new(7), root);
    assert_eq!(a.stop, Stop::Completed, "{}", a.kernel_state);
    assert_eq!(a.trace_hash, b.trace_hash);
}

/// Releases pool object 1 twice when dropped: the `pool` oracle's verdict, drawn while its
/// thread unwinds.
struct ReleasesTwice;

impl Drop for ReleasesTwice {
    fn drop(&mut self) {
        use simkern::poller::Sys;
        for _ in 0..2 {
            simkern::sim::SimSys.probe(Probe::PoolRelease {
                pool: 1,
                object: 1,
                owner: 1,
            });
        }
    }
}

fn acquire_then_panic() {
    use simkern::poller::Sys;
    simkern::sim::SimSys.probe(Probe::PoolAcquire {
        pool: 1,
        object: 1,
        owner: 1,
    });
    let _guard = ReleasesTwice;
    panic!("the code under test failed first");
}

#[test]
fn an_oracle_verdict_drawn_while_unwinding_yields_to_the_panic_unless_the_code_catches_it() {
    // Uncaught: the panic is the failure, and what its destructors did follows from it.
    let uncaught = simkern::sim::run(&Config::new(1), acquire_then_panic);
    assert_eq!(
        signature(&uncaught.stop),
        "panic: the code under test failed first"
    );
    // Caught: the run goes on, so the verdict stands (at the thread's next step or end).
    let caught = simkern::sim::run(&Config::new(1), || {
        assert!(catch_unwind(acquire_then_panic).is_err());
    });
    assert_eq!(signature(&caught.stop), "oracle pool (object, owner)");
}
