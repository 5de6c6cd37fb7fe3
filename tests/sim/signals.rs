//! SIGINT and SIGTERM during `run` and `nightly` (issue 16, item 4): the search stops, and
//! the report and the seed files of what it found so far are written; the exit code is
//! `128 + signal`.

use crate::determinism::tempdir;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Starts `simkern args` in `dir`, sends `sig` after `after`, and returns its exit code and
/// stderr.
fn interrupted(dir: &std::path::Path, args: &[&str], sig: i32, after: Duration) -> (i32, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_simkern"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child's pid; it has not been waited for, so not reused.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), err)
}

fn json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn sigterm_during_run_writes_the_report_and_seed_files_found_so_far_and_exits_143() {
    let dir = tempdir();
    // The buggy dial fails within its first hundred seeds; the range would take days.
    let (code, err) = interrupted(
        &dir,
        &[
            "run",
            "netpoll-cancel-dial",
            "--variant",
            "buggy",
            "--seeds",
            "0..100000000",
            "--save",
            "found",
            "--report",
            "r.json",
        ],
        libc::SIGTERM,
        Duration::from_secs(3),
    );
    assert_eq!(code, 143, "{err}");
    assert!(err.contains("stopped by SIGTERM"), "{err}");
    let r = json(&dir.join("r.json"));
    assert_eq!(r["stopped"], true, "{r}");
    let failures = r["failures"].as_array().unwrap();
    assert!(!failures.is_empty(), "{r}");
    for f in failures {
        let file = f["seed_file"].as_str().unwrap();
        assert!(dir.join(file).exists(), "{file}");
    }
}

#[test]
fn sigint_during_nightly_writes_the_report_and_seed_files_and_exits_130() {
    let dir = tempdir();
    let (code, err) = interrupted(
        &dir,
        &[
            "nightly",
            "--scenarios",
            "netpoll-cancel-dial",
            "--variants",
            "buggy",
            "--strategies",
            "random",
            "--faults",
            "none",
            "--budget",
            "10m",
            "--jobs",
            "1",
            "--out",
            "night",
        ],
        libc::SIGINT,
        Duration::from_secs(4),
    );
    assert_eq!(code, 130, "{err}");
    let r = json(&dir.join("night/report.json"));
    assert_eq!(r["interrupted"], "SIGINT", "{r}");
    assert!(r["seeds_run"].as_u64().unwrap() > 0, "{r}");
    let failures = r["failures"].as_array().unwrap();
    assert!(!failures.is_empty(), "{r}");
    for f in failures {
        let file = f["seed_file"].as_str().unwrap();
        // Relative to the directory the nightly ran in (`dir.join` keeps an absolute path).
        assert!(dir.join(file).exists(), "{f}");
    }
}

/// `run ... | head -1` (issue 16, item 10): each failing seed is printed as it is found, so
/// the first line arrives while the run goes on, and a reader that has gone loses nothing:
/// the run keeps going and a SIGTERM still writes the report with that seed among its failures.
#[test]
fn run_prints_each_failing_seed_as_found_and_survives_its_reader_leaving() {
    use std::io::BufRead;
    let dir = tempdir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_simkern"))
        .args([
            "run",
            "netpoll-cancel-dial",
            "--variant",
            "buggy",
            "--seeds",
            "0..100000000",
            "--report",
            "r.json",
        ])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut first).unwrap();
    // The range would take days: a line now can only be one printed during the run.
    assert!(child.try_wait().unwrap().is_none(), "the run ended early");
    let seed: u64 = first
        .strip_prefix("failing seed ")
        .and_then(|rest| rest.split(':').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("first line {first:?} is not a failing seed"));
    drop(out);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run died when its reader left"
    );
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child's pid; it has not been waited for, so not reused.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    // The summary's print after the report meets the closed pipe: SIGPIPE, or 143 if the
    // report's own exit came first. Either way the report is on disk.
    let r = json(&dir.join("r.json"));
    let failures = r["failures"].as_array().unwrap();
    assert!(
        failures.iter().any(|f| f["seed"] == seed),
        "seed {seed} not in the report ({status:?}): {r}"
    );
}
