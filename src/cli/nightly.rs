//! `nightly`: the long search (`search::nightly`) from flags, with progress and a summary
//! that tells each distinct failure's story.

use super::{parse, progress::Progress, shard, Context, Outcome};
use crate::search::nightly::{self, Limit, Report, Variants};
use crate::search::{interrupt, worker};
use simkern_sim::runner::STEP_BUDGET_DEFAULT;
use simkern_sim::{fault, scenario, strategy};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Strategies rotated by default: a random walk, PCT shallow and deeper, preemption-bounded
/// exhaustive search (bound 1: its trees are small enough that a round of 256 schedules
/// explores a useful share of one) and the coverage-guided fuzzer.
const STRATEGIES_DEFAULT: &str = "random,pct:2,pct:5,dfs:1,guided";

#[derive(clap::Args)]
pub struct Args {
    /// Scenarios to search: all, or a comma-separated list.
    #[arg(long, default_value = "all")]
    scenarios: String,
    /// Variants under test: fixed (the default: a failure is a regression), buggy (every
    /// variant whose name starts with `buggy`, to check the search finds them) or all.
    #[arg(long, default_value = "fixed")]
    variants: String,
    /// Wall-clock budget for the search (e.g. 90s, 2m, 30m, 8h); shrinking comes after it.
    #[arg(long, conflicts_with = "seeds", required_unless_present = "seeds")]
    budget: Option<String>,
    /// Total seeds to run (over all shards, rounded up to whole rounds: 256 seeds, 1024 for
    /// guided), spread over the units in rotation.
    #[arg(long)]
    seeds: Option<u64>,
    /// Strategies to rotate (comma-separated).
    #[arg(long, default_value = STRATEGIES_DEFAULT)]
    strategies: String,
    /// Fault profiles to rotate (comma-separated: none, default, swarm).
    #[arg(long, default_value = "swarm")]
    faults: String,
    /// Inject faults only in these threads (comma-separated names, or prefixes ending in `*`).
    #[arg(long, value_name = "THREADS")]
    fault_threads: Option<String>,
    /// Inject faults only in these calls (comma-separated, named as in traces).
    #[arg(long, value_name = "CALLS")]
    fault_calls: Option<String>,
    /// Rounds run in parallel, each on its own crash-isolated worker process (default: one
    /// per available core; at most 4 per core).
    #[arg(long)]
    jobs: Option<usize>,
    /// Run one shard of the rounds: K/N, auto/N or auto (as for `run`).
    #[arg(long)]
    shard: Option<String>,
    /// The first seed of every unit (pass a date or a counter to search new seeds each night).
    #[arg(long, default_value_t = 0)]
    first_seed: u64,
    /// Steps after which a seed counts as a livelock.
    #[arg(long, default_value_t = STEP_BUDGET_DEFAULT)]
    step_budget: u64,
    /// Simulated kernel tunable, NAME=VALUE (repeatable), for every unit (see `run --help`).
    #[arg(long = "kernel", value_name = "NAME=VALUE")]
    kernel: Vec<String>,
    /// Wall-clock seconds a seed may take before its worker is killed and the seed recorded
    /// as `crash: wall-clock timeout` (as for `run`).
    #[arg(long, value_name = "SECS", default_value_t = worker::SEED_TIMEOUT_S_DEFAULT)]
    seed_timeout: u64,
    /// Most replays spent shrinking one failure.
    #[arg(long, default_value_t = 2000)]
    shrink_runs: u64,
    /// Output directory: report.json, seeds/ (found), shrunk/ (minimised).
    #[arg(long)]
    out: PathBuf,
}

