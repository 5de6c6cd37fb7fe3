//! The runner survives bad input (issue 16): parameters outside their declared ranges, seed
//! ranges too large to list, seeds at the top of `u64`, unwritable outputs, nonsense flags,
//! files that are not seed files. Each is refused before anything runs (exit 2, one line
//! naming the problem) or handled without materialising, wrapping or hanging.

use crate::cli::{simkern, stderr, stdout};
use crate::determinism::tempdir;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Asserts `o` is bad input: exit 2, one line on stderr containing each of `needles`, and
/// nothing run (no report line on stdout).
fn refused(args: &[&str], needles: &[&str]) -> Output {
    let o = simkern(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: not one line: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
    }
    assert_eq!(stdout(&o), "", "{args:?}: ran something");
    o
}

#[test]
fn parameters_outside_their_declared_range_are_refused_naming_parameter_value_and_range() {
    refused(
        &["run", "echo", "--param", "clients=0"],
        &["clients=0", "1..=10000"],
    );
    refused(
        &["run", "echo", "--param", "clients=1000000000"],
        &["clients=1000000000", "1..=10000"],
    );
    refused(
        &[
            "run",
            "capnp-chain-teardown",
            "--param",
            "messages=9223372036854775808",
        ],
        &["messages=9223372036854775808", "1..=10000"],
    );
    // A seed file is checked against the same ranges.
    let dir = tempdir();
    let text = std::fs::read_to_string("seeds/capnp-chain-teardown.json").unwrap();
    let bad = text.replace("\"messages\": 254", "\"messages\": 9223372036854775808");
    assert_ne!(bad, text, "the seed file names messages");
    let path = dir.join("huge.json");
    std::fs::write(&path, bad).unwrap();
    refused(
        &["replay", path.to_str().unwrap()],
        &["messages=9223372036854775808", "out of range"],
    );
}

/// Spawns `simkern args`, lets it run for `for_`, and returns its peak resident memory in
/// KiB (while still running: it must not have ended, by a panic or otherwise), then kills it.
fn still_running_after(args: &[&str], for_: Duration) -> u64 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_simkern"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(for_);
    let status = child.try_wait().unwrap();
    let peak = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(
        status.is_none(),
        "{args:?} ended early ({status:?}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    peak
}

#[test]
fn huge_seed_ranges_start_at_once_without_listing_their_seeds() {
    let small = ["--param", "clients=1", "--param", "rounds=1", "--jobs", "1"];
    for seeds in ["0..18446744073709551615", "0..1000000000"] {
        let mut args = vec!["run", "echo", "--seeds", seeds, "--in-process"];
        args.extend(small);
        let peak_kib = still_running_after(&args, Duration::from_secs(2));
        // A listed range of 10^9 seeds would be 8 GB of seeds and more of results.
        assert!(peak_kib < 200 * 1024, "{seeds}: peak {peak_kib} KiB");
    }
}

