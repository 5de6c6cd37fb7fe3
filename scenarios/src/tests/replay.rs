//! The replay strategy (`simkern_sim::strategy::Replay`) over every built-in scenario: a
//! recorded schedule and decisions are the whole run.

use crate::builtin;
use simkern_sim::decision::{Choice, Fill};
use simkern_sim::fault::Profile;
use simkern_sim::runner::{run, Config, Faults};
use simkern_sim::strategy::{switches, Kind};

/// A run's schedule, as switches, plus its kernel and fault decisions with nothing left to
/// chance after them, is the whole run: the replay has the same trace.
#[test]
fn a_recorded_schedule_replays_every_scenario_exactly() {
    for scenario in builtin()
        .iter()
        .filter(|s| !s.name.starts_with("selftest-"))
    {
        for variant in scenario.variants {
            let setup = scenario.setup(Some(variant), &[]).unwrap();
            for seed in 0..6 {
                let mut config = Config::new(seed);
                config.strategy = if seed % 2 == 0 {
                    Kind::Random
                } else {
                    Kind::Pct { depth: 3 }
                };
                config.faults = Faults::Profile(Profile::Swarm);
                config.record_schedule = true;
                config.record_decisions = true;
                let first = run(&config, scenario.root(&setup));
                let points = first.sched_points.unwrap();
                let kept: Vec<_> = first
                    .decisions
                    .unwrap()
                    .into_iter()
                    .filter(|d| matches!(d.what, Choice::Kernel | Choice::Step | Choice::Fault))
                    .collect();
                let mut again = Config::new(seed);
                again.faults = Faults::Plan(first.fault_plan.clone());
                again.schedule = Some(switches(&points));
                again.replay = Some(kept);
                again.fill = Fill::Benign;
                again.record_schedule = true;
                let second = run(&again, scenario.root(&setup));
                assert_eq!(
                    (second.trace_hash, &second.stop),
                    (first.trace_hash, &first.stop),
                    "{} {variant} seed {seed}: the replayed schedule diverged",
                    scenario.name
                );
                assert_eq!(second.sched_points.unwrap(), points);
            }
        }
    }
}
