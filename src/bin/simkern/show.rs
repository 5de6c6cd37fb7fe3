//! Human-readable output: the scenario list and failure reports.

use simkern::sim::scenario;
use simkern::sim::thread::ThreadId;
use simkern::sim::trace::{Event, What};
use simkern::sim::Outcome;

pub fn list() {
    for s in scenario::builtin() {
        println!("{:<26} {}", s.name, s.about);
        println!(
            "{:<26} variants: {} (default {})",
            "",
            s.variants.join(", "),
            s.variants[0]
        );
        for p in s.params {
            println!("{:<26} --param {}={} : {}", "", p.name, p.default, p.about);
        }
    }
}

fn thread_name(names: &[String], t: ThreadId) -> String {
    names
        .get(t.index())
        .map(|n| format!("{t} {n}"))
        .unwrap_or_else(|| t.to_string())
}

/// One trace event as a line: step, thread, virtual time, what happened.
pub fn event_line(names: &[String], e: &Event) -> String {
    let what = match &e.what {
        What::Syscall { call, args, result } => {
            let result = if *result == simkern::sim::sys::PARKED {
                "(parked)".to_string()
            } else if *result < 0 {
                simkern::poller::Errno(-*result as i32).to_string()
            } else {
                result.to_string()
            };
            format!(
                "{}({}, {}, {}) = {result}",
                call.name(),
                args[0],
                args[1],
                args[2]
            )
        }
        What::Probe(p) => format!("probe {p:?}"),
        What::Ready {
            data,
            events,
            source,
        } => {
            format!("  ready: data {data} events {events:#x} from {source}")
        }
        What::Fault { call, errno } => {
            format!("fault injected: {} fails with {errno}", call.name())
        }
    };
    format!(
        "step {:>8}  {:<18} {:>12.6} ms  {what}",
        e.step,
        thread_name(names, e.thread),
        e.time_ns as f64 / 1e6
    )
}

/// The readable report of a failed run: the failure, then the last events.
pub fn failure(outcome: &Outcome) -> String {
    let mut out = format!(
        "failure: {}\n",
        simkern::sim::batch::signature(&outcome.stop)
    );
    if let simkern::sim::Stop::Panic {
        thread,
        message,
        location,
    } = &outcome.stop
    {
        out += &format!(
            "  in thread {} at {location}: {message}\n",
            thread_name(&outcome.thread_names, *thread)
        );
    }
    if let simkern::sim::Stop::Oracle { oracle, message } = &outcome.stop {
        out += &format!("  oracle {oracle}: {message}\n");
    }
    if let simkern::sim::Stop::Deadlock { parked } = &outcome.stop {
        for (t, state) in parked {
            out += &format!(
                "  {} parked: {state:?}\n",
                thread_name(&outcome.thread_names, *t)
            );
        }
    }
    out += &format!(
        "last {} events (of {}), at {:.6} ms of virtual time:\n",
        outcome.tail.len(),
        outcome.events,
        outcome.virtual_ns as f64 / 1e6
    );
    for e in &outcome.tail {
        out += &format!("  {}\n", event_line(&outcome.thread_names, e));
    }
    out
}
