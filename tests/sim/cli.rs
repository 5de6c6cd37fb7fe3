//! The `simkern` CLI: exit codes, reports, seed files, replay.

use crate::determinism::tempdir;
use std::process::{Command, Output};

/// Runs the built `simkern` binary (every CLI test in this crate goes through here).
pub(crate) fn simkern(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_simkern"))
        .args(args)
        .output()
        .expect("run simkern")
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn bad_input_exits_2_with_one_line_naming_the_problem() {
    let cases: [(&[&str], &str); 8] = [
        (
            &["run", "echo", "--fault-calls", "read,reed"],
            "unknown call \"reed\"",
        ),
        (
            &["run", "echo", "--fault-threads", "cl*ent"],
            "is not a name or a prefix ending in `*`",
        ),
        (&["run", "nosuch"], "unknown scenario \"nosuch\""),
        (
            &["run", "echo", "--seeds", "5"],
            "--seeds \"5\": expected A..B",
        ),
        (&["run", "echo", "--seeds", "9..3"], "the range is empty"),
        (&["run", "echo", "--strategy", "pct:0"], "pct depth"),
        (
            &["run", "echo", "--faults", "lots"],
            "unknown fault profile",
        ),
        (
            &["run", "echo", "--variant", "buggy"],
            "has no variant \"buggy\"",
        ),
    ];
    for (args, needle) in cases {
        let o = simkern(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{args:?}: not one line: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: {err:?} does not mention {needle:?}"
        );
    }
}

#[test]
fn a_malformed_seed_file_exits_2_naming_the_field() {
    let dir = tempdir();
    let path = dir.join("bad.json");
    std::fs::write(&path, r#"{"format": 1, "scenario": "echo"}"#).unwrap();
    let o = simkern(&["replay", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("missing field"), "{}", stderr(&o));
}

#[test]
fn run_saves_seed_files_that_replay_exactly_and_a_tampered_one_names_its_divergence() {
    let dir = tempdir();
    let save = dir.join("seeds");
    let report = dir.join("report.json");
    let o = simkern(&[
        "run",
        "echo",
        "--seeds",
        "3..5",
        "--faults",
        "default",
        "--param",
        "clients=3",
        "--param",
        "rounds=3",
        "--save",
        save.to_str().unwrap(),
        "--save-passing",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    for field in [
        "scenario",
        "variant",
        "strategy",
        "faults",
        "seeds_run",
        "failures",
        "first_failure_seed",
        "wall_s",
        "sim_steps",
        "run_hash",
    ] {
        assert!(
            report.get(field).is_some(),
            "report lacks {field}: {report}"
        );
    }
    assert_eq!(report["seeds_run"], 2);
    let file = save.join("echo-fixed-3.json");
    let o = simkern(&["replay", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("reproduced"), "{}", stdout(&o));

    // Change one recorded event digest: the replay must name that event as the divergence.
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let digests = json["digests"].as_str().unwrap().to_owned();
    let at = 40 * 8;
    let flipped = if &digests[at..at + 1] == "0" {
        "1"
    } else {
        "0"
    };
    json["digests"] = format!("{}{}{}", &digests[..at], flipped, &digests[at + 1..]).into();
    json["expected"]["trace_hash"] = "0x0000000000000001".into();
    let tampered = dir.join("tampered.json");
    std::fs::write(&tampered, json.to_string()).unwrap();
    let o = simkern(&["replay", tampered.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("first divergent event #40"),
        "{}",
        stdout(&o)
    );

    // Saving never overwrites: a second run into the same directory reports the clash.
    let o = simkern(&[
        "run",
        "echo",
        "--seeds",
        "3..4",
        "--param",
        "clients=3",
        "--param",
        "rounds=3",
        "--faults",
        "default",
        "--save",
        save.to_str().unwrap(),
        "--save-passing",
    ]);
    assert!(stderr(&o).contains("cannot create"), "{}", stderr(&o));
}

#[test]
fn list_names_the_builtin_scenarios() {
    let o = simkern(&["list"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("echo"), "{}", stdout(&o));
}

#[test]
fn a_seed_that_aborts_or_overflows_its_stack_is_a_recorded_failure_and_the_run_goes_on() {
    for (variant, signature) in [
        ("abort", "crash: SIGABRT"),
        ("stack-overflow", "crash: SIGSEGV"),
        ("panic", "panic: selftest: the code under test panicked"),
    ] {
        let dir = tempdir();
        let report = dir.join("r.json");
        let o = simkern(&[
            "run",
            "selftest-crash",
            "--variant",
            variant,
            "--seeds",
            "0..12",
            "--jobs",
            "2",
            "--report",
            report.to_str().unwrap(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{variant}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(
            r["seeds_run"], 12,
            "{variant}: every seed must run despite the crashes"
        );
        let failures: Vec<(u64, String)> = r["failures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["seed"].as_u64().unwrap(), crate::sig(&f["signature"])))
            .collect();
        // selftest-crash crashes on seeds = 1 mod 4.
        let expected: Vec<(u64, String)> = [1, 5, 9]
            .iter()
            .map(|&s| (s, signature.to_owned()))
            .collect();
        assert_eq!(failures, expected, "{variant}");
        assert_eq!(r["first_failure_seed"], 1);
    }
}

#[test]
fn four_shards_in_separate_processes_merge_to_the_unsharded_run() {
    let dir = tempdir();
    let common = [
        "run",
        "echo",
        "--seeds",
        "0..120",
        "--faults",
        "swarm",
        "--param",
        "clients=4",
        "--param",
        "rounds=4",
    ];
    let all = dir.join("all.json");
    let o = simkern(&[&common[..], &["--report", all.to_str().unwrap()]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Two shards as Kubernetes indexed-Job members, two as a Slurm array's tasks.
    let mut shard_reports = Vec::new();
    for k in 0..4u32 {
        let path = dir.join(format!("shard{k}.json"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_simkern"));
        cmd.args(common).args(["--report", path.to_str().unwrap()]);
        if k < 2 {
            cmd.env("JOB_COMPLETION_INDEX", k.to_string())
                .args(["--shard", "auto/4"]);
        } else {
            cmd.env("SLURM_ARRAY_TASK_ID", k.to_string())
                .env("SLURM_ARRAY_TASK_COUNT", "4")
                .args(["--shard", "auto"]);
        }
        let o = cmd.output().expect("run shard");
        assert_eq!(o.status.code(), Some(0), "shard {k}: {}", stderr(&o));
        shard_reports.push(path.to_str().unwrap().to_owned());
    }
    let merged = dir.join("merged.json");
    let mut args: Vec<&str> = vec!["merge"];
    args.extend(shard_reports.iter().map(|s| s.as_str()));
    args.extend(["--report", merged.to_str().unwrap()]);
    let o = simkern(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let read = |p: &std::path::Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let (a, m) = (read(&all), read(&merged));
    assert_eq!(
        a["run_hash"], m["run_hash"],
        "merged shards must hash like the unsharded run"
    );
    assert_eq!(a["seeds_run"], m["seeds_run"]);
    assert_eq!(a["failures"], m["failures"]);
    assert_eq!(a["sim_steps"], m["sim_steps"]);
    // A missing shard is refused, naming what is missing.
    let o = simkern(&[
        "merge",
        &shard_reports[0],
        &shard_reports[1],
        "--report",
        dir.join("x.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("must appear exactly once"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn workers_start_from_the_running_binary_even_after_its_file_is_deleted() {
    // A rebuild during a long nightly replaces the binary's file. Workers are started for
    // each crashed seed, all of them here after the file is gone: each must still run the
    // parent's code, so the crashes are the scenario's SIGABRTs and nothing else.
    let dir = tempdir();
    let copy = dir.join("simkern-copy");
    std::fs::copy(env!("CARGO_BIN_EXE_simkern"), &copy).unwrap();
    let report = dir.join("r.json");
    let child = Command::new(&copy)
        .args([
            "run",
            "selftest-crash",
            "--variant",
            "abort",
            "--seeds",
            "0..40",
            "--jobs",
            "2",
            "--report",
            report.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the copy");
    // `spawn` returns once the copy is executing; no worker has started before its first seed.
    std::fs::remove_file(&copy).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["seeds_run"], 40);
    let signatures: Vec<String> = r["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| crate::sig(&f["signature"]))
        .collect();
    assert_eq!(signatures, vec!["crash: SIGABRT"; 10], "{signatures:?}");
}

/// `--fault-threads`/`--fault-calls` narrow a swarm plan: every saved seed file's plan holds
/// only rules for those calls in those threads, the report names the scope, and a file
/// replays exactly (its concrete plan carries the scope).
#[test]
fn a_scoped_fault_plan_reaches_only_the_named_threads_and_calls_and_replays() {
    let dir = tempdir();
    let save = dir.join("seeds");
    let report = dir.join("report.json");
    let o = simkern(&[
        "run",
        "echo",
        "--faults",
        "swarm",
        "--fault-threads",
        "server",
        "--fault-calls",
        "read,write,epoll_wait",
        "--seeds",
        "0..12",
        "--save",
        save.to_str().unwrap(),
        "--save-passing",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        r["faults"], "swarm in threads server in calls read,write,epoll_wait",
        "{r}"
    );
    let mut rules = 0;
    let files: Vec<_> = std::fs::read_dir(&save)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 12);
    for file in &files {
        let f: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        for rule in f["fault_plan"].as_array().unwrap() {
            rules += 1;
            let call = rule["call"].as_str().unwrap();
            assert!(["read", "write", "epoll_wait"].contains(&call), "{rule}");
            assert_eq!(rule["threads"], serde_json::json!(["server"]), "{rule}");
        }
    }
    assert!(
        rules > 0,
        "swarm drew no rule for the scoped calls in 12 seeds"
    );
    let o = simkern(&["replay", files[0].to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
