//! Coverage collection (`simkern_sim::coverage`) on a real scenario: it observes the run and
//! never changes it.

use crate::find;
use simkern_sim::coverage::{active, collect};
use simkern_sim::runner::{run, Config};

/// Collection reads the trace and never writes to the run: the hash is the same with it on.
#[test]
fn collecting_coverage_leaves_the_trace_hash_alone() {
    let scenario = find("go-netpoll-wakeup").unwrap();
    let setup = scenario.setup(Some("buggy"), &[]).unwrap();
    for seed in 0..4 {
        let config = Config::new(seed);
        let plain = run(&config, scenario.root(&setup));
        let (covered, map) = collect(|| run(&config, scenario.root(&setup)));
        assert_eq!(covered.trace_hash, plain.trace_hash, "seed {seed}");
        assert!(
            map.features() > 10,
            "seed {seed}: {} features",
            map.features()
        );
        assert!(!active());
    }
}
