//! Human-readable output: the scenario list and batch reports; failed runs (`failure`).

mod failure;

pub use failure::{event_line, failure};

use simkern_search::batch::Report;
use simkern_sim::scenario::Scenario;

/// `list`: each scenario of `registry`, its variants and parameters.
pub fn list(registry: &[&Scenario]) {
    for s in registry {
        println!("{:<26} {}", s.name, s.about);
        println!(
            "{:<26} variants: {} (default {})",
            "",
            s.variants.join(", "),
            s.variants[0]
        );
        for p in s.params {
            println!(
                "{:<26} --param {}={} : {} ({}..={})",
                "", p.name, p.default, p.about, p.min, p.max
            );
        }
    }
}

/// A batch report's summary line and (some of) its notes.
pub fn report(r: &Report) -> String {
    let mut out = format!(
        "{} {} strategy={} faults={} seeds={}: {} run, {} failed, {:.2} s, {} steps, run_hash {}\n",
        r.scenario,
        r.variant,
        r.strategy,
        r.faults,
        r.seeds,
        r.seeds_run,
        r.failures.len(),
        r.wall_s,
        r.sim_steps,
        r.run_hash
    );
    // A small dfs tree is exhausted every few seeds: the report keeps every note.
    const NOTES_SHOWN: usize = 10;
    for note in r.notes.iter().take(NOTES_SHOWN) {
        out += &format!("{note}\n");
    }
    if r.notes.len() > NOTES_SHOWN {
        out += &format!(
            "... and {} more notes (see the report)\n",
            r.notes.len() - NOTES_SHOWN
        );
    }
    out
}
