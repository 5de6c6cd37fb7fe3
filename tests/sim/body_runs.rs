//! Running a test body shared with `tests/real` on the simulated kernel: over 20 seeds
//! (schedules, ready orders, latencies), faults off, each seed twice for the same trace hash.

use simkern::sim::{run, Config, Stop};

/// `body` completes on every seed, and each seed's two runs agree on the trace hash.
pub fn over_seeds(body: fn()) {
    for seed in 0..20 {
        let outcome = run(&Config::new(seed), body);
        assert_eq!(
            outcome.stop,
            Stop::Completed,
            "seed {seed}: {:?}\n{}",
            outcome.stop,
            outcome.kernel_state
        );
        let again = run(&Config::new(seed), body);
        assert_eq!(
            outcome.trace_hash, again.trace_hash,
            "seed {seed} ran twice differently"
        );
    }
}
