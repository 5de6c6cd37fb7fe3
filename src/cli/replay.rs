//! `replay`: rerun a seed file and compare outcome and trace hash. The file's scenario is
//! looked up in this binary's registry; one it does not know is bad input naming the known ones.

use super::{show, Context, Outcome};
use simkern_search::seed_file::{first_divergence, format_hash, SeedFile};
use simkern_search::{chrome_trace, explain, Signature};
use simkern_sim::runner;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The seed file.
    file: PathBuf,
    /// Export every event of the replay as JSON lines to this file.
    #[arg(long)]
    events: Option<PathBuf>,
    /// Print every step as it happens (virtual time, thread, what) to stderr.
    #[arg(long)]
    log: bool,
    /// Tell the failure as a story: the oracle's message, then only the steps that touch
    /// what it names (fds, handles, timers, owners, loops).
    #[arg(long)]
    explain: bool,
    /// Write the replay as Chrome trace-event JSON (open it in Perfetto: ui.perfetto.dev).
    #[arg(long, value_name = "OUT.json")]
    trace: Option<PathBuf>,
}

pub fn replay(cx: &Context<'_>, args: Args) -> Outcome {
    let file = SeedFile::load(&args.file)?;
    let root = file
        .root(cx.registry)
        .map_err(|e| format!("{}: {e}", args.file.display()))?;
    if args.log {
        // Logs go to stderr with the step's virtual time as a field; wall time is meaningless.
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("simkern=trace"))
            .without_time()
            .with_writer(std::io::stderr)
            .init();
    }
    let outcome = runner::run(&file.config(), root);
    let events = outcome.all_events.as_deref().unwrap_or(&[]);
    if let Some(path) = &args.events {
        let mut out = String::new();
        for e in events {
            out += &e.to_json().to_string();
            out.push('\n');
        }
        std::fs::write(path, out).map_err(|e| format!("--events {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.trace {
        let json = chrome_trace::chrome_trace(&outcome).to_string();
        std::fs::write(path, json).map_err(|e| format!("--trace {}: {e}", path.display()))?;
    }
    let got_signature = Signature::of(&outcome.stop);
    let expected_hash = file.expected_hash().expect("validated on load");
    if file.expects(&got_signature) && outcome.trace_hash == expected_hash {
        println!(
            "reproduced {}: {} ({} steps, trace hash {})",
            args.file.display(),
            got_signature,
            outcome.steps,
            format_hash(outcome.trace_hash)
        );
        if args.explain {
            print!("{}", explain::explain(&outcome));
        } else if !got_signature.is_pass() {
            println!("{}", show::failure(&outcome));
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!("DIVERGED {}:", args.file.display());
    println!(
        "  expected {} with trace hash {} in {} steps",
        file.expected.outcome, file.expected.trace_hash, file.expected.steps
    );
    println!(
        "  got      {} with trace hash {} in {} steps",
        got_signature,
        format_hash(outcome.trace_hash),
        outcome.steps
    );
    match (file.digests(), outcome.digests.as_deref()) {
        (Some(expected), Some(actual)) => match first_divergence(&expected, actual) {
            Some(i) => match events.get(i) {
                Some(e) => println!(
                    "  first divergent event #{i}: {}",
                    show::event_line(&outcome.thread_names, e)
                ),
                None => println!("  the replay ended at event #{i}, before the recorded run did"),
            },
            None => println!("  every event matches; the outcome differs"),
        },
        _ => println!(
            "  the seed file has no per-event digests, so the divergent step cannot be named"
        ),
    }
    if args.explain {
        print!("{}", explain::explain(&outcome));
    }
    Ok(ExitCode::from(1))
}
