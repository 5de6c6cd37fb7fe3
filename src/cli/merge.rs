//! `merge`: read the reports of the shards of one run or one nightly search, write the
//! report of the whole (`search::merge` and `search::nightly::merge` check and combine them).
//! A nightly's report is told from a run's by its `units`.

use super::Outcome;
use crate::search::nightly;
use simkern_search::batch::Report;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The shard reports (all of `run`, or all of `nightly`).
    #[arg(required = true)]
    reports: Vec<PathBuf>,
    /// Write the merged report here.
    #[arg(long)]
    report: PathBuf,
}

/// Each report's JSON, with its path.
fn read(args: &Args) -> Result<Vec<(String, serde_json::Value)>, String> {
    args.reports
        .iter()
        .map(|path| {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let v = simkern_search::strict_json::parse(&text)
                .map_err(|e| format!("{}: not a simkern report: {e}", path.display()))?;
            Ok((path.display().to_string(), v))
        })
        .collect()
}

/// The reports as `T`.
fn typed<T: serde::de::DeserializeOwned>(
    values: Vec<(String, serde_json::Value)>,
    kind: &str,
) -> Result<Vec<(String, T)>, String> {
    values
        .into_iter()
        .map(|(path, v)| {
            let r = simkern_search::named_fields::from_value(v)
                .map_err(|e| format!("{path}: not a simkern {kind} report: {e}"))?;
            Ok((path, r))
        })
        .collect()
}

fn write(path: &PathBuf, json: String) -> Result<(), String> {
    std::fs::write(path, format!("{json}\n"))
        .map_err(|e| format!("--report {}: {e}", path.display()))
}

pub fn merge(args: Args) -> Outcome {
    let values = read(&args)?;
    let nightlies = values
        .iter()
        .filter(|(_, v)| v.get("units").is_some())
        .count();
    if nightlies > 0 && nightlies < values.len() {
        return Err("the reports mix nightly and run reports: merge the shards of one kind".into());
    }
    let failed = if nightlies > 0 {
        let shards: Vec<(String, nightly::Report)> = typed(values, "nightly")?;
        let merged = nightly::merge::merge(&shards)?;
        write(
            &args.report,
            serde_json::to_string_pretty(&merged).expect("reports serialise"),
        )?;
        println!(
            "merged {} nightly shards: {} seeds ({:.0} seeds/s), {} not run, {} distinct failures",
            args.reports.len(),
            merged.seeds_run,
            merged.seeds_per_s,
            merged.seeds_not_run,
            merged.failures.len()
        );
        for f in &merged.failures {
            println!(
                "  {} {}: {} (first seed {} in shard {}, found by {} shards, {} failing seeds)",
                f.scenario,
                f.variant,
                f.signature,
                f.seed,
                f.shard.as_deref().unwrap_or("?"),
                f.found_by.len(),
                f.count
            );
        }
        !merged.failures.is_empty()
    } else {
        let shards: Vec<(String, Report)> = typed(values, "run")?;
        let merged = crate::search::merge::merge(&shards)?;
        write(
            &args.report,
            serde_json::to_string_pretty(&merged).expect("reports serialise"),
        )?;
        println!(
            "merged {} shards of {} {}: {} seeds, {} failed, run_hash {}",
            args.reports.len(),
            merged.scenario,
            merged.variant,
            merged.seeds_run,
            merged.failures.len(),
            merged.run_hash
        );
        !merged.failures.is_empty()
    };
    Ok(match failed {
        true => ExitCode::from(1),
        false => ExitCode::SUCCESS,
    })
}
