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
    // One round is 256 seeds of the echo scenario with 1 ms latencies (about 64 seeds/s on
    // one core of a 2-core EPYC in release, so 4 s a round; far slower in debug): more than
    // the 1 s budget with a fourfold margin. The budget must stop it at the next seed after
    // 1 s. (lws-timer-after-destroy, used first, runs 300 seeds/s: a round fit in 1 s.)
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
    assert!(
        seeds > 0 && seeds < 256,
        "{seeds} seeds: the round ran to its end"
    );
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
