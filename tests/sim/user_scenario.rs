//! A user's own scenario, defined in a crate that depends on `simkern` (this test crate), run
//! through the same runner as the built-in ones: seeds, strategies, faults, replay.
//!
//! The code under test: a "ping" service that answers each 8-byte number with number + 1, on
//! the poller, written against `Sys` so it runs on real epoll as well as here.

use simkern::poller::{Handle, Runtime, Sys, TcpListener, TcpStream};
use simkern::sim::check::Check;
use simkern::sim::fault::Profile;
use simkern::sim::scenario::{Param, Scenario, Setup};
use simkern::sim::{strategy, SimSys};

async fn answer<S: Sys>(stream: TcpStream<S>) {
    let mut buf = [0u8; 8];
    while stream.read_exact(&mut buf).await.is_ok() {
        let n = u64::from_le_bytes(buf) + 1;
        if stream.write_all(&n.to_le_bytes()).await.is_err() {
            return;
        }
    }
}

async fn ask<S: Sys>(h: &Handle<S>, questions: u64) {
    let addr = "127.0.0.1:9000".parse().unwrap();
    let stream = loop {
        match TcpStream::connect(h, addr).await {
            Ok(s) => break s,
            Err(_) => h.sleep(std::time::Duration::from_millis(1)).await,
        }
    };
    for q in 0..questions {
        stream.write_all(&q.to_le_bytes()).await.unwrap();
        let mut buf = [0u8; 8];
        stream.read_exact(&mut buf).await.unwrap();
        assert_eq!(u64::from_le_bytes(buf), q + 1, "wrong answer to {q}");
    }
}

fn build(setup: &Setup) -> Box<dyn FnOnce()> {
    let questions = setup.param("questions");
    Box::new(move || {
        let sys = SimSys;
        let server = sys
            .spawn("server", || {
                let rt = Runtime::new(SimSys).unwrap();
                let h = rt.handle().clone();
                rt.block_on(async move {
                    let l = TcpListener::bind(&h, "127.0.0.1:9000".parse().unwrap()).unwrap();
                    let (s, _) = l.accept().await.unwrap();
                    answer(s).await;
                })
                .unwrap();
            })
            .unwrap();
        let client = sys
            .spawn("client", move || {
                let rt = Runtime::new(SimSys).unwrap();
                let h = rt.handle().clone();
                rt.block_on(async move { ask(&h, questions).await })
                    .unwrap();
            })
            .unwrap();
        sys.join(client);
        sys.join(server);
    })
}

const PING: Scenario = Scenario {
    name: "ping",
    about: "a user's own scenario: answer n with n + 1",
    variants: &["only"],
    params: &[Param {
        name: "questions",
        default: 20,
        min: 1,
        max: 1_000_000,
        about: "questions the client asks",
    }],
    kernel: &[],
    build,
};

#[test]
fn a_users_scenario_passes_many_seeds_under_random_and_pct() {
    Check::new(&PING, None).seeds(50).run();
    Check::new(&PING, None)
        .seeds(50)
        .strategy(strategy::Kind::Pct { depth: 3 })
        .run();
}

#[test]
fn a_users_scenario_runs_under_faults_that_its_code_must_survive() {
    // Only faults this tiny service is written to survive: interrupted epoll_wait and early
    // wakeups. The poller retries EINTR and recomputes timeouts, so every seed passes.
    let plan = simkern::sim::fault::Plan::from_rules(vec![
        simkern::sim::fault::Rule {
            call: "epoll_wait".into(),
            fault: "EINTR".into(),
            num: 1,
            den: 5,
            threads: Vec::new(),
        },
        simkern::sim::fault::Rule {
            call: "epoll_wait".into(),
            fault: "early-wake".into(),
            num: 1,
            den: 5,
            threads: Vec::new(),
        },
    ])
    .unwrap();
    let setup = PING.setup(None, &[]).unwrap();
    for seed in 0..30 {
        let mut config = simkern::sim::Config::new(seed);
        config.faults = simkern::sim::Faults::Plan(plan.clone());
        let outcome = simkern::sim::run(&config, PING.root(&setup));
        assert!(outcome.passed(), "seed {seed}: {:?}", outcome.stop);
    }
    let _ = Profile::None;
}

#[test]
#[should_panic(expected = "failed on seed")]
fn a_failing_users_scenario_reports_its_seed_and_how_to_replay_it() {
    fn broken(_: &Setup) -> Box<dyn FnOnce()> {
        Box::new(|| {
            let t = SimSys.spawn("a", || {}).unwrap();
            SimSys.join(t);
            panic!("invariant broken");
        })
    }
    let broken_scenario = Scenario {
        name: "broken",
        about: "always fails",
        variants: &["v"],
        params: &[],
        kernel: &[],
        build: broken,
    };
    Check::new(&broken_scenario, None).seeds(3).run();
}
