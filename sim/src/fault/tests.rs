//! Fault plans and profiles: nonsense refused, JSON round trips, swarm draws per seed, a
//! certain rule firing for its call only.

use super::*;

fn rule(call: &str, fault: &str, num: u32, den: u32) -> Rule {
    Rule {
        call: call.into(),
        fault: fault.into(),
        num,
        den,
        threads: Vec::new(),
    }
}

#[test]
fn a_plan_that_makes_no_sense_is_refused_with_a_reason() {
    let err = Plan::from_rules(vec![rule("accept4", "EPIPE", 1, 2)]).unwrap_err();
    assert!(err.contains("accept4 cannot fail with EPIPE"), "{err}");
    assert!(Plan::from_rules(vec![rule("frobnicate", "EINTR", 1, 2)])
        .unwrap_err()
        .contains("unknown call"));
    assert!(Plan::from_rules(vec![rule("read", "EINTR", 3, 2)])
        .unwrap_err()
        .contains("not in (0, 1]"));
    assert!(Plan::from_rules(vec![rule("read", "EINTR", 1, 0)]).is_err());
    assert!(Plan::from_rules(vec![rule("read", "EWHAT", 1, 2)])
        .unwrap_err()
        .contains("unknown fault"));
}

#[test]
fn plans_round_trip_through_json() {
    let plan = Profile::Default.plan(&mut Decisions::new(1));
    let json = serde_json::to_string(&plan).unwrap();
    let back: Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(plan, back);
    let bad: Result<Plan, _> =
        serde_json::from_str(r#"[{"call":"read","fault":"EPIPE","num":1,"den":2}]"#);
    assert!(bad
        .unwrap_err()
        .to_string()
        .contains("read cannot fail with EPIPE"));
}

#[test]
fn swarm_draws_different_plans_for_different_seeds_and_the_same_for_the_same() {
    let a = Profile::Swarm.plan(&mut Decisions::new(1));
    let b = Profile::Swarm.plan(&mut Decisions::new(2));
    assert_eq!(a, Profile::Swarm.plan(&mut Decisions::new(1)));
    assert_ne!(a, b);
    assert!(Profile::None.plan(&mut Decisions::new(1)).is_empty());
}

#[test]
fn a_certain_rule_always_fires_and_only_for_its_call() {
    let plan = Plan::from_rules(vec![rule("epoll_wait", "EINTR", 1, 1)]).unwrap();
    let mut d = Decisions::new(5);
    assert_eq!(
        plan.roll(Call::EpollWait, "t", &mut d),
        Some(Fault::Errno(Errno::EINTR))
    );
    assert_eq!(plan.roll(Call::Read, "t", &mut d), None);
}