#[test]
fn guided_runs_every_seed_at_the_top_of_u64_and_nightly_refuses_a_first_seed_past_it() {
    let dir = tempdir();
    let report = dir.join("report.json");
    let o = simkern(&[
        "run",
        "echo",
        "--seeds",
        "18446744073709550000..18446744073709551615",
        "--strategy",
        "guided",
        "--param",
        "clients=1",
        "--param",
        "rounds=1",
        "--in-process",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["seeds_run"], 1615, "{r}");
    let out = dir.join("nightly");
    refused(
        &[
            "nightly",
            "--first-seed",
            "18446744073709551615",
            "--seeds",
            "10",
            "--out",
            out.to_str().unwrap(),
        ],
        &["--first-seed 18446744073709551615"],
    );
}

#[test]
fn the_printed_replay_command_carries_the_parameters_and_reproduces_the_failure() {
    let o = simkern(&[
        "run",
        "netpoll-cancel-dial",
        "--variant",
        "buggy",
        "--param",
        "dials=8",
        "--param",
        "concurrency=3",
        "--seeds",
        "0..300",
        "--step-budget",
        "4000000",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let command = out
        .lines()
        .find_map(|l| l.strip_prefix("replay: simkern "))
        .unwrap_or_else(|| panic!("no replay command in {out}"));
    for part in [
        "--param dials=8",
        "--param concurrency=3",
        "--step-budget 4000000",
        "--variant buggy",
        "--faults none",
        "--strategy random",
    ] {
        assert!(command.contains(part), "{command:?} lacks {part:?}");
    }
    let again = simkern(&command.split(' ').collect::<Vec<_>>());
    assert_eq!(
        again.status.code(),
        Some(1),
        "{command}: {}",
        stdout(&again)
    );
    assert!(
        stdout(&again).contains(" 1 run, 1 failed"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn jobs_are_capped_at_a_few_per_core_with_a_note_and_zero_is_refused() {
    let o = simkern(&[
        "run",
        "echo",
        "--seeds",
        "0..2",
        "--param",
        "clients=1",
        "--param",
        "rounds=1",
        "--jobs",
        "100000",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("note: --jobs 100000 is more than 4 per core"),
        "{}",
        stderr(&o)
    );
    refused(&["run", "echo", "--jobs", "0"], &["--jobs 0"]);
    refused(
        &["nightly", "--seeds", "10", "--jobs", "0", "--out", "/tmp/x"],
        &["--jobs 0"],
    );
}

#[test]
fn output_paths_that_cannot_be_written_are_refused_before_the_first_seed() {
    let dir = tempdir();
    let file = dir.join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let report = file.join("report.json");
    refused(
        &["run", "echo", "--report", report.to_str().unwrap()],
        &["--report", report.to_str().unwrap()],
    );
    let save = file.join("seeds");
    refused(
        &["run", "echo", "--save", save.to_str().unwrap()],
        &["--save", save.to_str().unwrap()],
    );
    let out = file.join("nightly");
    refused(
        &["nightly", "--seeds", "10", "--out", out.to_str().unwrap()],
        &["--out", out.to_str().unwrap()],
    );
}

#[test]
fn small_nonsense_is_refused_in_one_line() {
    refused(&["run", "echo", "--step-budget", "0"], &["--step-budget 0"]);
    refused(
        &[
            "nightly",
            "--seeds",
            "10",
            "--step-budget",
            "0",
            "--out",
            "/tmp/x",
        ],
        &["--step-budget 0"],
    );
    // clap's own errors: one line, not a screen of usage.
    refused(&["run", "echo", "--bogus"], &["--bogus"]);
    refused(&["run"], &["<SCENARIO>"]);
    refused(&["run", "echo", "--jobs", "many"], &["--jobs"]);
    // Not seed files: a directory, and a FIFO (reading it would block forever).
    let dir = tempdir();
    refused(&["replay", dir.to_str().unwrap()], &["is a directory"]);
    let fifo = dir.join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo reads a NUL-terminated path that lives across the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    refused(&["replay", fifo.to_str().unwrap()], &["is a FIFO"]);
    refused(&["shrink", fifo.to_str().unwrap()], &["is a FIFO"]);
    // A key written twice is refused, never read as its last value.
    let seed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/netpoll-cancel-dial.json"),
    )
    .unwrap();
    let n = serde_json::from_str::<serde_json::Value>(&seed).unwrap()["seed"]
        .as_u64()
        .unwrap();
    let key = format!("\"seed\": {n},");
    let doubled = seed.replacen(&key, &format!("{key}\n  \"seed\": {},", n + 1), 1);
    assert_ne!(
        doubled, seed,
        "the seed file's `seed` key is written as {key}"
    );
    let twice = dir.join("twice.json");
    std::fs::write(&twice, doubled).unwrap();
    refused(
        &["replay", twice.to_str().unwrap()],
        &["duplicate key `seed`"],
    );
    refused(
        &["shrink", twice.to_str().unwrap()],
        &["duplicate key `seed`"],
    );
}

#[test]
fn a_shard_with_no_seeds_says_so_and_reports_zero_seeds() {
    // Exit 0 with a note, not exit 2: a batch engine runs every shard it was configured
    // with and `merge` wants each one's report, so an empty shard is not an error.
    let dir = tempdir();
    let report = dir.join("r.json");
    let o = simkern(&[
        "run",
        "echo",
        "--seeds",
        "0..2",
        "--shard",
        "3/8",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("this shard runs nothing"),
        "{}",
        stderr(&o)
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["seeds_run"], 0);
}

#[test]
fn shrink_refuses_no_runs_and_a_passing_file_exits_1_with_the_reason_on_stderr() {
    let dir = tempdir();
    let save = dir.join("seeds");
    let o = simkern(&[
        "run",
        "echo",
        "--seeds",
        "0..1",
        "--param",
        "clients=1",
        "--param",
        "rounds=1",
        "--save",
        save.to_str().unwrap(),
        "--save-passing",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let passing = save.join("echo-fixed-0.json");
    let path = passing.to_str().unwrap();
    refused(&["shrink", path, "--max-runs", "0"], &["--max-runs 0"]);
    let o = simkern(&["shrink", path]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains("cannot shrink") && stderr(&o).contains("expects a pass"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn merge_refuses_shard_reports_that_contradict_the_shard_they_declare() {
    let dir = tempdir();
    let mut reports = Vec::new();
    for k in 0..2 {
        let path = dir.join(format!("shard{k}.json"));
        let o = simkern(&[
            "run",
            "echo",
            "--seeds",
            "0..6",
            "--param",
            "clients=1",
            "--param",
            "rounds=1",
            "--shard",
            &format!("{k}/2"),
            "--report",
            path.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        reports.push(path);
    }
    let original = std::fs::read_to_string(&reports[1]).unwrap();
    let mut r: serde_json::Value = serde_json::from_str(&original).unwrap();
    let failure = |seed: u64| serde_json::json!({"seed": seed, "signature": {"kind": "deadlock"}, "trace_hash": "0x0000000000000001", "steps": 1});
    let merged = dir.join("merged.json");
    let cases: [(&str, serde_json::Value); 3] = [
        ("seeds_run", {
            let mut t = r.clone();
            t["seeds_run"] = 4.into();
            t
        }),
        ("outside the range", {
            let mut t = r.clone();
            t["failures"] = serde_json::json!([failure(9)]);
            t
        }),
        ("belongs to shard 0/2", {
            let mut t = r.clone();
            t["failures"] = serde_json::json!([failure(2)]);
            t
        }),
    ];
    for (needle, tampered) in cases {
        std::fs::write(&reports[1], tampered.to_string()).unwrap();
        refused(
            &[
                "merge",
                reports[0].to_str().unwrap(),
                reports[1].to_str().unwrap(),
                "--report",
                merged.to_str().unwrap(),
            ],
            &[reports[1].to_str().unwrap(), needle],
        );
    }
    // The honest reports still merge.
    r["seeds_run"] = 3.into();
    std::fs::write(&reports[1], r.to_string()).unwrap();
    let o = simkern(&[
        "merge",
        reports[0].to_str().unwrap(),
        reports[1].to_str().unwrap(),
        "--report",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
