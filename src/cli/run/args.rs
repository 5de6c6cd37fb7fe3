//! `run`'s flags, and the batch they describe (every value checked, errors naming the flag).

use crate::cli::{parse, shard};
use crate::search::run::Isolation;
use crate::search::worker;
use simkern_search::batch::{Batch, FaultSpec};
use simkern_sim::runner::STEP_BUDGET_DEFAULT;
use simkern_sim::{fault, scenario, strategy};
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    /// Scenario name (see `list`).
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
    /// Inject faults only in these threads: names, or prefixes ending in `*`
    /// (comma-separated: `server,worker*`).
    #[arg(long, value_name = "THREADS")]
    fault_threads: Option<String>,
    /// Inject faults only in these calls, named as in traces (comma-separated: `read,accept4`).
    #[arg(long, value_name = "CALLS")]
    fault_calls: Option<String>,
    /// Seeds run in parallel (default: one per available core; at most 4 per core).
    #[arg(long)]
    jobs: Option<usize>,
    /// Steps after which a seed counts as a livelock.
    #[arg(long, default_value_t = STEP_BUDGET_DEFAULT)]
    step_budget: u64,
    /// Simulated kernel tunable, NAME=VALUE (repeatable): rlimit_nofile, sndbuf, rcvbuf,
    /// somaxconn, latency_ns_min/max, permute_ready, write_len_freedom, linux=VERSION, ...
    #[arg(long = "kernel", value_name = "NAME=VALUE")]
    kernel: Vec<String>,
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
    #[arg(long, value_name = "SECS", default_value_t = worker::SEED_TIMEOUT_S_DEFAULT)]
    seed_timeout: u64,
}

/// The batch `args` describe, its scenario found in `registry`.
fn batch_of(registry: &[&scenario::Scenario], args: &Args) -> Result<Batch, String> {
    let scenario = *scenario::find_in(registry, &args.scenario)?;
    let setup = scenario.setup(args.variant.as_deref(), &parse::params(&args.params)?)?;
    let seeds = parse::range(&args.seeds)?;
    let strategy: strategy::Kind = args.strategy.parse()?;
    let profile: fault::Profile = args.faults.parse()?;
    if args.seed_timeout == 0 {
        return Err("--seed-timeout must be at least 1 second".into());
    }
    Ok(Batch {
        scenario,
        setup,
        seeds,
        strategy,
        faults: FaultSpec::Profile(profile),
        fault_scope: fault::Scope::parse(
            args.fault_threads.as_deref(),
            args.fault_calls.as_deref(),
        )?,
        step_budget: parse::step_budget(args.step_budget)?,
        jobs: parse::jobs(args.jobs, parse::cores())?.0,
        save_dir: args.save.clone(),
        save_passing: args.save_passing,
        kernel: scenario.kernel_config(&args.kernel)?,
        shard: match &args.shard {
            None => None,
            Some(spec) => Some(shard::parse(spec, &|var| std::env::var(var).ok())?),
        },
    })
}

/// What `run` does, from its flags.
pub(in crate::cli) struct Run {
    pub batch: Batch,
    pub isolation: Isolation,
    /// `--report`.
    pub report: Option<PathBuf>,
    /// What `--jobs` was clamped to, if it was.
    pub jobs_note: Option<String>,
    /// `--shard` and `--seeds` as given, for the note on an empty shard.
    pub shard: Option<String>,
    pub seeds: String,
}

impl Args {
    /// The run these flags describe, its scenario found in `registry`.
    pub(in crate::cli) fn parse(self, registry: &[&scenario::Scenario]) -> Result<Run, String> {
        let batch = batch_of(registry, &self)?;
        let isolation = if self.in_process {
            Isolation::InProcess
        } else {
            Isolation::Workers {
                seed_timeout: Duration::from_secs(self.seed_timeout),
            }
        };
        Ok(Run {
            batch,
            isolation,
            report: self.report,
            jobs_note: parse::jobs(self.jobs, parse::cores())?.1,
            shard: self.shard,
            seeds: self.seeds,
        })
    }
}
