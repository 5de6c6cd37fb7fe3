//! `--kernel NAME=VALUE`: the simulated kernel's configuration from the command line, into the
//! report, the seed files and the worker processes, and back out of a seed file on replay.

use crate::cli::{simkern, stderr, stdout};
use crate::determinism::tempdir;

/// Under an fd limit of 40 the lws client process, opening 50 connections, meets `EMFILE`
/// and never stops trying: every seed fails (livelock), on worker processes, and the saved
/// seed file carries the limit, so it replays exactly; without it the same seed passes.
#[test]
fn a_kernel_config_reaches_workers_reports_and_seed_files_and_replays() {
    let dir = tempdir();
    let (report, save) = (dir.join("r.json"), dir.join("found"));
    let o = simkern(&[
        "run",
        "lws-timer-after-destroy",
        "--param",
        "connections=50",
        "--kernel",
        "rlimit_nofile=40",
        "--step-budget",
        "20000",
        "--seeds",
        "0..2",
        "--jobs",
        "2",
        "--report",
        report.to_str().unwrap(),
        "--save",
        save.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["kernel"]["rlimit_nofile"], 40, "{r}");
    assert_eq!(r["failures"].as_array().unwrap().len(), 2, "{r}");
    let file = r["failures"][0]["seed_file"].as_str().unwrap().to_owned();
    let seed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(seed["kernel"]["rlimit_nofile"], 40, "{seed}");
    let o = simkern(&["replay", &file]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("reproduced"), "{}", stdout(&o));
    let o = simkern(&[
        "run",
        "lws-timer-after-destroy",
        "--param",
        "connections=50",
        "--step-budget",
        "20000",
        "--seeds",
        "0..2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn a_bad_kernel_argument_exits_2_naming_it() {
    let cases: [(&str, &str); 4] = [
        (
            "fd_limit=5",
            "tunable = \"fd_limit\": is not one of the kernel's tunables",
        ),
        ("rlimit_nofile", "expected NAME=VALUE"),
        (
            "rlimit_nofile=lots",
            "kernel config rlimit_nofile = \"lots\"",
        ),
        ("linux=six", "kernel config linux = \"six\""),
    ];
    for (arg, needle) in cases {
        let o = simkern(&["run", "echo", "--kernel", arg, "--seeds", "0..1"]);
        assert_eq!(o.status.code(), Some(2), "{arg}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{arg}: not one line: {err}");
        assert!(err.contains(needle), "{arg}: {err:?} lacks {needle:?}");
    }
}

/// A seed file whose `kernel` the kernel cannot run with is refused, naming the field.
#[test]
fn a_seed_file_with_a_bad_kernel_config_is_refused_naming_the_field() {
    let dir = tempdir();
    let (report, save) = (dir.join("r.json"), dir.join("s"));
    let o = simkern(&[
        "run",
        "echo",
        "--seeds",
        "0..1",
        "--save-passing",
        "--save",
        save.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let path = save.join("echo-fixed-0.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(
        json.get("kernel").is_none(),
        "a default kernel is left out: {json}"
    );
    json["kernel"] = serde_json::json!({"sndbuf": 0});
    std::fs::write(&path, json.to_string()).unwrap();
    let o = simkern(&["replay", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("field `kernel`: kernel config sndbuf"),
        "{}",
        stderr(&o)
    );
    json["kernel"] = serde_json::json!({"fd_limit": 3});
    std::fs::write(&path, json.to_string()).unwrap();
    let o = simkern(&["replay", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("kernel"), "{}", stderr(&o));
}
