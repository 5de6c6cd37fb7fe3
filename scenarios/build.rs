//! Finds the source of mio's own examples (`tcp_server.rs`, `udp_server.rs`) so that the
//! `mio-example-*` scenarios compile them against `simkern::mio`
//! (`src/mio_examples.rs`), and writes them to `OUT_DIR` with one `use` line
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
    // This workspace's lock names the version the committed traces were made with; a crate
    // outside it (resolving its own) may have only another 1.x unpacked: the newest is taken.
    let version = mio_version(&lock);
    let dir = find_source(version.as_deref()).unwrap_or_else(|looked| {
        panic!(
            "simkern-scenarios: no source of mio 1.x (for the mio-example scenarios) is unpacked \
             where cargo keeps registry crates; looked in {looked}. `cargo fetch` unpacks it."
        )
    });
    let version = dir
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let examples = dir.join("examples");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("mio_examples");
    std::fs::create_dir_all(&out).expect("create OUT_DIR/mio_examples");
    for name in ["tcp_server.rs", "udp_server.rs"] {
        let file = examples.join(name);
        println!("cargo:rerun-if-changed={}", file.display());
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{version}: reading {}: {e}", file.display()));
        std::fs::write(out.join(name), deterministic(&text)).expect("write OUT_DIR/mio_examples");
    }
    println!("cargo:rustc-env=SIMKERN_MIO_EXAMPLES={}", out.display());
}

/// The example with its `HashMap` import made a `BTreeMap` (same API for what the examples
/// call: `insert`, `get_mut`, `remove`; `Token` is `Ord`), and nothing else changed.
fn deterministic(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        if line.trim() == "use std::collections::HashMap;" {
            out.push_str(
                "use std::collections::BTreeMap as HashMap; // simkern: deterministic drop order",
            );
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// The mio 1.x version in `Cargo.lock`, if there is a lock and it has one.
fn mio_version(lock: &Path) -> Option<String> {
    let text = std::fs::read_to_string(lock).ok()?;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"mio\"" {
            let version = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'))
                .expect("a version line follows a package name in Cargo.lock");
            if version.starts_with("1.") {
                return Some(version.to_owned());
            }
        }
    }
    None
}

/// `$CARGO_HOME/registry/src/<index>/mio-VERSION` (`version`, else the newest 1.x there),
/// or where it looked.
fn find_source(version: Option<&str>) -> Result<PathBuf, String> {
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
    if let Some(version) = version {
        let wanted = indexes
            .iter()
            .map(|index| index.join(format!("mio-{version}")))
            .find(|dir| dir.is_dir());
        if let Some(dir) = wanted {
            return Ok(dir);
        }
    }
    let mut found: Vec<(Vec<u64>, PathBuf)> = indexes
        .iter()
        .filter_map(|index| std::fs::read_dir(index).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|dir| {
            let name = dir.file_name()?.to_str()?.to_owned();
            let numbers: Option<Vec<u64>> = name
                .strip_prefix("mio-1.")?
                .split('.')
                .map(|n| n.parse().ok())
                .collect();
            Some((numbers?, dir))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, dir)| dir)
        .ok_or_else(|| format!("{}/*/mio-1.*", src.display()))
}
