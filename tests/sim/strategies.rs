//! The campaign strategies: `dfs:B` (preemption-bounded exhaustive search) and `guided`
//! (coverage-guided mutation of decision lists), through the batch runner and the CLI; and
//! the per-seed wall-clock watchdog.

use crate::cli::simkern;
use crate::determinism::tempdir;
use simkern::poller::Sys;
use simkern::sim::batch::{Batch, FaultSpec};
use simkern::sim::campaign::Campaign;
use simkern::sim::fault::Profile;
use simkern::sim::scenario::{Scenario, Setup};
use simkern::sim::strategy::{self, Kind, SchedPoint, Switch};
use simkern::sim::{run, Config, SimSys};
use std::collections::BTreeSet;
use std::process::Output;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Everything a run printed, both streams.
fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn report(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Two threads each do a read-modify-write of a shared counter with a scheduling point in the
/// middle (`steps` times); the root joins them and checks no increment was lost. Without a
/// preemption each thread's update is atomic; one preemption between a read and its write
/// loses an update: a bug of depth 1.
fn lost_update(setup: &Setup) -> Box<dyn FnOnce()> {
    let steps = setup.param("steps");
    Box::new(move || {
        let counter = Arc::new(AtomicU64::new(0));
        let spawn = |name: &str| {
            let counter = counter.clone();
            SimSys
                .spawn(name, move || {
                    for _ in 0..steps {
                        let seen = counter.load(Ordering::Relaxed);
                        SimSys.sched_point();
                        counter.store(seen + 1, Ordering::Relaxed);
                    }
                })
                .unwrap()
        };
        let a = spawn("a");
        let b = spawn("b");
        SimSys.join(a);
        SimSys.join(b);
        assert_eq!(
            counter.load(Ordering::Relaxed),
            2 * steps,
            "an increment was lost"
        );
    })
}

const LOST_UPDATE: Scenario = Scenario {
    name: "lost-update",
    about: "two threads increment a counter non-atomically",
    variants: &["only"],
    params: &[simkern::sim::scenario::Param {
        name: "steps",
        default: 2,
        min: 1,
        max: 1_000,
        about: "increments per thread",
    }],
    kernel: &[],
    build: lost_update,
};

fn batch(strategy: Kind, seeds: std::ops::Range<u64>, jobs: usize) -> Batch {
    Batch {
        scenario: LOST_UPDATE,
        setup: LOST_UPDATE.setup(None, &[]).unwrap(),
        seeds,
        shard: None,
        strategy,
        faults: FaultSpec::Profile(Profile::None),
        fault_scope: Default::default(),
        step_budget: 10_000,
        jobs,
        save_dir: None,
        save_passing: false,
        kernel: Default::default(),
    }
}

/// The schedules with at most `bound` preemptions, counted by brute force: at each point of
/// the run reached with the picks so far, try every runnable thread.
fn brute_force(setup: &Setup, picks: &mut Vec<u32>, preemptions: u32, bound: u32) -> u64 {
    let mut config = Config::new(0);
    config.schedule = Some(
        picks
            .iter()
            .enumerate()
            .map(|(i, &t)| Switch {
                point: i as u64,
                thread: t,
            })
            .collect(),
    );
    config.record_schedule = true;
    let outcome = run(&config, LOST_UPDATE.root(setup));
    let points = outcome.sched_points.unwrap();
    let Some(p) = points.get(picks.len()) else {
        return 1; // a leaf: no point past the picks
    };
    let mut leaves = 0;
    for &t in &p.runnable {
        let cost = (t != p.current && p.runnable.contains(&p.current)) as u32;
        if preemptions + cost <= bound {
            picks.push(t.as_u32());
            leaves += brute_force(setup, picks, preemptions + cost, bound);
            picks.pop();
        }
    }
    leaves
}

/// Drives the `dfs` campaign by hand over one tree, without the per-stream cap (bound 3 has
/// more schedules than `dfs::TREE_MAX`): each run's schedule (its picks), its preemptions,
/// whether it failed, and the campaign's note at the end.
fn dfs_tree(bound: u32) -> (Vec<Vec<SchedPoint>>, u64, String) {
    let setup = LOST_UPDATE.setup(None, &[]).unwrap();
    let mut c: Box<dyn Campaign> = Box::new(strategy::Dfs::with_tree_max(bound, 0, u64::MAX));
    let mut runs = Vec::new();
    let mut failures = 0;
    for seed in 0..100_000 {
        let config = c.config(Config::new(seed));
        let outcome = run(&config, LOST_UPDATE.root(&setup));
        failures += !outcome.passed() as u64;
        runs.push(outcome.sched_points.clone().unwrap());
        if let Some(note) = c.observe(Some(&outcome), None).pop() {
            return (runs, failures, note);
        }
    }
    panic!("dfs:{bound} did not finish a tree of a 2-thread, 2-step scenario in 100,000 runs");
}

#[test]
fn dfs_explores_exactly_the_schedules_within_its_bound_once_each() {
    let setup = LOST_UPDATE.setup(None, &[]).unwrap();
    for bound in 0..=3 {
        let expected = brute_force(&setup, &mut Vec::new(), 0, bound);
        // Pinned, so a change to where scheduling points fall shows up here first.
        assert_eq!(
            expected,
            [3, 17, 69, 183][bound as usize],
            "brute force, bound {bound}"
        );
        let (runs, _, note) = dfs_tree(bound);
        assert_eq!(runs.len() as u64, expected, "dfs:{bound}");
        assert_eq!(
            note,
            format!("dfs:{bound}: all {expected} schedules explored (stream 0)")
        );
        let mut distinct = BTreeSet::new();
        for points in &runs {
            let preemptions = points.iter().filter(|p| p.is_preemption()).count() as u32;
            assert!(
                preemptions <= bound,
                "dfs:{bound} ran a schedule with {preemptions} preemptions"
            );
            let picks: Vec<u32> = points.iter().map(|p| p.picked.as_u32()).collect();
            assert!(distinct.insert(picks), "dfs:{bound} ran a schedule twice");
        }
        // Bounds grow the tree: 0 preemptions is one schedule (free picks aside).
        if bound > 0 {
            assert!(expected > dfs_tree(bound - 1).0.len() as u64);
        }
    }
}

#[test]
fn dfs_finds_a_depth_one_lost_update_that_no_preemption_free_schedule_shows() {
    let (_, failures, _) = dfs_tree(0);
    assert_eq!(failures, 0, "without preemptions every update is atomic");
    let (_, failures, _) = dfs_tree(1);
    assert!(
        failures > 0,
        "one preemption between load and store loses an update"
    );
    // And through the batch runner, where later trees use later streams.
    let r = batch(Kind::Dfs { bound: 1 }, 0..200, 1).run(&|_, _| {});
    assert!(r.first_failure_seed.is_some(), "{r:?}");
    assert!(
        r.notes.iter().any(|n| n.starts_with("dfs:1: all ")),
        "{:?}",
        r.notes
    );
}

#[test]
fn a_batch_of_campaigns_hashes_the_same_for_any_jobs_and_twice() {
    for kind in [Kind::Dfs { bound: 2 }, Kind::Guided] {
        let one = batch(kind, 0..2100, 1).run(&|_, _| {});
        let two = batch(kind, 0..2100, 2).run(&|_, _| {});
        let again = batch(kind, 0..2100, 3).run(&|_, _| {});
        assert_eq!(one.run_hash, two.run_hash, "{kind}");
        assert_eq!(one.run_hash, again.run_hash, "{kind}");
        assert_eq!(one.failures, two.failures, "{kind}");
        assert_eq!(one.notes, two.notes, "{kind}");
    }
}

#[test]
fn guided_grows_a_corpus_of_runs_that_reached_new_coverage() {
    let setup = LOST_UPDATE.setup(None, &[("steps".into(), 4)]).unwrap();
    let mut g = strategy::Guided::new();
    let mut corpus = Vec::new();
    for seed in 0..300 {
        let config = g.config(Config::new(seed));
        let (outcome, map) =
            simkern::sim::coverage::collect(|| run(&config, LOST_UPDATE.root(&setup)));
        g.observe(Some(&outcome), Some(&map));
        corpus.push(g.corpus_len());
    }
    assert!(
        corpus[0] == 1,
        "the first run is new coverage: {:?}",
        &corpus[..5]
    );
    assert!(
        *corpus.last().unwrap() > 3,
        "300 runs of a racy counter reached only {} new coverage",
        corpus.last().unwrap()
    );
}

#[test]
fn cli_dfs_says_when_it_has_explored_every_schedule_for_any_jobs() {
    let dir = tempdir();
    let mut hashes = Vec::new();
    for jobs in ["1", "2"] {
        let path = dir.join(format!("dfs{jobs}.json"));
        let o = simkern(&[
            "run",
            "go-netpoll-wakeup",
            "--variant",
            "fixed",
            "--param",
            "submitters=1",
            "--param",
            "jobs=1",
            "--strategy",
            "dfs:1",
            "--seeds",
            "0..100",
            "--jobs",
            jobs,
            "--report",
            path.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(
            text(&o).contains("dfs:1: all 36 schedules explored (stream 0)"),
            "{}",
            text(&o)
        );
        let r = report(&path);
        assert_eq!(r["notes"].as_array().unwrap().len(), 2, "{r}");
        hashes.push(r["run_hash"].clone());
    }
    assert_eq!(hashes[0], hashes[1]);
}

#[test]
fn cli_guided_is_deterministic_and_finds_the_cancelled_dial_bug() {
    let dir = tempdir();
    let mut reports = Vec::new();
    for (i, jobs) in ["1", "2", "2"].iter().enumerate() {
        let path = dir.join(format!("g{i}.json"));
        let save = dir.join(format!("seeds{i}"));
        let o = simkern(&[
            "run",
            "netpoll-cancel-dial",
            "--variant",
            "buggy",
            "--strategy",
            "guided",
            "--seeds",
            "0..2100",
            "--jobs",
            jobs,
            "--report",
            path.to_str().unwrap(),
            "--save",
            save.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        reports.push(report(&path));
    }
    // The failures, less the seed file's path (each run saved into its own directory).
    let found = |r: &serde_json::Value| -> Vec<(u64, String, String)> {
        r["failures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["seed"].as_u64().unwrap(),
                    crate::sig(&f["signature"]),
                    f["trace_hash"].to_string(),
                )
            })
            .collect()
    };
    for r in &reports[1..] {
        assert_eq!(r["run_hash"], reports[0]["run_hash"]);
        assert!(found(r) == found(&reports[0]), "the failures differ");
    }
    // Every failure's seed file replays exactly, mutated decision list and all.
    let failures = reports[0]["failures"].as_array().unwrap();
    assert!(!failures.is_empty());
    for f in failures.iter().take(5) {
        let file = f["seed_file"].as_str().unwrap();
        let o = simkern(&["replay", file]);
        assert_eq!(o.status.code(), Some(0), "{file}: {}", text(&o));
    }
}

#[test]
fn shards_of_campaigns_merge_to_the_unsharded_run() {
    let dir = tempdir();
    for (strategy, seeds) in [("guided", "0..4100"), ("dfs:1", "0..300")] {
        let common = [
            "run",
            "go-netpoll-wakeup",
            "--variant",
            "buggy",
            "--param",
            "submitters=1",
            "--param",
            "jobs=1",
            "--strategy",
            strategy,
            "--seeds",
            seeds,
        ];
        let all = dir.join(format!("{strategy}-all.json"));
        let o = simkern(&[&common[..], &["--report", all.to_str().unwrap()]].concat());
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let mut args = vec!["merge".to_owned()];
        for k in 0..4 {
            let path = dir.join(format!("{strategy}-{k}.json"));
            let shard = format!("{k}/4");
            let o = simkern(
                &[
                    &common[..],
                    &["--shard", &shard, "--report", path.to_str().unwrap()],
                ]
                .concat(),
            );
            assert!(o.status.code().is_some(), "{}", text(&o));
            args.push(path.to_str().unwrap().to_owned());
        }
        let merged = dir.join(format!("{strategy}-merged.json"));
        args.extend(["--report".into(), merged.to_str().unwrap().to_owned()]);
        let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let o = simkern(&args);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let (a, m) = (report(&all), report(&merged));
        for field in ["run_hash", "seeds_run", "failures", "sim_steps", "notes"] {
            assert_eq!(a[field], m[field], "{strategy}: {field}");
        }
    }
}

#[test]
fn a_seed_that_hangs_in_real_code_is_killed_by_the_watchdog_and_the_run_goes_on() {
    let dir = tempdir();
    let path = dir.join("hang.json");
    let o = simkern(&[
        "run",
        "selftest-crash",
        "--variant",
        "hang",
        "--seeds",
        "0..8",
        "--jobs",
        "2",
        "--seed-timeout",
        "1",
        "--report",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = report(&path);
    assert_eq!(r["seeds_run"], 8);
    let failures: Vec<(u64, String)> = r["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["seed"].as_u64().unwrap(), crate::sig(&f["signature"])))
        .collect();
    // selftest-crash hangs on seeds = 1 mod 4.
    let timeout = || "crash: wall-clock timeout after 1s".to_owned();
    assert_eq!(failures, vec![(1, timeout()), (5, timeout())]);
}

#[test]
fn a_campaign_worker_that_crashes_mid_chunk_is_replaced_and_the_chunk_goes_on() {
    // guided keeps state across seeds; after each crash (seeds = 1 mod 4) a fresh worker
    // rebuilds it by rerunning the chunk's earlier seeds, skipping the crashed ones.
    let dir = tempdir();
    let mut reports = Vec::new();
    for jobs in ["1", "2"] {
        let path = dir.join(format!("crash{jobs}.json"));
        let o = simkern(&[
            "run",
            "selftest-crash",
            "--variant",
            "abort",
            "--strategy",
            "guided",
            "--seeds",
            "0..12",
            "--jobs",
            jobs,
            "--report",
            path.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        reports.push(report(&path));
    }
    let seeds: Vec<u64> = reports[0]["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["seed"].as_u64().unwrap())
        .collect();
    assert_eq!(seeds, vec![1, 5, 9]);
    assert_eq!(reports[0]["seeds_run"], 12);
    assert_eq!(reports[0]["run_hash"], reports[1]["run_hash"]);
}

#[test]
fn a_dfs_failure_saves_a_seed_file_with_its_schedule_that_replays_exactly() {
    let dir = tempdir();
    let save = dir.join("seeds");
    let path = dir.join("r.json");
    let o = simkern(&[
        "run",
        "nbio-double-close",
        "--variant",
        "buggy",
        "--faults",
        "default",
        "--strategy",
        "dfs:1",
        // Some failures come at a stream's first schedule (no deviation), others deeper in
        // its tree: the test takes the first of the latter.
        "--seeds",
        "0..512",
        "--save",
        save.to_str().unwrap(),
        "--report",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = report(&path);
    let files: Vec<String> = r["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["seed_file"].as_str().unwrap().to_owned())
        .collect();
    let file = files
        .iter()
        .find(|file| {
            let json: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
            !json["schedule"].as_array().unwrap().is_empty()
        })
        .unwrap_or_else(|| panic!("no failure of {} came with a schedule", files.len()));
    let o = simkern(&["replay", file]);
    assert_eq!(o.status.code(), Some(0), "{file}: {}", text(&o));
    assert!(text(&o).contains("reproduced"), "{}", text(&o));
}
