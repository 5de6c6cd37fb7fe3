//! `Check` and `check` as a user's `cargo test` meets them: crash isolation (an abort, a stack
//! overflow or a hang of the code under test is a failing seed with its replay command, the
//! test binary lives on), the knobs (first seed, kernel config, fault plan), and the one-call
//! closure form.

use simkern::prelude::*;
use simkern::scenarios::selftest_crash;
use simkern::sim::fault::{Plan, Rule};
use std::time::Duration;

/// `selftest-crash` aborts on seed 1 (seeds = 1 mod 4): the parent reports that seed and the
/// signal, and gives the command that replays it.
#[test]
#[should_panic(
    expected = "selftest-crash (abort) crashed on seed 1: the code under test was killed by SIGABRT"
)]
fn an_abort_in_the_code_under_test_is_a_failing_seed_not_a_dead_test_binary() {
    Check::new(&selftest_crash::SCENARIO, Some("abort"))
        .seeds(4)
        .run();
}

#[test]
#[should_panic(
    expected = "selftest-crash (stack-overflow) crashed on seed 5: the code under test was killed by SIG"
)]
fn a_stack_overflow_is_a_failing_seed_from_the_first_seed_given() {
    Check::new(&selftest_crash::SCENARIO, Some("stack-overflow"))
        .first_seed(4)
        .seeds(4)
        .run();
}

/// A loop without a syscall: no step budget sees it, the child's wall-clock limit does.
#[test]
#[should_panic(expected = "selftest-crash (hang) crashed on seed 1: the code under test hung")]
fn a_hang_is_killed_and_reported_with_its_seed() {
    Check::new(&selftest_crash::SCENARIO, Some("hang"))
        .seeds(4)
        .timeout(Duration::from_secs(3))
        .run();
}

/// A panic is reported by the child as the failure it is (its message, the replay command).
#[test]
#[should_panic(
    expected = "SIMKERN_SEED=1 cargo test check::a_panic_in_the_child_is_reported_with_its_message_and_replay_command"
)]
fn a_panic_in_the_child_is_reported_with_its_message_and_replay_command() {
    Check::new(&selftest_crash::SCENARIO, Some("panic"))
        .seeds(4)
        .run();
}

/// In process, as before: the same failure, no child.
#[test]
#[should_panic(
    expected = "selftest-crash (panic) failed on seed 1: panic: selftest: the code under test panicked"
)]
fn in_process_checks_report_the_same_failure() {
    Check::new(&selftest_crash::SCENARIO, Some("panic"))
        .seeds(4)
        .in_process()
        .run();
}

/// The closure form: the root thread spawns, talks over a pipe-backed listener and joins;
/// every seed passes in the child, and two checks in one test each run once.
#[test]
fn a_closure_check_runs_its_seeds_and_a_second_check_in_the_same_test_runs_too() {
    check(|| {
        let t = SimSys.spawn("worker", || {}).unwrap();
        SimSys.join(t);
    });
    Check::closure(|| {
        let (r, w) = SimSys.pipe2().unwrap();
        assert_eq!(SimSys.write(w, b"x"), Ok(1));
        let mut buf = [0u8; 1];
        assert_eq!(SimSys.read(r, &mut buf), Ok(1));
        SimSys.close(r).unwrap();
        SimSys.close(w).unwrap();
    })
    .seeds(10)
    .run();
}

#[test]
#[should_panic(expected = "check(closure) failed on seed 7: panic: boom")]
fn a_failing_closure_names_its_seed() {
    Check::closure(|| panic!("boom"))
        .first_seed(7)
        .seeds(3)
        .run();
}

/// The kernel config reaches the run: with an fd limit of 5, the sixth fd is `EMFILE`.
#[test]
fn the_kernel_config_reaches_every_seed() {
    Check::closure(|| {
        let mut fds = Vec::new();
        loop {
            match SimSys.eventfd(0, false) {
                Ok(fd) => fds.push(fd),
                Err(e) => {
                    assert_eq!(e, simkern::poller::Errno::EMFILE);
                    break;
                }
            }
        }
        assert_eq!(fds.len(), 5, "fds 0..5 under rlimit_nofile 5");
        for fd in fds {
            SimSys.close(fd).unwrap();
        }
    })
    .kernel_set("rlimit_nofile", "5")
    .seeds(3)
    .run();
}

