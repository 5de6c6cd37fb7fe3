//! `Allowed` membership, and the model following the branch an implementation took.

use super::*;
use crate::errno::{EAGAIN, EINPROGRESS};
use crate::event::{EPOLLIN, EPOLLOUT};
use crate::{Allowed, Candidate, Disagreement};

fn candidate(data: u64, masks: &[u32], required: bool) -> Candidate {
    Candidate {
        data,
        masks: masks.to_vec(),
        required,
    }
}

#[test]
fn an_exact_answer_contains_only_itself() {
    let allowed = Allowed::from(vec![Expect::Is(Outcome::Err(EAGAIN))]);
    assert!(allowed.contains(&Outcome::Err(EAGAIN)));
    assert!(!allowed.contains(&Outcome::Err(EINPROGRESS)));
    assert!(!allowed.contains(&Outcome::Bytes(0)));
    assert_eq!(allowed.only(), Some(&Outcome::Err(EAGAIN)));
}

#[test]
fn a_byte_range_contains_its_ends_and_nothing_outside() {
    let allowed = Allowed::from(vec![
        Expect::Bytes { min: 3, max: 9 },
        Expect::Is(Outcome::Err(EAGAIN)),
    ]);
    assert!(allowed.contains(&Outcome::Bytes(3)));
    assert!(allowed.contains(&Outcome::Bytes(9)));
    assert!(!allowed.contains(&Outcome::Bytes(2)));
    assert!(!allowed.contains(&Outcome::Bytes(10)));
    assert!(allowed.contains(&Outcome::Err(EAGAIN)));
    assert_eq!(allowed.only(), None);
    assert_eq!(allowed.example(), Some(Outcome::Bytes(9)));
}

#[test]
fn a_ready_set_is_compared_as_a_set_with_required_and_optional_entries() {
    let expect = Expect::Ready {
        maxevents: 8,
        candidates: vec![
            candidate(1, &[EPOLLIN], true),
            candidate(2, &[EPOLLIN, EPOLLIN | EPOLLOUT], false),
        ],
    };
    assert!(expect.contains(&events(&[(1, EPOLLIN)])));
    assert!(expect.contains(&events(&[(2, EPOLLIN | EPOLLOUT), (1, EPOLLIN)])));
    assert!(!expect.contains(&events(&[(2, EPOLLIN)])), "1 is required");
    assert!(
        !expect.contains(&events(&[(1, EPOLLOUT)])),
        "not an allowed mask"
    );
    assert!(
        !expect.contains(&events(&[(1, EPOLLIN), (3, EPOLLIN)])),
        "3 is not ready"
    );
    assert!(!expect.contains(&Outcome::Ok));
}

#[test]
fn a_full_maxevents_excuses_missing_required_entries() {
    let expect = Expect::Ready {
        maxevents: 1,
        candidates: vec![
            candidate(1, &[EPOLLIN], true),
            candidate(2, &[EPOLLIN], false),
        ],
    };
    assert!(expect.contains(&events(&[(2, EPOLLIN)])));
    assert!(!expect.contains(&events(&[])));
    assert!(!expect.contains(&events(&[(1, EPOLLIN), (2, EPOLLIN)])));
}

#[test]
fn observing_an_outcome_outside_the_set_is_a_disagreement_and_changes_nothing() {
    let mut m = model();
    let fd = new_fd(&mut m, Op::Socket);
    let err = m
        .observe(&Op::Read { fd, len: 1 }, &Outcome::Bytes(1))
        .unwrap_err();
    match &err {
        Disagreement::NotAllowed { allowed, state, .. } => {
            assert_eq!(allowed.only(), Some(&Outcome::Err(crate::errno::ENOTCONN)));
            assert!(
                state.contains("fd3"),
                "the message dumps the fd table: {state}"
            );
        }
        other => panic!("expected NotAllowed, got {other}"),
    }
    assert!(err.to_string().contains("ENOTCONN"), "{err}");
    assert_eq!(new_fd(&mut m, Op::Socket), Fd(4), "the model did not move");
}

#[test]
fn the_model_follows_the_write_length_the_implementation_chose() {
    let mut m = Model::new(Config {
        stream_buf_min: 10,
        stream_buf_max: 100,
        ..Config::default()
    });
    let (_, c, s) = connected(&mut m, 0);
    observe(&mut m, Op::Write { fd: c, len: 50 }, Outcome::Bytes(37));
    ok(&mut m, Op::Settle);
    let read = Op::Read { fd: s, len: 100 };
    let allowed = m.allowed(&read).unwrap();
    assert_eq!(allowed.expects(), &[Expect::Bytes { min: 10, max: 37 }]);
    observe(&mut m, read, Outcome::Bytes(37));
}

#[test]
fn several_consistent_states_collapse_when_an_observation_tells_them_apart() {
    let mut m = model();
    let (_, c, s) = connected(&mut m, 0);
    bytes(&mut m, Op::Write { fd: c, len: 4 });
    observe(&mut m, Op::Read { fd: s, len: 2 }, Outcome::Err(EAGAIN));
    assert!(m.worlds() >= 1);
    observe(&mut m, Op::Read { fd: s, len: 2 }, Outcome::Bytes(2));
    assert_eq!(
        bytes(&mut m, Op::Read { fd: s, len: 9 }),
        2,
        "the rest is surely there"
    );
    // Still open: whether the window updates have reached the writer. Settle decides it.
    ok(&mut m, Op::Settle);
    assert_eq!(m.worlds(), 1, "{}", m.dump());
}

#[test]
fn step_picks_an_allowed_outcome_and_advances() {
    let mut m = model();
    let (r, w) = pipe(&mut m);
    assert_eq!(m.step(&Op::Write { fd: w, len: 3 }), Ok(Outcome::Bytes(3)));
    assert_eq!(m.step(&Op::Read { fd: r, len: 8 }), Ok(Outcome::Bytes(3)));
}
