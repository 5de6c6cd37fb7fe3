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
    /// random, pct:D, dfs:B (every schedule with at most B preemptions) or guided
    /// (coverage-guided mutation of decision lists).
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
    /// Run one shard of the seeds: K/N, auto/N (index from JOB_COMPLETION_INDEX or
    /// SLURM_ARRAY_TASK_ID) or auto (Slurm: SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT).
    #[arg(long)]
    shard: Option<String>,
    /// Run seeds in this process instead of crash-isolated worker processes (faster to start;
    /// an abort or stack overflow of the code under test then ends the whole run).
    #[arg(long)]
    in_process: bool,
    /// Wall-clock seconds a seed may take before its worker is killed and the seed recorded
    /// as `crash: wall-clock timeout` (code that loops without a syscall never reaches the
    /// step budget). Not enforced with --in-process.
    #[arg(long, value_name = "SECS", default_value_t = crate::worker::SEED_TIMEOUT_S_DEFAULT)]
    seed_timeout: u64,
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

/// The batch `args` describe.
fn batch_of(args: &Args) -> Result<Batch, String> {
    let scenario = *scenario::find(&args.scenario)?;
    let setup = scenario.setup(args.variant.as_deref(), &parse_params(&args.params)?)?;
    let seeds = parse_range(&args.seeds)?;
    let strategy: strategy::Kind = args.strategy.parse()?;
    let profile: fault::Profile = args.faults.parse()?;
    if args.jobs == 0 {
        return Err("--jobs must be at least 1".into());
    }
    if args.seed_timeout == 0 {
        return Err("--seed-timeout must be at least 1 second".into());
    }
    Ok(Batch {
        scenario,
        setup,
        seeds,
        strategy,
        faults: FaultSpec::Profile(profile),
        step_budget: args.step_budget,
        jobs: args.jobs,
        save_dir: args.save.clone(),
        save_passing: args.save_passing,
        kernel: Default::default(),
        shard: match &args.shard {
            None => None,
            Some(spec) => Some(crate::shard::parse(spec, &|var| std::env::var(var).ok())?),
        },
    })
}

/// The arguments a worker needs to rebuild the batch's runs (not its seeds or outputs).
pub fn worker_spec(batch: &Batch) -> Vec<String> {
    let mut spec = vec![
        batch.scenario.name.to_owned(),
        "--variant".into(),
        batch.setup.variant.clone(),
    ];
    for (name, value) in &batch.setup.params {
        spec.extend(["--param".into(), format!("{name}={value}")]);
    }
    spec.extend([
        "--strategy".into(),
        batch.strategy.to_string(),
        "--faults".into(),
        batch.faults.name(),
        "--step-budget".into(),
        batch.step_budget.to_string(),
    ]);
    spec
}

/// A worker's batch, from the spec `worker_spec` wrote.
pub fn batch_from_spec(spec: &[String]) -> Result<Batch, String> {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Spec {
        #[command(flatten)]
        args: Args,
    }
    let parsed =
        Spec::try_parse_from(std::iter::once("worker".to_string()).chain(spec.iter().cloned()))
            .map_err(|e| format!("worker spec: {e}"))?;
    batch_of(&parsed.args)
}

pub fn run(args: Args) -> Outcome {
    let batch = batch_of(&args)?;
    let total = batch.seed_list().len() as u64;
    let tty = std::io::stderr().is_terminal();
    let progress = move |done: u64, failed: u64| {
        if tty && (done.is_multiple_of(64) || done == total) {
            eprint!("\r{done}/{total} seeds, {failed} failed");
            if done == total {
                eprintln!();
            }
        }
    };
    let report = if args.in_process {
        batch.run(&progress)
    } else {
        batch.run_with(
            &progress,
            &crate::worker::factory(
                worker_spec(&batch),
                std::time::Duration::from_secs(args.seed_timeout),
            ),
        )
    };
    crate::quiet_on_broken_pipe();
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
    // A small dfs tree is exhausted every few seeds: the report keeps every note.
    const NOTES_SHOWN: usize = 10;
    for note in report.notes.iter().take(NOTES_SHOWN) {
        println!("{note}");
    }
    if report.notes.len() > NOTES_SHOWN {
        println!(
            "... and {} more notes (see the report)",
            report.notes.len() - NOTES_SHOWN
        );
    }
    for e in &report.errors {
        eprintln!("simkern: warning: {e}");
    }
    if let Some(first) = report.failures.first() {
        if first
            .signature
            .starts_with(simkern::sim::batch::CRASH_PREFIX)
        {
            println!(
                "first failing seed {}: {} (the worker process died on it)",
                first.seed, first.signature
            );
            // A campaign's seed depends on the seeds of its chunk before it: rerun from there.
            let from = if batch.strategy.is_campaign() {
                batch.chunk_start(first.seed)
            } else {
                first.seed
            };
            println!(
                "rerun it: simkern run {} --variant {} --seeds {}..{} --strategy {} --faults {}",
                report.scenario,
                report.variant,
                from,
                first.seed + 1,
                report.strategy,
                report.faults
            );
            return Ok(ExitCode::from(1));
        }
        // A campaign's seed depends on the seeds before it: rebuild its chunk's state here,
        // skipping the seeds whose workers died.
        let crashed: Vec<u64> = report
            .failures
            .iter()
            .filter(|f| f.signature.starts_with(simkern::sim::batch::CRASH_PREFIX))
            .map(|f| f.seed)
            .collect();
        let (_, outcome) = batch.rerun(first.seed, &crashed);
        println!(
            "first failing seed {}:\n{}",
            first.seed,
            crate::show::failure(&outcome)
        );
        match &first.seed_file {
            Some(path) => println!("replay: simkern replay {path}"),
            None if batch.strategy.is_campaign() => println!(
                "replay: rerun with --save DIR for a seed file ({} seeds depend on the seeds before them)",
                report.strategy
            ),
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