/// A concrete plan: every `pipe2` fails with `EMFILE`, on every seed. (The signature keeps the
/// call's name as written: `pipe2`, not `pipeN`.)
#[test]
#[should_panic(expected = "failed on seed 0: panic: pipe2 failed: EMFILE")]
fn a_concrete_fault_plan_reaches_every_seed() {
    let plan = Plan::from_rules(vec![Rule {
        call: "pipe2".into(),
        fault: "EMFILE".into(),
        num: 1,
        den: 1,
        threads: Vec::new(),
    }])
    .unwrap();
    Check::closure(|| {
        if let Err(e) = SimSys.pipe2() {
            panic!("pipe2 failed: {e:?}");
        }
    })
    .plan(plan)
    .seeds(2)
    .run();
}

/// Harness threads (`sim::harness()`) are out of the fault plan's reach, and so are the
/// threads they spawn; the code under test is not: under a plan that fails every `pipe2`,
/// the client's pipes open and the server's do not.
#[test]
fn faults_leave_harness_threads_and_their_children_alone() {
    let plan = Plan::from_rules(vec![Rule {
        call: "pipe2".into(),
        fault: "EMFILE".into(),
        num: 1,
        den: 1,
        threads: Vec::new(),
    }])
    .unwrap();
    Check::closure(|| {
        let server = SimSys
            .spawn("server", || {
                assert!(SimSys.pipe2().is_err(), "the code under test is faulted");
            })
            .unwrap();
        let client = SimSys
            .spawn("client", || {
                simkern::sim::harness();
                let (r, w) = SimSys.pipe2().expect("a harness thread is not faulted");
                let helper = SimSys
                    .spawn("client-helper", || {
                        let (r, w) = SimSys.pipe2().expect("its children neither");
                        SimSys.close(r).unwrap();
                        SimSys.close(w).unwrap();
                    })
                    .unwrap();
                SimSys.join(helper);
                SimSys.close(r).unwrap();
                SimSys.close(w).unwrap();
            })
            .unwrap();
        SimSys.join(server);
        SimSys.join(client);
    })
    .plan(plan)
    .seeds(5)
    .run();
}

/// A plan narrowed to threads (`.fault_threads`, a name or a prefix ending in `*`) and calls
/// (`.fault_calls`) faults exactly those: under a plan that fails every `pipe2` and every
/// `eventfd`, narrowed to `worker*` and `pipe2`, a worker's pipe fails, its eventfd opens, and
/// the other thread's pipe opens.
#[test]
fn a_scoped_plan_faults_only_the_named_threads_and_calls() {
    let every = |call: &str| Rule {
        call: call.into(),
        fault: "EMFILE".into(),
        num: 1,
        den: 1,
        threads: Vec::new(),
    };
    let plan = Plan::from_rules(vec![every("pipe2"), every("eventfd")]).unwrap();
    Check::closure(|| {
        let worker = SimSys
            .spawn("worker3", || {
                assert!(SimSys.pipe2().is_err(), "a worker's pipe2 is in scope");
                let e = SimSys.eventfd(0, false).expect("eventfd is out of scope");
                SimSys.close(e).unwrap();
            })
            .unwrap();
        let other = SimSys
            .spawn("logger", || {
                let (r, w) = SimSys.pipe2().expect("the logger is out of scope");
                SimSys.close(r).unwrap();
                SimSys.close(w).unwrap();
            })
            .unwrap();
        SimSys.join(worker);
        SimSys.join(other);
    })
    .plan(plan)
    .fault_threads(&["worker*"])
    .fault_calls(&["pipe2"])
    .seeds(5)
    .run();
}
