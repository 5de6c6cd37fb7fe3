//! Virtual time: when every thread waits, the clock jumps to the next deadline.

use simkern::poller::{Runtime, Sys};
use simkern::sim::{run, Config, SimSys, Stop};
use std::time::Duration;

#[test]
fn a_scenario_that_sleeps_an_hour_of_virtual_time_finishes_in_milliseconds() {
    let wall = simkern::sim::wall::Stopwatch::start();
    let outcome = run(&Config::new(1), || {
        let rt = Runtime::new(SimSys).unwrap();
        let h = rt.handle().clone();
        rt.block_on(async move {
            for _ in 0..60 {
                h.sleep(Duration::from_secs(60)).await;
            }
        })
        .unwrap();
        assert!(SimSys.monotonic_now() >= Duration::from_secs(3600));
    });
    assert_eq!(outcome.stop, Stop::Completed, "{:?}", outcome.stop);
    assert!(
        outcome.virtual_ns >= 3_600_000_000_000,
        "virtual time {} ns",
        outcome.virtual_ns
    );
    // An hour simulated; a generous bound on wall time that only a real sleep would break.
    assert!(
        wall.seconds() < 10.0,
        "took {} s of wall time",
        wall.seconds()
    );
}