/// The search `args` describe over `cx`'s registry. `all` scenarios leaves out the
/// `selftest-` ones (they crash on purpose).
fn options<'r>(cx: &Context<'r>, args: &Args) -> Result<nightly::Options<'r>, String> {
    let scenarios: Vec<&'r scenario::Scenario> = if args.scenarios == "all" {
        cx.registry
            .iter()
            .copied()
            .filter(|s| !s.name.starts_with("selftest-"))
            .collect()
    } else {
        parse::list(&args.scenarios, "scenarios", |name| {
            scenario::find_in(cx.registry, name)
        })?
    };
    let limit = match (&args.budget, args.seeds) {
        (Some(b), _) => Limit::Budget(parse::budget(b)?),
        (None, Some(n)) => Limit::Seeds(n),
        (None, None) => unreachable!("clap requires --budget or --seeds"),
    };
    Ok(nightly::Options {
        scenarios,
        variants: args.variants.parse::<Variants>()?,
        strategies: parse::list(&args.strategies, "strategies", str::parse::<strategy::Kind>)?,
        faults: parse::list(&args.faults, "faults", str::parse::<fault::Profile>)?,
        fault_scope: fault::Scope::parse(
            args.fault_threads.as_deref(),
            args.fault_calls.as_deref(),
        )?,
        limit,
        jobs: parse::jobs(args.jobs, parse::cores())?.0,
        shard: match &args.shard {
            None => None,
            Some(spec) => Some(shard::parse(spec, &|var| std::env::var(var).ok())?),
        },
        first_seed: args.first_seed,
        step_budget: parse::step_budget(args.step_budget)?,
        kernel: args.kernel.clone(),
        seed_timeout: Duration::from_secs(args.seed_timeout),
        shrink_runs: args.shrink_runs,
        out: args.out.clone(),
        program: cx.program.clone(),
    })
}

pub fn nightly(cx: &Context<'_>, args: Args) -> Outcome {
    let opts = options(cx, &args)?;
    if let Some(note) = parse::jobs(args.jobs, parse::cores())?.1 {
        eprintln!("{}: note: {note}", cx.program);
    }
    let budget = match opts.limit {
        Limit::Budget(b) => Some(b),
        Limit::Seeds(_) => None,
    };
    let progress = Progress::new(budget, args.seeds);
    // Ctrl-C or SIGTERM: the search stops, saves what it found and writes its report.
    interrupt::install();
    let report = nightly::run(&opts, &|t| progress.update(t));
    progress.finish();
    super::quiet_on_broken_pipe();
    let report = report?;
    summary(&cx.program, &report, &opts.report_path());
    if let Some(sig) = interrupt::requested() {
        eprintln!(
            "{}: stopped by {}; the report and seed files cover the {} seeds that ran",
            cx.program,
            interrupt::name(sig),
            report.seeds_run
        );
        return Ok(ExitCode::from(interrupt::exit_code(sig)));
    }
    Ok(if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The human summary: what ran, and one story per distinct failure.
fn summary(program: &str, r: &Report, path: &Path) {
    println!(
        "nightly: {} seeds in {:.1} s ({:.0} seeds/s, {} jobs) over {} units; {} distinct failures; report {}",
        r.seeds_run,
        r.search_wall_s,
        r.seeds_per_s,
        r.jobs,
        r.units.len(),
        r.failures.len(),
        path.display()
    );
    for e in &r.errors {
        eprintln!("{program}: warning: {e}");
    }
    for st in r.units.iter().filter(|s| !s.notes.is_empty()) {
        for note in &st.notes {
            println!("  {} {} {}: {note}", st.scenario, st.variant, st.strategy);
        }
    }
    for f in &r.failures {
        println!();
        println!(
            "== {} {}: {} (first seed {} under {} / faults {}, {} failing seeds)",
            f.scenario, f.variant, f.signature, f.seed, f.strategy, f.faults, f.count
        );
        if let (Some(before), Some(after)) = (&f.before, &f.after) {
            println!("   shrunk: {before}  ->  {after}");
        }
        if let Some(path) = &f.shrunk_file {
            println!("   replay: {program} replay {path} --explain");
        }
        if let Some(story) = &f.story {
            for line in story.lines() {
                println!("   {line}");
            }
        }
        if let Some(e) = &f.error {
            println!("   {e}");
        }
    }
}
