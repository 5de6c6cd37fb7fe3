//! `merge`: read the reports of the shards of one run, write the report of the run
//! (`search::merge` checks and combines them).

use super::Outcome;
use simkern_sim::batch::Report;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The shard reports.
    #[arg(required = true)]
    reports: Vec<PathBuf>,
    /// Write the merged report here.
    #[arg(long)]
    report: PathBuf,
}

pub fn merge(args: Args) -> Outcome {
    let mut shards = Vec::new();
    for path in &args.reports {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let r: Report = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a simkern report: {e}", path.display()))?;
        shards.push((path.display().to_string(), r));
    }
    let merged = crate::search::merge::merge(&shards)?;
    let json = serde_json::to_string_pretty(&merged).expect("reports serialise");
    std::fs::write(&args.report, format!("{json}\n"))
        .map_err(|e| format!("--report {}: {e}", args.report.display()))?;
    println!(
        "merged {} shards of {} {}: {} seeds, {} failed, run_hash {}",
        args.reports.len(),
        merged.scenario,
        merged.variant,
        merged.seeds_run,
        merged.failures.len(),
        merged.run_hash
    );
    Ok(if merged.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
