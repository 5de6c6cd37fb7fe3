//! Shrinking, explaining and exporting the seed bugs: every committed seed file shrinks to a
//! run no longer than the original that fails the same way and replays exactly, its story
//! fits one screen, and its Chrome trace is one track per thread; bad input is refused.

use crate::cli::{simkern, stderr, stdout};
use crate::determinism::tempdir;
use crate::signature;
use simkern::scenarios;
use simkern::sim::runner;
use simkern::sim::seed_file::SeedFile;
use simkern::sim::shrink::{self, Options};
use simkern::sim::{chrome_trace, explain};
use std::collections::BTreeSet;
use std::path::PathBuf;

const SEEDS: [&str; 6] = [
    "netpoll-cancel-dial",
    "capnp-chain-teardown",
    "nbio-double-close",
    "go-netpoll-wakeup",
    "go-netpoll-wakeup-eintr",
    "lws-timer-after-destroy",
];

fn seed_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(format!("{name}.json"))
}

fn seed(name: &str) -> SeedFile {
    SeedFile::load(&seed_path(name)).unwrap()
}

#[test]
fn every_seed_bug_shrinks_to_a_run_that_fails_the_same_way_and_replays_exactly() {
    // The six shrinks are independent; run them side by side (each run's world is per thread).
    let shrunk: Vec<(&str, SeedFile, shrink::Shrunk)> = std::thread::scope(|s| {
        let handles: Vec<_> = SEEDS
            .iter()
            .map(|name| {
                s.spawn(move || {
                    let file = seed(name);
                    let shrunk =
                        shrink::shrink(&file, scenarios::builtin_refs(), &Options::default())
                            .unwrap_or_else(|e| panic!("{name}: {e}"));
                    (*name, file, shrunk)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (name, file, shrunk) in shrunk {
        let new = &shrunk.file;
        // The committed files are format 1 (the oracle's name); the shrunk ones format 2.
        assert!(
            file.expects(&new.expected.outcome),
            "{name}: {} is not {}",
            new.expected.outcome,
            file.expected.outcome
        );
        assert!(
            new.expected.steps <= file.expected.steps,
            "{name}: shrunk to {} steps from {}",
            new.expected.steps,
            file.expected.steps
        );
        assert!(
            shrunk.after.decisions <= shrunk.before.decisions,
            "{name}: {} -> {}",
            shrunk.before,
            shrunk.after
        );
        assert!(shrunk.runs <= shrink::MAX_RUNS_DEFAULT + 2, "{name}");
        // Round trip: through JSON, then replayed as `simkern replay` does.
        let text = serde_json::to_string_pretty(new).unwrap();
        let again = SeedFile::parse(&text, name).unwrap();
        assert_eq!(&again, new, "{name}: the shrunk file does not round-trip");
        let outcome = runner::run(
            &again.config(),
            again.root(scenarios::builtin_refs()).unwrap(),
        );
        assert_eq!(
            (signature(&outcome.stop), outcome.trace_hash),
            (
                new.expected.outcome.to_string(),
                new.expected_hash().unwrap()
            ),
            "{name}: the shrunk file does not replay exactly"
        );
        let story = explain::story(&outcome);
        assert!(
            story.rows.len() < 40,
            "{name}: the story has {} rows:\n{story}",
            story.rows.len()
        );
        assert!(!story.rows.is_empty(), "{name}: an empty story");
        // Whole stories, except the teardown's: its bug is a queue 135 calls long, and its
        // story is the client filling it (write, EAGAIN, wait) for 100 ms; the middle goes.
        if name != "capnp-chain-teardown" {
            assert_eq!(story.omitted, 0, "{name}: rows left out:\n{story}");
        }
        let text = story.to_string();
        assert!(
            text.starts_with(&new.expected.outcome.to_string()),
            "{name}: {text}"
        );
        assert_chrome_trace(name, &outcome);
    }
}

/// The run as Chrome trace JSON parses back, with one `thread_name` per thread, syscall
/// slices, the failure as an instant, and each flow start paired with a finish.
fn assert_chrome_trace(name: &str, outcome: &runner::Outcome) {
    let json = chrome_trace::chrome_trace(outcome).to_string();
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let events = parsed["traceEvents"].as_array().unwrap();
    let of = |ph: &'static str| events.iter().filter(move |e| e["ph"] == ph);
    let tracks: BTreeSet<u64> = of("M")
        .filter(|e| e["name"] == "thread_name")
        .map(|e| e["tid"].as_u64().unwrap())
        .collect();
    assert_eq!(
        of("M").filter(|e| e["name"] == "thread_name").count(),
        outcome.thread_names.len(),
        "{name}: one thread_name per thread"
    );
    assert_eq!(tracks.len(), outcome.thread_names.len(), "{name}");
    assert!(of("X").count() > 0, "{name}: no syscall slices");
    assert!(
        of("i").any(|e| e["name"] == signature(&outcome.stop).as_str()),
        "{name}: no failure instant"
    );
    assert!(of("X").all(|e| e["dur"].as_u64().unwrap() >= 1), "{name}");
    assert_eq!(of("s").count(), of("f").count(), "{name}: unpaired flows");
}

#[test]
fn a_seed_bug_exports_a_chrome_trace_with_a_track_per_thread() {
    for name in SEEDS {
        let file = seed(name);
        let outcome = runner::run(
            &file.config(),
            file.root(scenarios::builtin_refs()).unwrap(),
        );
        // The export reads the trace; the trace itself is unchanged (the hash still matches).
        assert_eq!(outcome.trace_hash, file.expected_hash().unwrap(), "{name}");
        assert_chrome_trace(name, &outcome);
    }
    // The double close has client traffic: its deliveries are flows.
    let file = seed("nbio-double-close");
    let outcome = runner::run(
        &file.config(),
        file.root(scenarios::builtin_refs()).unwrap(),
    );
    let json = chrome_trace::chrome_trace(&outcome);
    let flows = json["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == "s")
        .count();
    assert!(flows > 0, "no network flows in nbio-double-close");
}

#[test]
fn shrink_refuses_a_passing_seed_file_and_one_that_fails_otherwise() {
    // The fixed variant of the same seed passes: the file does not fail as it says.
    let mut fixed = seed("netpoll-cancel-dial");
    fixed.variant = "fixed".into();
    let err = shrink::shrink(&fixed, scenarios::builtin_refs(), &Options::default()).unwrap_err();
    assert!(
        err.contains("does not fail as it says") && err.contains("got pass"),
        "{err}"
    );
    let mut passing = fixed.clone();
    passing.expected.outcome = simkern::sim::Signature::Pass;
    let err = shrink::shrink(&passing, scenarios::builtin_refs(), &Options::default()).unwrap_err();
    assert!(err.contains("expects a pass"), "{err}");
    let mut unknown = seed("netpoll-cancel-dial");
    unknown.scenario = "nosuch".into();
    let err = shrink::shrink(&unknown, scenarios::builtin_refs(), &Options::default()).unwrap_err();
    assert!(err.contains("field `scenario`"), "{err}");
}

#[test]
fn simkern_shrink_writes_a_file_that_replays_and_refuses_bad_input() {
    let dir = tempdir();
    let out = dir.join("dial.shrunk.json");
    let (src, out_s) = (seed_path("netpoll-cancel-dial"), out.to_str().unwrap());
    let o = simkern(&["shrink", src.to_str().unwrap(), "--out", out_s]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("steps 30 → "), "{}", stdout(&o));
    assert!(stdout(&o).contains("simkern replay"), "{}", stdout(&o));
    let trace = dir.join("dial.trace.json");
    let o = simkern(&[
        "replay",
        out_s,
        "--explain",
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("the steps that touch"),
        "{}",
        stdout(&o)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    assert!(json["traceEvents"]
        .as_array()
        .is_some_and(|e| !e.is_empty()));

    // Never overwrite: a second shrink to the same file is bad input.
    let o = simkern(&["shrink", src.to_str().unwrap(), "--out", out_s]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("exists"), "{}", stderr(&o));

    // A malformed file: exit 2, one line naming the field.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"format": 1, "scenario": "echo"}"#).unwrap();
    let o = simkern(&["shrink", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("missing field"), "{}", stderr(&o));

    // A file that does not fail as it says: exit 1; the default output name is not written.
    let mut fixed = seed("netpoll-cancel-dial");
    fixed.variant = "fixed".into();
    let passing = dir.join("passing.json");
    fixed.save_new(&passing).unwrap();
    let o = simkern(&["shrink", passing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    // The reason goes to stderr, as every error of the binary does.
    assert!(
        stderr(&o).contains("does not fail as it says"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "");
    assert!(!dir.join("passing.shrunk.json").exists());
}
