//! `run`: a scenario over a seed range, with a JSON report and seed files.

use super::{parse, shard, show, Context, Outcome};
use crate::search::{interrupt, output, spec::Spec, worker};
use simkern_sim::batch::{Batch, FailureRecord, FaultSpec, Report};
use simkern_sim::runner::STEP_BUDGET_DEFAULT;
use simkern_sim::{fault, scenario, strategy};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

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

pub fn run(cx: &Context<'_>, args: Args) -> Outcome {
    let batch = batch_of(cx.registry, &args)?;
    // Every output path is proven writable before the first seed runs.
    let report_file = match &args.report {
        Some(path) => Some(output::report_file("--report", path)?),
        None => None,
    };
    if let Some(dir) = &batch.save_dir {
        output::writable_dir("--save", dir)?;
    }
    if let Some(note) = parse::jobs(args.jobs, parse::cores())?.1 {
        eprintln!("{}: note: {note}", cx.program);
    }
    let total = batch.seed_count();
    if total == 0 {
        // Not an error: a batch engine runs every shard it was configured with, and `merge`
        // wants every shard's report, so an empty shard reports zero seeds and passes.
        eprintln!(
            "{}: note: --shard {} of --seeds {} has no seeds: this shard runs nothing",
            cx.program,
            args.shard.as_deref().unwrap_or(""),
            args.seeds
        );
    }
    let tty = std::io::stderr().is_terminal();
    let progress = move |done: u64, failed: u64| {
        if tty && (done.is_multiple_of(64) || done == total) {
            eprint!("\r{done}/{total} seeds, {failed} failed");
            if done == total {
                eprintln!();
            }
        }
    };
    // Ctrl-C or SIGTERM: no new seed starts; the report and seed files cover what ran.
    interrupt::install();
    let stop = || interrupt::requested().is_some();
    // Each failing seed is printed as it is found, so `run ... | head -1` answers at once.
    // A reader that has gone (EPIPE) is ignored here: the run goes on to write its report
    // and seed files.
    let on_failure = |seed: u64, signature: &simkern_sim::Signature| {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "failing seed {seed}: {signature}").and_then(|()| out.flush());
    };
    let report = if args.in_process {
        batch.run_in_process_watched(&progress, &on_failure, &stop)
    } else {
        let timeout = std::time::Duration::from_secs(args.seed_timeout);
        batch.run_watched(
            &progress,
            &on_failure,
            &worker::factory(Spec::of(&batch), timeout, None),
            &stop,
        )
    };
    // The report is written before anything more is printed: a reader that has gone ends
    // this process at the next print (SIGPIPE), and the report must not be lost with it.
    let json = serde_json::to_string_pretty(&report).expect("reports serialise");
    let mut unwritten = false;
    if let (Some(mut file), Some(path)) = (report_file, &args.report) {
        use std::io::Write;
        // The failures are printed below whether or not this write succeeds.
        if let Err(e) = writeln!(file, "{json}") {
            eprintln!("{}: error: --report {}: {e}", cx.program, path.display());
            unwritten = true;
        }
    }
    for e in &report.errors {
        eprintln!("{}: warning: {e}", cx.program);
    }
    super::quiet_on_broken_pipe();
    print!("{}", show::report(&report));
    let code = match report.failures.first() {
        Some(first) => {
            print!("{}", first_failure(&cx.program, &batch, &report, first));
            1
        }
        None => 0,
    };
    if let Some(sig) = interrupt::requested() {
        eprintln!(
            "{}: stopped by {} after {} of {total} seeds; the report and seed files cover those",
            cx.program,
            interrupt::name(sig),
            report.seeds_run
        );
        return Ok(ExitCode::from(interrupt::exit_code(sig)));
    }
    Ok(ExitCode::from(if unwritten { 2 } else { code }))
}

/// The first failure of `report`: rerun in this process for its story, with the command
/// that replays it (a seed file, or the one-seed `run` that repeats it).
fn first_failure(program: &str, batch: &Batch, report: &Report, first: &FailureRecord) -> String {
    let rerun = |from: u64| {
        Spec::of(batch)
            .run_command(program, &(from..first.seed + 1))
            .unwrap_or_else(|| {
                "rerun with --save DIR for a seed file (a fault plan has no flag)".into()
            })
    };
    if first.signature.is_crash() {
        // A campaign's seed depends on the seeds of its chunk before it: rerun from there.
        let from = if batch.strategy.is_campaign() {
            batch.chunk_start(first.seed)
        } else {
            first.seed
        };
        return format!(
            "first failing seed {}: {} (the worker process died on it)\nrerun it: {}\n",
            first.seed,
            first.signature,
            rerun(from)
        );
    }
    // A campaign's seed depends on the seeds before it: rebuild its chunk's state here,
    // skipping the seeds whose workers died.
    let crashed: Vec<u64> = report
        .failures
        .iter()
        .filter(|f| f.signature.is_crash())
        .map(|f| f.seed)
        .collect();
    let (_, outcome) = batch.rerun(first.seed, &crashed);
    let replay = match &first.seed_file {
        Some(path) => format!("{program} replay {path}"),
        None if batch.strategy.is_campaign() => format!(
            "rerun with --save DIR for a seed file ({} seeds depend on the seeds before them)",
            report.strategy
        ),
        None => rerun(first.seed),
    };
    format!(
        "first failing seed {}:\n{}\nreplay: {replay}\n",
        first.seed,
        show::failure(&outcome)
    )
}
