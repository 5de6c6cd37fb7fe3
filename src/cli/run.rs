//! `run`: a scenario over a seed range, with a JSON report and seed files.

mod args;

pub use args::Args;

use super::{show, Context, Outcome};
use crate::search::run::{self as search, FirstFailure};
use crate::search::{interrupt, output};
use simkern_search::Signature;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

pub fn run(cx: &Context<'_>, args: Args) -> Outcome {
    let run = args.parse(cx.registry)?;
    let batch = &run.batch;
    // Every output path is proven writable before the first seed runs.
    let report_file = match &run.report {
        Some(path) => Some(output::report_file("--report", path)?),
        None => None,
    };
    if let Some(dir) = &batch.save_dir {
        output::writable_dir("--save", dir)?;
    }
    if let Some(note) = &run.jobs_note {
        eprintln!("{}: note: {note}", cx.program);
    }
    let total = batch.seed_count();
    if total == 0 {
        // Not an error: a batch engine runs every shard it was configured with, and `merge`
        // wants every shard's report, so an empty shard reports zero seeds and passes.
        eprintln!(
            "{}: note: --shard {} of --seeds {} has no seeds: this shard runs nothing",
            cx.program,
            run.shard.as_deref().unwrap_or(""),
            run.seeds
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
    // Each failing seed is printed as it is found, so `run ... | head -1` answers at once.
    // A reader that has gone (EPIPE) is ignored here: the run goes on to write its report
    // and seed files.
    let on_failure = |seed: u64, signature: &Signature| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "failing seed {seed}: {signature}").and_then(|()| out.flush());
    };
    let mut ran = search::run(batch, run.isolation, &progress, &on_failure);
    let report = &ran.report;
    // The report is written before anything more is printed: a reader that has gone ends
    // this process at the next print (SIGPIPE), and the report must not be lost with it.
    let json = serde_json::to_string_pretty(report).expect("reports serialise");
    let mut unwritten = false;
    if let (Some(mut file), Some(path)) = (report_file, &run.report) {
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
    print!("{}", show::report(report));
    let seeds_run = report.seeds_run;
    let code = match search::first_failure(&cx.program, batch, &mut ran) {
        Some(first) => {
            match first {
                FirstFailure::Crash {
                    seed,
                    signature,
                    rerun,
                } => print!(
                    "first failing seed {seed}: {signature} (the worker process died on it)\n\
                     rerun it: {rerun}\n"
                ),
                FirstFailure::Failed {
                    seed,
                    outcome,
                    replay,
                } => print!(
                    "first failing seed {seed}:\n{}\nreplay: {replay}\n",
                    show::failure(&outcome)
                ),
            }
            1
        }
        None => 0,
    };
    if let Some(sig) = interrupt::requested() {
        eprintln!(
            "{}: stopped by {} after {} of {total} seeds; the report and seed files cover those",
            cx.program,
            interrupt::name(sig),
            seeds_run
        );
        return Ok(ExitCode::from(interrupt::exit_code(sig)));
    }
    Ok(ExitCode::from(if unwritten { 2 } else { code }))
}
