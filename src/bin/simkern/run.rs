//! `simkern run`: a scenario over a seed range, with a JSON report and seed files.

use crate::Outcome;
use simkern::sim::batch::{Batch, FaultSpec};
use simkern::sim::runner::STEP_BUDGET_DEFAULT;
use simkern::sim::{fault, scenario, strategy};
use std::io::IsTerminal;
use std::ops::Range;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Scenario name (see `simkern list`).
    scenario: String,
    /// Variant (default: the scenario's first).
    #[arg(long)]
    variant: Option<String>,
    /// Scenario parameter, NAME=VALUE (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Seed range A..B (B excluded).
    #[arg(long, default_value = "0..100")]
    seeds: String,
    /// random or pct:D.
    #[arg(long, default_value = "random")]
    strategy: String,
    /// none, default or swarm.
    #[arg(long, default_value = "none")]
    faults: String,
    /// Seeds run in parallel.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Steps after which a seed counts as a livelock.
    #[arg(long, default_value_t = STEP_BUDGET_DEFAULT)]
    step_budget: u64,
    /// Write the JSON report here.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Save a seed file for each failing seed here.
    #[arg(long)]
    save: Option<PathBuf>,
    /// Also save passing seeds.
    #[arg(long, requires = "save")]
    save_passing: bool,
}

pub fn parse_range(s: &str) -> Result<Range<u64>, String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("--seeds {s:?}: expected A..B"))?;
    let a: u64 = a
        .parse()
        .map_err(|_| format!("--seeds {s:?}: {a:?} is not a seed"))?;
    let b: u64 = b
        .parse()
        .map_err(|_| format!("--seeds {s:?}: {b:?} is not a seed"))?;
    if a >= b {
        return Err(format!("--seeds {s:?}: the range is empty"));
    }
    Ok(a..b)
}

fn parse_params(params: &[String]) -> Result<Vec<(String, u64)>, String> {
    params
        .iter()
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| format!("--param {p:?}: expected NAME=VALUE"))?;
            let v: u64 = v
                .parse()
                .map_err(|_| format!("--param {p:?}: {v:?} is not a non-negative integer"))?;
            Ok((k.to_owned(), v))
        })
        .collect()
}

pub fn run(args: Args) -> Outcome {
    let scenario = *scenario::find(&args.scenario)?;
    let setup = scenario.setup(args.variant.as_deref(), &parse_params(&args.params)?)?;
    let seeds = parse_range(&args.seeds)?;
    let strategy: strategy::Kind = args.strategy.parse()?;
    let profile: fault::Profile = args.faults.parse()?;
    if args.jobs == 0 {
        return Err("--jobs must be at least 1".into());
    }
    let batch = Batch {
        scenario,
        setup,
        seeds: seeds.clone(),
        strategy,
        faults: FaultSpec::Profile(profile),
        step_budget: args.step_budget,
        jobs: args.jobs,
        save_dir: args.save.clone(),
        save_passing: args.save_passing,
    };
    let total = seeds.end - seeds.start;
    let tty = std::io::stderr().is_terminal();
    let progress = move |done: u64, failed: u64| {
        if tty && (done.is_multiple_of(64) || done == total) {
            eprint!("\r{done}/{total} seeds, {failed} failed");
            if done == total {
                eprintln!();
            }
        }
    };
    let report = batch.run(&progress);
    let json = serde_json::to_string_pretty(&report).expect("reports serialise");
    if let Some(path) = &args.report {
        std::fs::write(path, format!("{json}\n"))
            .map_err(|e| format!("--report {}: {e}", path.display()))?;
    }
    println!(
        "{} {} strategy={} faults={} seeds={}: {} run, {} failed, {:.2} s, {} steps, run_hash {}",
        report.scenario,
        report.variant,
        report.strategy,
        report.faults,
        report.seeds,
        report.seeds_run,
        report.failures.len(),
        report.wall_s,
        report.sim_steps,
        report.run_hash
    );
    for e in &report.errors {
        eprintln!("simkern: warning: {e}");
    }
    if let Some(first) = report.failures.first() {
        let outcome = batch.run_seed(&{
            let mut c = batch.config(first.seed);
            c.keep_events = false;
            c
        });
        println!(
            "first failing seed {}:\n{}",
            first.seed,
            crate::show::failure(&outcome)
        );
        match &first.seed_file {
            Some(path) => println!("replay: simkern replay {path}"),
            None => println!(
                "replay: simkern run {} --variant {} --seeds {}..{} --strategy {} --faults {}",
                report.scenario,
                report.variant,
                first.seed,
                first.seed + 1,
                report.strategy,
                report.faults
            ),
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
