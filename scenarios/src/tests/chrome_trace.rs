//! Chrome trace export (`simkern_search::chrome_trace`) on a committed seed file: flows join a
//! write to the peer's read.

use crate::builtin_refs;
use serde_json::Value;
use simkern_search::chrome_trace::chrome_trace;
use simkern_search::seed_file::SeedFile;
use simkern_sim::runner::run;

/// Every flow starts at a write slice and ends, later, at a read slice on another thread.
#[test]
fn chrome_trace_flows_go_from_a_write_to_the_peers_read() {
    let file = SeedFile::parse(
        include_str!("../../../seeds/nbio-double-close.json"),
        "nbio-double-close.json",
    )
    .unwrap();
    let outcome = run(&file.config(), file.root(builtin_refs()).unwrap());
    let json = chrome_trace(&outcome);
    let events = json["traceEvents"].as_array().unwrap();
    let slice_at = |tid: &Value, ts: u64| {
        events
            .iter()
            .find(|e| {
                e["ph"] == "X"
                    && e["tid"] == *tid
                    && e["ts"].as_u64().unwrap() <= ts
                    && ts < e["ts"].as_u64().unwrap() + e["dur"].as_u64().unwrap()
            })
            .map(|e| e["name"].as_str().unwrap().to_string())
    };
    let starts: Vec<&Value> = events.iter().filter(|e| e["ph"] == "s").collect();
    assert!(!starts.is_empty(), "no flows");
    for s in starts {
        let f = events
            .iter()
            .find(|e| e["ph"] == "f" && e["id"] == s["id"])
            .expect("every flow ends");
        let (from, to) = (s["ts"].as_u64().unwrap(), f["ts"].as_u64().unwrap());
        assert!(from < to, "flow {} goes back in time", s["id"]);
        assert_ne!(s["tid"], f["tid"], "a flow within one thread");
        let write = slice_at(&s["tid"], from).unwrap();
        assert!(write == "write" || write == "writev", "{write}");
        assert_eq!(slice_at(&f["tid"], to).as_deref(), Some("read"));
    }
}
