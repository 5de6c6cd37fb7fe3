//! A user's own crate under the whole toolchain: `examples/user-crate` (tally, a counter
//! service on the poller with a lost-update race) is built as its own package, and its
//! `sim` binary, `simkern::cli::main(&[&tally::scenario::SCENARIO])`, must do for its
//! scenario everything `simkern` does for the built-in ones: list, run (crash-isolated
//! workers that re-exec `sim` itself), save, replay exactly (with --events, --trace, --log),
//! shrink, explain, shards and merge, nightly; and refuse a seed file of a scenario it does
//! not have. These are the commands README's "Test your own code" walks through.
//!
//! The build goes to its own target directory under this one's (`target/tmp/user-crate`):
//! the crate is outside the workspace, so it resolves and compiles its dependencies itself;
//! a second run of the suite finds them built.

use crate::determinism::tempdir;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// `cargo SUBCOMMAND --manifest-path MANIFEST` for a package outside the workspace, building
/// into `target` with its own jobs (not a share of a `make -j` jobserver the outer cargo was
/// given).
pub(crate) fn outside_cargo(subcommand: &str, manifest: &Path, target: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args([subcommand, "--manifest-path"])
        .arg(manifest)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("CARGO_MAKEFLAGS");
    cmd
}

/// Builds the user crate once (for every test here) and returns its `sim` binary.
fn sim_binary() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/user-crate/Cargo.toml");
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("user-crate");
        let o = outside_cargo("build", &manifest, &target)
            .arg("--release")
            .output()
            .expect("run cargo");
        assert!(
            o.status.success(),
            "building {} failed:\n{}",
            manifest.display(),
            String::from_utf8_lossy(&o.stderr)
        );
        target.join("release/sim")
    })
}

fn sim(args: &[&str]) -> Output {
    Command::new(sim_binary())
        .args(args)
        .output()
        .expect("run the user crate's sim binary")
}

fn out(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The signature every failure of the buggy variant has (numbers read as `N`).
const LOST_UPDATE: &str = "panic: lost update: the counter is N after N increments";

#[test]
fn a_users_buggy_variant_is_found_saved_replayed_shrunk_and_explained_by_its_own_binary() {
    let dir = tempdir();
    let found = dir.join("found");
    let s = |p: &Path| p.to_str().unwrap().to_owned();

    // Found: the race hits about one seed in thirty (10 of seeds 0..300; the first is 8).
    let o = sim(&[
        "run",
        "tally",
        "--variant",
        "buggy",
        "--seeds",
        "0..300",
        "--jobs",
        "2",
        "--save",
        &s(&found),
        "--report",
        &s(&dir.join("r.json")),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let r = json(&dir.join("r.json"));
    let first = &r["failures"][0];
    assert!(
        crate::sig(&first["signature"]).starts_with(LOST_UPDATE),
        "{r}"
    );
    let file = first["seed_file"].as_str().unwrap().to_owned();
    assert!(
        stdout(&o).contains(&format!("replay: sim replay {file}")),
        "the replay command names the user's binary: {}",
        out(&o)
    );

    // Replayed exactly, with every export.
    let (events, trace) = (dir.join("e.jsonl"), dir.join("t.json"));
    let o = sim(&[
        "replay",
        &file,
        "--events",
        &s(&events),
        "--trace",
        &s(&trace),
        "--log",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(stdout(&o).starts_with("reproduced "), "{}", out(&o));
    assert!(std::fs::read_to_string(&events).unwrap().lines().count() > 100);
    assert!(json(&trace)["traceEvents"].as_array().unwrap().len() > 100);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("virtual_ms"),
        "--log prints steps: {}",
        out(&o)
    );

    // Shrunk, and the shrunk file replays and explains the race on the two connections.
    let o = sim(&["shrink", &file]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let shrunk = file.replace(".json", ".shrunk.json");
    assert!(Path::new(&shrunk).exists(), "{}", out(&o));
    let o = sim(&["replay", &shrunk, "--explain"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let story = stdout(&o);
    assert!(story.contains("lost update"), "{story}");
    assert!(story.contains("the steps that touch fd"), "{story}");
    assert!(story.contains("read(fd"), "{story}");
}

#[test]
fn a_users_fixed_variant_passes_and_its_shards_merge_to_the_whole_run() {
    let dir = tempdir();
    let s = |name: &str| dir.join(name).to_str().unwrap().to_owned();

    let o = sim(&["list"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(stdout(&o).contains("tally"), "{}", out(&o));
    assert!(stdout(&o).contains("variants: buggy, fixed"), "{}", out(&o));

    // Seeds run on worker processes, started from `sim` itself: a worker that could not
    // serve (a binary without the `__worker` subcommand) would make every seed a crash.
    let o = sim(&[
        "run",
        "tally",
        "--variant",
        "fixed",
        "--seeds",
        "0..200",
        "--jobs",
        "2",
        "--report",
        &s("all.json"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let all = json(&dir.join("all.json"));
    assert_eq!(all["seeds_run"], 200, "{all}");
    // Under swarm faults the fixed server copes (its clients are harness threads, exempt):
    // no seed fails for a reason that is not a bug.
    let o = sim(&[
        "run",
        "tally",
        "--variant",
        "fixed",
        "--faults",
        "swarm",
        "--seeds",
        "0..500",
        "--jobs",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    for k in 0..2 {
        let o = sim(&[
            "run",
            "tally",
            "--variant",
            "fixed",
            "--seeds",
            "0..200",
            "--shard",
            &format!("{k}/2"),
            "--report",
            &s(&format!("shard-{k}.json")),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    }
    let o = sim(&[
        "merge",
        &s("shard-0.json"),
        &s("shard-1.json"),
        "--report",
        &s("merged.json"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(json(&dir.join("merged.json"))["run_hash"], all["run_hash"]);

    // A seed file of a scenario this binary does not have: bad input naming it and the
    // scenarios it has.
    let builtin = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/netpoll-cancel-dial.json");
    let o = sim(&["replay", builtin.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("unknown scenario \"netpoll-cancel-dial\"")
            && err.contains("known scenarios: tally"),
        "{err}"
    );
}

#[test]
fn a_short_nightly_of_a_users_buggy_variant_reports_the_lost_update_shrunk_and_explained() {
    let dir = tempdir();
    let night = dir.join("night");
    let o = sim(&[
        "nightly",
        "--variants",
        "buggy",
        "--budget",
        "10s",
        "--out",
        night.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let r = json(&night.join("report.json"));
    assert_eq!(r["scenarios"], serde_json::json!(["tally"]), "{r}");
    let failures = r["failures"].as_array().unwrap();
    let lost = failures
        .iter()
        .find(|f| crate::sig(&f["signature"]).starts_with(LOST_UPDATE))
        .unwrap_or_else(|| panic!("no lost update among {failures:?}"));
    let shrunk = lost["shrunk_file"].as_str().unwrap();
    assert!(Path::new(shrunk).exists(), "{lost}");
    assert!(
        lost["story"].as_str().unwrap().contains("lost update"),
        "{lost}"
    );
    let o = sim(&["replay", shrunk]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}
