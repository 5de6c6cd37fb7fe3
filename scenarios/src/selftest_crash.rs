//! `selftest-crash`: code under test that panics, aborts, overflows its stack or hangs on
//! every fourth seed (seed % 4 == 1), and passes on the others. It exists to prove crash
//! isolation: `simkern run` must record each crashing seed as a failure and go on with the
//! rest. The `hang` variant loops forever in real code without a syscall, which no step
//! budget can see: only the runner's wall-clock watchdog (`--seed-timeout`) ends it.

use simkern_poller::Sys;
use simkern_sim::scenario::{Scenario, Setup};
use simkern_sim::SimSys;

pub const SCENARIO: Scenario = Scenario {
    name: "selftest-crash",
    about: "self-test of crash isolation: on seeds = 1 mod 4 a simulated thread panics, aborts, overflows its stack or hangs",
    variants: &["panic", "abort", "stack-overflow", "hang"],
    params: &[],
    kernel: &[],
    build,
};

fn build(setup: &Setup) -> Box<dyn FnOnce()> {
    let variant = setup.variant.clone();
    Box::new(move || {
        // A self-test may read the run's seed (user code should not, and need not).
        let crash = simkern_sim::selftest_seed() % 4 == 1;
        let t = SimSys
            .spawn("victim", move || {
                if !crash {
                    return;
                }
                match variant.as_str() {
                    "panic" => panic!("selftest: the code under test panicked"),
                    "abort" => std::process::abort(),
                    "hang" => loop {
                        std::hint::spin_loop();
                    },
                    _ => {
                        std::hint::black_box(recurse(0));
                    }
                }
            })
            .expect("spawn");
        SimSys.join(t);
    })
}

/// Recurses until the coroutine's guard page stops it (SIGSEGV).
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let frame = std::hint::black_box([depth; 64]);
    if frame[0] == u64::MAX {
        return 0;
    }
    1 + recurse(depth + 1)
}
