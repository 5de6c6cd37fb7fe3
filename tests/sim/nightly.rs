//! `simkern nightly`: a short search finds a buggy variant's failure once, shrinks it into a
//! seed file that replays, explains it; a clean search exits 0; bad input exits 2.

use crate::cli::{simkern, stderr, stdout};
use crate::determinism::tempdir;

fn report(dir: &std::path::Path) -> serde_json::Value {
    let path = dir.join("report.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).expect("report.json is JSON")
}

#[test]
fn a_search_of_a_buggy_variant_reports_one_shrunk_explained_failure_that_replays() {
    let dir = tempdir();
    let out = dir.join("night");
    let o = simkern(&[
        "nightly",
        "--scenarios",
        "netpoll-cancel-dial",
        "--variants",
        "buggy",
        "--strategies",
        "random,pct:3",
        "--faults",
        "none",
        "--seeds",
        "1024",
        "--jobs",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    let printed = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{printed}\n{}", stderr(&o));
    let r = report(&out);
    assert_eq!(r["seeds_run"], 1024, "{r}");
    assert_eq!(r["units"].as_array().unwrap().len(), 2);
    let failures = r["failures"].as_array().unwrap();
    // Many seeds fail, all the same way: one distinct failure.
    assert_eq!(failures.len(), 1, "{r}");
    let f = &failures[0];
    assert_eq!(
        f["signature"],
        serde_json::json!({"kind": "oracle", "oracle": "stale_delivery", "subjects": ["fd", "handle"]})
    );
    assert!(f["count"].as_u64().unwrap() >= 2, "{f}");
    let shrunk = f["shrunk_file"].as_str().expect("a shrunk seed file");
    assert!(
        f["story"].as_str().unwrap().contains("stale_delivery"),
        "{f}"
    );
    assert!(
        printed.contains("== netpoll-cancel-dial buggy: oracle stale_delivery"),
        "{printed}"
    );
    let replay = simkern(&["replay", shrunk]);
    assert_eq!(replay.status.code(), Some(0), "{}", stdout(&replay));
}

#[test]
fn a_clean_search_exits_0_and_counts_every_unit() {
    let dir = tempdir();
    let out = dir.join("night");
    let o = simkern(&[
        "nightly",
        "--scenarios",
        "go-netpoll-wakeup,nbio-double-close",
        "--strategies",
        "random,pct:2",
        "--seeds",
        "1024",
        "--jobs",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let r = report(&out);
    assert_eq!(r["seeds_run"], 1024);
    let units = r["units"].as_array().unwrap();
    // Two scenarios' fixed variants under two strategies, 256 seeds each.
    assert_eq!(units.len(), 4, "{r}");
    assert!(units.iter().all(|u| u["seeds_run"] == 256), "{r}");
    assert!(r["failures"].as_array().unwrap().is_empty());
}

#[test]
fn nightly_bad_input_exits_2_naming_the_problem() {
    let dir = tempdir();
    let out = dir.join("x");
    let out = out.to_str().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (&["nightly", "--budget", "2d", "--out", out], "unit \"d\""),
        (
            &[
                "nightly",
                "--seeds",
                "10",
                "--scenarios",
                "nosuch",
                "--out",
                out,
            ],
            "unknown scenario",
        ),
        (
            &[
                "nightly",
                "--seeds",
                "10",
                "--variants",
                "odd",
                "--out",
                out,
            ],
            "--variants \"odd\"",
        ),
        (
            &[
                "nightly",
                "--seeds",
                "10",
                "--strategies",
                "pct:99",
                "--out",
                out,
            ],
            "pct depth",
        ),
        (
            &[
                "nightly",
                "--seeds",
                "10",
                "--scenarios",
                "echo",
                "--variants",
                "buggy",
                "--out",
                out,
            ],
            "has a buggy variant",
        ),
    ];
    for (args, needle) in cases {
        let o = simkern(args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
    }
}

#[test]
fn the_budget_ends_a_round_in_the_middle_instead_of_after_all_its_seeds() {
    // One round is 256 seeds of the echo scenario with 1 ms latencies, a 16-byte receive
    // buffer (a round trip in many segments) and still time between steps (about 37 seeds/s
    // on one core of a 2-core EPYC in release, so 7 s a round; far slower in debug): more
    // than the 1 s budget with a sevenfold margin. The budget must stop it at the next seed
    // after 1 s. (With the default step time and buffers echo runs 280 seeds/s here, and a
    // round fit in 1 s on an idle machine; lws-timer-after-destroy, used first, 300.)
    let dir = tempdir();
    let clock = simkern::sim::wall::Stopwatch::start();
    let o = simkern(&[
        "nightly",
        "--scenarios",
        "echo",
        "--variants",
        "fixed",
        "--strategies",
        "random",
        "--faults",
        "none",
        "--kernel",
        "latency_ns_min=1000000",
        "--kernel",
        "latency_ns_max=1000000",
        "--kernel",
        "rcvbuf=16",
        "--kernel",
        "step_ns_max=0",
        "--budget",
        "1s",
        "--jobs",
        "1",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = report(&dir);
    let seeds = r["seeds_run"].as_u64().unwrap();
    assert!(seeds < 256, "{seeds} seeds: the round ran to its end");
    // The seed running at 1 s, if one was (the deadline may fall between two seeds, a window
    // of microseconds), was killed and recorded as not run; on a loaded machine the first
    // seed of a debug build may be that seed (0 run, 1 not run).
    let not_run = r["seeds_not_run"].as_u64().unwrap_or(0);
    assert!(not_run <= 1 && seeds + not_run >= 1, "{r}");
    assert!(clock.seconds() < 60.0, "{} s", clock.seconds());
}

#[test]
fn a_seed_still_running_at_the_budget_is_killed_and_recorded_as_not_run() {
    // selftest-crash's `hang` variant loops forever on seeds = 1 mod 4, and the seed timeout
    // is 60 s: without the deadline inside a seed, the 2 s budget would end after a minute.
    // All four variants run at once (`--jobs 4`), so the hang's round is running at 2 s.
    let dir = tempdir();
    let clock = simkern::sim::wall::Stopwatch::start();
    let o = simkern(&[
        "nightly",
        "--scenarios",
        "selftest-crash",
        "--variants",
        "fixed",
        "--strategies",
        "random",
        "--faults",
        "none",
        "--budget",
        "2s",
        "--seed-timeout",
        "60",
        "--jobs",
        "4",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let took = clock.seconds();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    // Two seconds, then killing one worker and settling the other variants' failures.
    assert!(took < 30.0, "{took} s: the hung seed outlived the budget");
    let r = report(&dir);
    let hang = r["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["variant"] == "hang")
        .unwrap_or_else(|| panic!("no hang unit in {r}"));
    // Each of its rounds running at the deadline (a free job takes the unit's next round)
    // lost its hung seed, the round's second.
    let not_run: Vec<u64> = hang["not_run"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    assert!(!not_run.is_empty(), "{hang}");
    assert!(not_run.iter().all(|s| s % 256 == 1), "{hang}");
    assert!(r["seeds_not_run"].as_u64().unwrap() >= 1, "{r}");
    // No failure is recorded for the killed seed: it did not run, it did not time out.
    assert!(
        !r["failures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["variant"] == "hang"),
        "{r}"
    );
}

/// Runs shard `k` of 4 of a 1,024-seed nightly over netpoll-cancel-dial's buggy variant (one
/// 256-seed round each) into `out`.
fn nightly_shard(k: u64, out: &std::path::Path) {
    let shard = format!("{k}/4");
    let o = simkern(&[
        "nightly",
        "--scenarios",
        "netpoll-cancel-dial",
        "--variants",
        "buggy",
        "--strategies",
        "random",
        "--faults",
        "none",
        "--seeds",
        "1024",
        "--shard",
        &shard,
        "--shrink-runs",
        "20",
        "--jobs",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "shard {shard}: {}", stderr(&o));
}

#[test]
fn four_nightly_shards_merge_into_one_report_with_each_distinct_failure_once() {
    // The stale delivery fails one seed in 5 to 45, so each 256-seed shard finds it (the
    // odds of a shard missing it are below 1e-5): four findings, one failure.
    let dir = tempdir();
    let outs: Vec<std::path::PathBuf> = (0..4).map(|k| dir.join(format!("shard-{k}"))).collect();
    for (k, out) in outs.iter().enumerate() {
        nightly_shard(k as u64, out);
    }
    let reports: Vec<String> = outs
        .iter()
        .map(|o| o.join("report.json").to_str().unwrap().to_owned())
        .collect();
    let shard_reports: Vec<serde_json::Value> = outs.iter().map(|o| report(o)).collect();
    let merge = |order: &[usize], to: &std::path::Path| {
        let mut args = vec!["merge".to_owned()];
        args.extend(order.iter().map(|&i| reports[i].clone()));
        args.extend(["--report".into(), to.to_str().unwrap().to_owned()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        simkern(&args)
    };
    let merged_path = dir.join("merged.json");
    let o = merge(&[0, 1, 2, 3], &merged_path);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&merged_path).unwrap()).unwrap();
    assert_eq!(m["merged_shards"], 4, "{m}");
    assert_eq!(m["seeds_run"], 1024, "{m}");
    let failures = m["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "one distinct failure, once: {m}");
    let f = &failures[0];
    assert_eq!(
        f["found_by"],
        serde_json::json!(["0/4", "1/4", "2/4", "3/4"]),
        "{f}"
    );
    // Kept with the shard that found it first (its smallest seed) and that shard's files.
    let firsts: Vec<(u64, &serde_json::Value)> = shard_reports
        .iter()
        .map(|r| {
            (
                r["failures"][0]["seed"].as_u64().unwrap(),
                &r["failures"][0],
            )
        })
        .collect();
    let (seed, first) = firsts.iter().min_by_key(|(s, _)| *s).unwrap();
    assert_eq!(f["seed"], *seed);
    assert_eq!(f["shard"], first["shard"]);
    assert_eq!(f["seed_file"], first["seed_file"]);
    assert_eq!(f["shrunk_file"], first["shrunk_file"]);
    let counts: u64 = firsts
        .iter()
        .map(|(_, f)| f["count"].as_u64().unwrap())
        .sum();
    assert_eq!(f["count"], counts);
    // Per unit, the seeds and seeds/s of the four shards summed.
    let unit = &m["units"][0];
    assert_eq!(unit["seeds_run"], 1024);
    let per_s: f64 = shard_reports
        .iter()
        .map(|r| r["units"][0]["seeds_per_s"].as_f64().unwrap())
        .sum();
    assert!(
        (unit["seeds_per_s"].as_f64().unwrap() - per_s).abs() < 1e-6 * per_s,
        "{unit}"
    );
    assert_eq!(unit["distinct_failures"], 1);
    // The same report for any order of the inputs.
    let reversed = dir.join("reversed.json");
    assert_eq!(merge(&[3, 2, 1, 0], &reversed).status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&reversed).unwrap(),
        std::fs::read_to_string(&merged_path).unwrap()
    );

    // Three of four shards, a shard twice, and a failure moved into another shard's round
    // are refused in one line.
    let o = merge(&[0, 1, 2], &dir.join("x.json"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("each of 0..4 must appear exactly once"),
        "{}",
        stderr(&o)
    );
    let o = merge(&[0, 1, 2, 2], &dir.join("x.json"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let mut tampered = shard_reports[1].clone();
    tampered["failures"][0]["seed"] = 3.into(); // round 0: shard 0's
    let path = dir.join("tampered.json");
    std::fs::write(&path, tampered.to_string()).unwrap();
    let o = simkern(&[
        "merge",
        &reports[0],
        path.to_str().unwrap(),
        &reports[2],
        &reports[3],
        "--report",
        dir.join("x.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("belongs to shard 0/4, not 1/4"),
        "{}",
        stderr(&o)
    );
}
