//! `Report`: every benchmark's result in one list, printed as a table and saved as JSON.
//!
//! Each `Entry` compares Simkern ("ours") with one peer on one measure. The ratio is oriented
//! once, here, so that above 1.0 always means Simkern is ahead: `Entry::throughput` divides
//! ours by the peer's (more is better), `Entry::cost` divides the peer's by ours (less is
//! better). Benchmark modules only say which kind of number they measured.
//!
//! The JSON file is `target/simkern-bench.json` (`$CARGO_TARGET_DIR` when set), a list of
//! `{"name", "ours", "peer", "peer_name", "unit", "ratio"}`. Nothing here times anything or
//! asserts on a number: benchmarks report, reviewers judge. `Summary` is the median of a
//! benchmark's repeated runs with their spread, which the benchmarks print beside the table.

use serde::Serialize;
use std::path::PathBuf;

/// One comparison of Simkern with a peer.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub name: String,
    pub ours: f64,
    pub peer: f64,
    pub peer_name: String,
    pub unit: String,
    /// Above 1.0 means Simkern is ahead, whatever the unit.
    pub ratio: f64,
}

impl Entry {
    /// A throughput (operations per second and the like): more is better, ratio = ours / peer.
    pub fn throughput(name: &str, unit: &str, ours: f64, peer_name: &str, peer: f64) -> Entry {
        Entry::new(name, unit, ours, peer_name, peer, ours / peer)
    }

    /// A cost (nanoseconds per step and the like): less is better, ratio = peer / ours.
    // Unused until the simulator benchmarks (step cost against getppid) land.
    pub fn cost(name: &str, unit: &str, ours: f64, peer_name: &str, peer: f64) -> Entry {
        Entry::new(name, unit, ours, peer_name, peer, peer / ours)
    }

    fn new(name: &str, unit: &str, ours: f64, peer_name: &str, peer: f64, ratio: f64) -> Entry {
        assert!(
            ours.is_finite() && ours > 0.0,
            "benchmark {name}: Simkern's result {ours} {unit} is not a positive number; \
             did the measurement run at all?"
        );
        assert!(
            peer.is_finite() && peer > 0.0,
            "benchmark {name}: {peer_name}'s result {peer} {unit} is not a positive number; \
             did the measurement run at all?"
        );
        Entry {
            name: name.to_owned(),
            ours,
            peer,
            peer_name: peer_name.to_owned(),
            unit: unit.to_owned(),
            ratio,
        }
    }
}

/// The entries of one `cargo bench` run, in the order they were measured.
#[derive(Default)]
pub struct Report {
    entries: Vec<Entry>,
}

impl Report {
    pub fn push(&mut self, entry: Entry) {
        self.entries.push(entry);
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The table: one line per entry, ratio last.
    pub fn table(&self) -> String {
        let name_w = self
            .entries
            .iter()
            .map(|e| e.name.len())
            .chain(["name".len()])
            .max()
            .unwrap_or(0);
        let mut out = format!(
            "{:<name_w$}  {:>14}  {:>14}  {:<10}  {:>6}  unit\n",
            "name", "simkern", "peer", "peer_name", "ratio"
        );
        for e in &self.entries {
            out += &format!(
                "{:<name_w$}  {:>14.1}  {:>14.1}  {:<10}  {:>6.3}  {}\n",
                e.name, e.ours, e.peer, e.peer_name, e.ratio, e.unit
            );
        }
        out += "ratio > 1.0 means Simkern is ahead (ours/peer for a throughput, peer/ours for a cost)\n";
        out
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.entries).expect("entries are plain numbers and strings")
    }

    /// Writes the JSON list to `json_path()`, creating the directory if needed.
    pub fn write_json(&self) -> std::io::Result<PathBuf> {
        let path = json_path();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, self.to_json() + "\n")?;
        Ok(path)
    }
}

/// `target/simkern-bench.json`, where `target/` is `$CARGO_TARGET_DIR` when set (relative to
/// the workspace root if relative, as cargo reads it) and `<workspace root>/target` otherwise.
pub fn json_path() -> PathBuf {
    // The root package is the workspace root, so its manifest dir is the workspace dir.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    };
    target.join("simkern-bench.json")
}

/// The median of a framework's runs, and their spread (printed, so noise is visible).
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    pub fn of(samples: &mut [f64]) -> Summary {
        assert!(
            !samples.is_empty(),
            "summary of no samples: reps must be at least 1"
        );
        samples.sort_by(f64::total_cmp);
        let mid = samples.len() / 2;
        let median = if samples.len() % 2 == 1 {
            samples[mid]
        } else {
            (samples[mid - 1] + samples[mid]) / 2.0
        };
        Summary {
            median,
            min: samples[0],
            max: samples[samples.len() - 1],
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "median {:.0} (min {:.0}, max {:.0})",
            self.median, self.min, self.max
        )
    }
}
