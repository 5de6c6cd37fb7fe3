//! Finds the source of mio's own examples (`tcp_server.rs`, `udp_server.rs`) so that the
//! `mio-example-*` scenarios compile them against `simkern::mio`
//! (`src/scenarios/mio_examples.rs`), and writes them to `OUT_DIR` with one `use` line
//! changed: `use std::collections::HashMap;` becomes a `BTreeMap` under the same name. The
//! example drops its map of connections when `main` returns an error, and a `HashMap` drops
//! (closes) them in the random order of its hasher, which would make the trace differ from
//! run to run. Every other line is theirs, as written.
//!
//! mio is a build-dependency only so that cargo fetches its source before this script runs;
//! nothing of it is linked. The version is the one `Cargo.lock` resolved; the source is where
//! cargo unpacks registry crates (`$CARGO_HOME/registry/src/*/mio-VERSION`).

use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let lock = manifest.join("../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    println!("cargo:rerun-if-changed=build.rs");
    let version = mio_version(&lock);
    let dir = find_source(&version).unwrap_or_else(|looked| {
        panic!(
            "simkern-sim: the source of mio {version} (for the mio-example scenarios) is not \
             unpacked where cargo keeps registry crates; looked in {looked}. `cargo fetch` \
             unpacks it."
        )
    });
    let examples = dir.join("examples");
    for name in ["tcp_server.rs", "udp_server.rs"] {
        let file = examples.join(name);
        assert!(file.is_file(), "mio {version} has no {}", file.display());
        println!("cargo:rerun-if-changed={}", file.display());
    }
    println!(
        "cargo:rustc-env=SIMKERN_MIO_EXAMPLES={}",
        examples.display()
    );
}

/// The mio 1.x version in `Cargo.lock`.
fn mio_version(lock: &Path) -> String {
    let text = std::fs::read_to_string(lock)
        .unwrap_or_else(|e| panic!("simkern-sim: reading {}: {e}", lock.display()));
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"mio\"" {
            let version = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'))
                .expect("a version line follows a package name in Cargo.lock");
            if version.starts_with("1.") {
                return version.to_owned();
            }
        }
    }
    panic!("simkern-sim: no mio 1.x in {}", lock.display());
}

/// `$CARGO_HOME/registry/src/<index>/mio-VERSION`, or where it looked.
fn find_source(version: &str) -> Result<PathBuf, String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or_else(|| "nowhere (neither CARGO_HOME nor HOME is set)".to_owned())?;
    let src = home.join("registry/src");
    let mut indexes: Vec<PathBuf> = std::fs::read_dir(&src)
        .map_err(|e| format!("{} ({e})", src.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    indexes.sort();
    indexes
        .iter()
        .map(|index| index.join(format!("mio-{version}")))
        .find(|dir| dir.is_dir())
        .ok_or_else(|| format!("{}/*/mio-{version}", src.display()))
}
