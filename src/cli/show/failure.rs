//! A failed run as text: the failure, then the events that led to it, one line each.

use simkern_sim::thread::ThreadId;
use simkern_sim::trace::{Event, What};
use simkern_sim::Outcome;

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
            let result = if *result == simkern_sim::sys::PARKED {
                "(parked)".to_string()
            } else if *result < 0 {
                simkern_poller::Errno(-*result as i32).to_string()
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
        simkern_search::Signature::of(&outcome.stop)
    );
    if let simkern_sim::Stop::Panic {
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
    if let simkern_sim::Stop::Oracle {
        oracle, message, ..
    } = &outcome.stop
    {
        out += &format!("  oracle {oracle}: {message}\n");
    }
    if let simkern_sim::Stop::Deadlock { parked } = &outcome.stop {
        for (t, state) in parked {
            out += &format!(
                "  {} parked: {state:?}\n",
                thread_name(&outcome.thread_names, *t)
            );
        }
    }
    // An oracle judges the fact that stopped the run, the last event; what led to it is that
    // thread's own history, so the other threads' events are left out.
    let oracle_thread = match &outcome.stop {
        simkern_sim::Stop::Oracle { .. } => outcome.tail.last().map(|e| e.thread),
        _ => None,
    };
    let shown: Vec<&Event> = outcome
        .tail
        .iter()
        .filter(|e| oracle_thread.is_none_or(|t| e.thread == t))
        .collect();
    match oracle_thread {
        Some(t) => {
            out += &format!(
                "last {} events of {}, where the oracle fired (of {} events; other threads' \
                 omitted: `simkern replay FILE --events OUT` writes them all), at {:.6} ms of \
                 virtual time:\n",
                shown.len(),
                thread_name(&outcome.thread_names, t),
                outcome.events,
                outcome.virtual_ns as f64 / 1e6
            )
        }
        None => {
            out += &format!(
                "last {} events (of {}), at {:.6} ms of virtual time:\n",
                shown.len(),
                outcome.events,
                outcome.virtual_ns as f64 / 1e6
            )
        }
    }
    for e in shown {
        out += &format!("  {}\n", event_line(&outcome.thread_names, e));
    }
    out
}
