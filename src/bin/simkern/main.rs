//! `simkern`: list, run and replay scenarios on the simulated kernel.
//!
//! Exit codes: 0 every seed passed (or the replay reproduced exactly), 1 a seed failed (or the
//! replay diverged), 2 bad input (unknown scenario, malformed range or seed file), with a
//! one-line error naming the problem.

mod merge;
mod nightly;
mod replay;
mod run;
mod shard;
mod show;
mod shrink;
mod worker;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "simkern",
    version,
    about = "Deterministic simulation testing for epoll event-loop code"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the built-in scenarios, their variants and parameters.
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
    /// (internal) A crash-isolated worker of `run`: seeds on stdin, results on stdout.
    #[command(name = "__worker", hide = true)]
    Worker(worker::Args),
}

/// Rust ignores SIGPIPE, so `simkern ... | head` would panic at its next print to the closed
/// pipe; a command-line tool should end quietly instead, as `cat` does. Commands with worker
/// processes call this only once the workers are gone: while they live, a write to a dead
/// worker's stdin must be an `EPIPE` error the runner records, not the parent's death.
pub fn quiet_on_broken_pipe() {
    // SAFETY: restores a signal's default disposition; no handler runs our code.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
}

/// A command's result: the exit code, or bad input (exit 2).
pub type Outcome = Result<ExitCode, String>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(
        cli.command,
        Command::Run(_) | Command::Nightly(_) | Command::Worker(_)
    ) {
        quiet_on_broken_pipe();
    }
    let result = match cli.command {
        Command::List => {
            show::list();
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(args) => run::run(args),
        Command::Replay(args) => replay::replay(args),
        Command::Worker(args) => worker::serve(args),
        Command::Merge(args) => merge::merge(args),
        Command::Shrink(args) => shrink::shrink(args),
        Command::Nightly(args) => nightly::nightly(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("simkern: error: {message}");
            ExitCode::from(2)
        }
    }
}
