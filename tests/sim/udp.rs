//! UDP on the simulated kernel: the body `tests/real` runs on Linux, here on `SimSys` over a
//! few seeds (latencies, ready orders), faults off.

use simkern::sim::{run, Config, SimSys, Stop};

#[test]
fn udp_on_the_simulator_behaves_as_on_linux_over_seeds() {
    for seed in 0..20 {
        let outcome = run(&Config::new(seed), || {
            crate::udp_body::udp_behaviours(&SimSys);
        });
        assert_eq!(
            outcome.stop,
            Stop::Completed,
            "seed {seed}: {:?}",
            outcome.stop
        );
    }
}
