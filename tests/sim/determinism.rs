//! Determinism is the product: the same seed gives the same trace hash, run twice in this
//! process or once in a fresh child process; different seeds give different traces.

use simkern::scenarios;
use simkern::sim::batch::{Batch, FaultSpec};
use simkern::sim::fault::Profile;
use simkern::sim::runner::STEP_BUDGET_DEFAULT;
use simkern::sim::scenario::Scenario;
use simkern::sim::strategy;

fn small_batch(scenario: &Scenario, seeds: std::ops::Range<u64>, faults: Profile) -> Batch {
    // Small parameters keep the suite fast; the defaults run in `make bench` and the CLI.
    let overrides: Vec<(String, u64)> = scenario
        .params
        .iter()
        .filter(|p| p.name == "clients" || p.name == "rounds")
        .map(|p| (p.name.to_owned(), 5))
        .collect();
    Batch {
        scenario: *scenario,
        setup: scenario.setup(None, &overrides).unwrap(),
        seeds,
        strategy: strategy::Kind::Random,
        faults: FaultSpec::Profile(faults),
        fault_scope: Default::default(),
        step_budget: STEP_BUDGET_DEFAULT,
        jobs: 1,
        save_dir: None,
        save_passing: false,
        kernel: scenario.kernel_config(&[]).unwrap(),
        shard: None,
    }
}

#[test]
fn every_builtin_scenario_gives_the_same_trace_hash_when_a_seed_runs_twice() {
    // `selftest-*` scenarios crash the process on purpose (they test crash isolation, which
    // runs seeds in worker processes); everything else runs here, in-process.
    for scenario in scenarios::builtin()
        .iter()
        .filter(|s| !s.name.starts_with("selftest-"))
    {
        for variant in scenario.variants {
            for faults in [Profile::None, Profile::Default] {
                let mut batch = small_batch(scenario, 0..3, faults);
                batch.setup = scenario.setup(Some(variant), &[]).unwrap();
                for seed in batch.seeds.clone() {
                    let a = batch.run_seed(&batch.config(seed));
                    let b = batch.run_seed(&batch.config(seed));
                    assert_eq!(
                        (a.trace_hash, a.steps, &a.stop),
                        (b.trace_hash, b.steps, &b.stop),
                        "{} {variant} seed {seed} faults {faults}: two runs differ",
                        scenario.name
                    );
                }
            }
        }
    }
}

#[test]
fn different_seeds_give_different_traces() {
    let batch = small_batch(scenarios::find("echo").unwrap(), 0..20, Profile::None);
    let mut hashes: Vec<u64> = batch
        .seeds
        .clone()
        .map(|s| batch.run_seed(&batch.config(s)).trace_hash)
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    assert_eq!(
        hashes.len(),
        20,
        "20 seeds gave only {} distinct traces",
        hashes.len()
    );
}

/// In-process and in a fresh `simkern` process, every built-in scenario's seeds give the
/// same run hash under the default faults. A fresh process is what catches state that
/// differs per process: a `HashMap`'s random order (mio's `tcp_server` example dropped its
/// connections in one until its map became a `BTreeMap`), an address, the pid.
#[test]
fn every_builtin_scenario_gives_the_same_run_hash_in_a_fresh_child_process() {
    let dir = tempdir();
    for scenario in scenarios::builtin()
        .iter()
        .filter(|s| !s.name.starts_with("selftest-"))
    {
        let batch = small_batch(scenario, 0..20, Profile::Default);
        let report = batch.run(&|_, _| {});
        let report_path = dir.join(format!("{}.json", scenario.name));
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_simkern"));
        child.args([
            "run",
            scenario.name,
            "--seeds",
            "0..20",
            "--faults",
            "default",
        ]);
        for (name, value) in &batch.setup.params {
            child.args(["--param", &format!("{name}={value}")]);
        }
        let status = child
            .arg("--report")
            .arg(&report_path)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run simkern");
        assert!(
            status.code().is_some(),
            "{}: child died by a signal",
            scenario.name
        );
        let child: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
        assert_eq!(
            child["run_hash"].as_str().unwrap(),
            report.run_hash,
            "{}: the child process ran the same seeds differently",
            scenario.name
        );
    }
}

#[test]
fn run_hash_does_not_depend_on_jobs() {
    let mut batch = small_batch(scenarios::find("echo").unwrap(), 0..8, Profile::Default);
    let one = batch.run(&|_, _| {});
    batch.jobs = 3;
    let three = batch.run(&|_, _| {});
    assert_eq!(one.run_hash, three.run_hash);
    assert_eq!(one.sim_steps, three.sim_steps);
}

pub fn tempdir() -> std::path::PathBuf {
    let n = std::sync::atomic::AtomicU64::new(0);
    let _ = &n;
    let dir =
        std::env::temp_dir().join(format!("simkern-test-{}-{}", std::process::id(), unique()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn unique() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}
