//! `shrink`: a failing seed file to the shortest schedule that fails the same way.
//!
//! Exit codes: 0 shrunk and written; 1 the file cannot be shrunk because it does not fail as
//! it says (it passes, or fails another way), with the reason on stderr; 2 bad input (an
//! unreadable or malformed file, `--max-runs 0`, an existing `--out`).

use super::{Context, Outcome};
use simkern_search::seed_file::SeedFile;
use simkern_search::shrink::{self, Options, MAX_RUNS_DEFAULT};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The failing seed file.
    file: PathBuf,
    /// Where to write the shrunk seed file (default: FILE with `.json` → `.shrunk.json`).
    /// An existing file is never overwritten.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Stop after this many runs, keeping the smallest failing run found so far (at least 1;
    /// the runs that check the file fails, that it replays from its record, and that write
    /// the result are always made, so a small budget still takes about three).
    #[arg(long, default_value_t = MAX_RUNS_DEFAULT)]
    max_runs: u64,
}

pub fn shrink(cx: &Context<'_>, args: Args) -> Outcome {
    if args.max_runs == 0 {
        return Err(
            "--max-runs 0: must be at least 1 (the first run checks the file fails)".into(),
        );
    }
    let file = SeedFile::load(&args.file)?;
    // Bad input (exit 2) is settled before the search: a scenario, variant or parameter
    // that does not exist. After that, an error means the file does not fail as it says.
    file.resolve(cx.registry)
        .map_err(|e| format!("{}: {e}", args.file.display()))?;
    if file.expected.outcome.is_crash() {
        return Err(format!(
            "{}: expects `{}`; shrinking runs in-process, so crashes cannot be shrunk",
            args.file.display(),
            file.expected.outcome
        ));
    }
    let out = args.out.unwrap_or_else(|| default_out(&args.file));
    if out.exists() {
        return Err(format!(
            "--out {}: the file exists; shrink never overwrites",
            out.display()
        ));
    }
    let shrunk = match shrink::shrink(
        &file,
        cx.registry,
        &Options {
            max_runs: args.max_runs,
        },
    ) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}: cannot shrink {}: {e}", cx.program, args.file.display());
            return Ok(ExitCode::from(1));
        }
    };
    shrunk.file.save_new(&out)?;
    let (b, a) = (&shrunk.before, &shrunk.after);
    println!(
        "shrunk {} ({}) in {} runs:",
        args.file.display(),
        shrunk.file.expected.outcome,
        shrunk.runs
    );
    println!(
        "  steps {} → {}, decisions {}{} → {}{}",
        b.steps,
        a.steps,
        b.decisions,
        b.parts(),
        a.decisions,
        a.parts()
    );
    println!("  wrote {}", out.display());
    println!(
        "  replay: {} replay {} --explain",
        cx.program,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `x.json` → `x.shrunk.json`; any other name gains `.shrunk.json`.
fn default_out(file: &Path) -> PathBuf {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".json").unwrap_or(&name);
    file.with_file_name(format!("{stem}.shrunk.json"))
}
