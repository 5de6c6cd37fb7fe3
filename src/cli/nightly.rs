//! `nightly`: the long search (`search::nightly`) from flags, with progress and a summary
//! that tells each distinct failure's story.

mod args;

pub use args::Args;

use super::{progress::Progress, Context, Outcome};
use crate::search::interrupt;
use crate::search::nightly::{self, Limit, Report};
use std::path::Path;
use std::process::ExitCode;

pub fn nightly(cx: &Context<'_>, args: Args) -> Outcome {
    let opts = args::options(cx, &args)?;
    if let Some(note) = args::jobs_note(&args)? {
        eprintln!("{}: note: {note}", cx.program);
    }
    let (budget, seeds) = match opts.limit {
        Limit::Budget(b) => (Some(b), None),
        Limit::Seeds(n) => (None, Some(n)),
    };
    let progress = Progress::new(budget, seeds);
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
