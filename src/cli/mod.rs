//! The command line, for the `simkern` binary and for a user's own: parse, call the library,
//! print. `main(registry)` gives a binary every subcommand over the scenarios it is given:
//!
//! ```no_run
//! // src/bin/sim.rs of a user's crate
//! # const MY_SCENARIO: simkern::sim::scenario::Scenario = simkern::scenarios::echo::SCENARIO;
//! fn main() -> std::process::ExitCode {
//!     simkern::cli::main(&[&MY_SCENARIO])
//! }
//! ```
//!
//! Exit codes: 0 every seed passed (or the replay reproduced exactly), 1 a seed failed (or the
//! replay diverged, or `shrink` was given a file that does not fail as it says), 2 bad input
//! (unknown scenario, malformed flag, range or seed file, a parameter out of its declared
//! range, an output path that cannot be written), with a one-line error naming the problem.
//!
//! - `run`, `replay`, `shrink`, `nightly`, `merge`: one file per subcommand; `run` and
//!   `nightly` keep their flags, and the batch or search those describe, in `args`.
//! - `parse`, `shard`: flag values (seed ranges, parameters, budgets, lists; `--shard`).
//! - `show`: the scenario list, trace events and failures as text.
//! - `progress`: the nightly's progress bar or JSON lines.
//! - `usage`: a command line clap refused, as one line (exit 2).

mod merge;
mod nightly;
mod parse;
mod progress;
mod replay;
mod run;
mod shard;
mod show;
mod shrink;
mod usage;

use clap::{Parser, Subcommand};
use simkern_sim::scenario::Scenario;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    version,
    about = "Deterministic simulation testing for epoll event-loop code"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the scenarios, their variants and parameters.
    List,
    /// Run a scenario over a range of seeds.
    Run(run::Args),
    /// Rerun a seed file; exit 0 only if outcome and trace hash reproduce exactly.
    Replay(replay::Args),
    /// The long search: rotate scenarios, strategies and fault profiles over fresh seeds for a
    /// budget; each distinct failure saved, shrunk and explained in OUT.
    Nightly(nightly::Args),
    /// Shrink a failing seed file to the shortest schedule and decisions that fail the same way.
    Shrink(shrink::Args),
    /// Combine the reports of a run's shards into one report.
    Merge(merge::Args),
    /// (internal) A crash-isolated worker of `run` and `nightly`: its batch as JSON, then
    /// seeds, on stdin; results on stdout.
    #[command(name = "__worker", hide = true)]
    Worker,
}

/// What every subcommand is given: the scenarios it knows, and the name to print in the
/// commands it suggests (this binary's).
pub struct Context<'r> {
    pub registry: &'r [&'r Scenario],
    pub program: String,
}

/// A command's result: the exit code, or bad input (exit 2).
pub type Outcome = Result<ExitCode, String>;

/// The whole command line over `registry`: `simkern`'s is `simkern::scenarios::builtin_refs()`, a
/// user's binary passes its own scenarios.
pub fn main(registry: &[&Scenario]) -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The name a user typed for this binary, for the commands it suggests.
    let program = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "simkern".into());
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return usage::refused(&program, &e),
    };
    let cx = Context { registry, program };
    if !matches!(
        cli.command,
        Command::Run(_) | Command::Nightly(_) | Command::Worker
    ) {
        quiet_on_broken_pipe();
    }
    let result = match cli.command {
        Command::List => {
            show::list(cx.registry);
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(args) => run::run(&cx, args),
        Command::Replay(args) => replay::replay(&cx, args),
        Command::Worker => crate::search::worker::serve(registry).map(|()| ExitCode::SUCCESS),
        Command::Merge(args) => merge::merge(args),
        Command::Shrink(args) => shrink::shrink(&cx, args),
        Command::Nightly(args) => nightly::nightly(&cx, args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{}: error: {message}", cx.program);
            ExitCode::from(2)
        }
    }
}

/// Rust ignores SIGPIPE, so `simkern ... | head` would panic at its next print to the closed
/// pipe; a command-line tool should end quietly instead, as `cat` does. Commands with worker
/// processes call this only once the workers are gone: while they live, a write to a dead
/// worker's stdin must be an `EPIPE` error the runner records, not the parent's death.
pub fn quiet_on_broken_pipe() {
    // SAFETY: restores a signal's default disposition; no handler runs our code.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
}
