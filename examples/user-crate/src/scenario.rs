//! `tally`: `clients` client threads increment the counter `increments` times each,
//! concurrently, on the simulated kernel; when they are done the server stops and checks
//! that no increment was lost (its counter equals the increments it completed).
//!
//! Variants: `buggy` (the counter is committed after the journal's await: a lost update
//! when two connections interleave) and `fixed` (the number is taken before the await).
//! See `counter` for the race.

use crate::counter::{self, Variant};
use simkern::poller::{Notify, Sys};
use simkern::sim::scenario::{Param, Scenario, Setup};
use simkern::sim::SimSys;
use std::time::Duration;

pub const SCENARIO: Scenario = Scenario {
    name: "tally",
    about: "a counter whose handlers race across the journal's await (lost update)",
    variants: &["buggy", "fixed"],
    params: &[
        Param {
            name: "clients",
            default: 3,
            min: 1,
            max: 1_000,
            about: "client threads, one connection each",
        },
        Param {
            name: "increments",
            default: 3,
            min: 1,
            max: 100_000,
            about: "increments per client",
        },
        Param {
            name: "stagger_us",
            default: 8_000,
            min: 0,
            max: 60_000_000,
            about: "client i starts i * stagger_us after the first",
        },
    ],
    kernel: &[],
    build,
};

fn build(setup: &Setup) -> Box<dyn FnOnce()> {
    let variant = if setup.variant == "buggy" {
        Variant::Buggy
    } else {
        Variant::Fixed
    };
    let (clients, increments) = (setup.param("clients"), setup.param("increments"));
    let stagger = Duration::from_micros(setup.param("stagger_us"));
    Box::new(move || {
        let sys = SimSys;
        let stop = Notify::new(sys);
        let server = {
            let stop = stop.clone();
            sys.spawn("server", move || {
                let t = counter::serve(SimSys, variant, stop);
                if let Some((a, b)) = t.committed_twice() {
                    // Names the fds, so `replay --explain` follows both connections.
                    panic!(
                        "lost update: the counter is {} after {} increments; {} was committed \
                         by the connection on fd {} (journal fd {}) and again by the one on \
                         fd {} (journal fd {})",
                        t.value, t.served, a.value, a.conn.0, a.journal.0, b.conn.0, b.journal.0
                    );
                }
                assert_eq!(
                    t.value,
                    t.served + t.abandoned,
                    "the counter disagrees with its commits ({} abandoned)",
                    t.abandoned
                );
            })
            .expect("spawn the server")
        };
        let threads: Vec<_> = (0..clients)
            .map(|i| {
                let start_after = stagger * i as u32;
                sys.spawn(&format!("client-{i}"), move || {
                    // The clients are the test's, not the code under test: under `--faults
                    // default|swarm` they are left alone, so a client that cannot cope with
                    // an injected ENOMEM does not fail a fixed server.
                    simkern::sim::harness();
                    counter::client_thread(SimSys, start_after, increments);
                })
                .expect("spawn a client")
            })
            .collect();
        for t in threads {
            sys.join(t);
        }
        stop.notify();
        sys.join(server);
    })
}
