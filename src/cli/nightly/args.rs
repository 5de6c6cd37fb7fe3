//! `nightly`'s flags, and the search they describe (every value checked, errors naming the
//! flag).

use crate::cli::{parse, shard, Context};
use crate::search::nightly::{self, Limit, Variants};
use crate::search::worker;
use simkern_sim::runner::STEP_BUDGET_DEFAULT;
use simkern_sim::{fault, scenario, strategy};
use std::path::PathBuf;
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

/// What `--jobs` was clamped to, if it was.
pub(in crate::cli) fn jobs_note(args: &Args) -> Result<Option<String>, String> {
    Ok(parse::jobs(args.jobs, parse::cores())?.1)
}

/// The search `args` describe over `cx`'s registry (`all` scenarios: `nightly::searchable`).
pub(in crate::cli) fn options<'r>(
    cx: &Context<'r>,
    args: &Args,
) -> Result<nightly::Options<'r>, String> {
    let scenarios: Vec<&'r scenario::Scenario> = if args.scenarios == "all" {
        nightly::searchable(cx.registry)
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
