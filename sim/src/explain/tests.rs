//! Race stories: subjects from an oracle's verdict or a panic's message, epoll bits and ops
//! by name.

use super::*;
use crate::thread::ThreadId;

/// An oracle's story names what its verdict names, whatever its message says.
#[test]
fn an_oracle_story_takes_its_subjects_from_the_verdict_not_its_message() {
    let outcome = Outcome {
        stop: Stop::Oracle {
            oracle: "timer",
            message: "timer 12 fired for owner 101, which was destroyed".into(),
            subjects: vec![Subject::Fd(3)],
        },
        trace_hash: 0,
        steps: 0,
        events: 0,
        virtual_ns: 0,
        fault_plan: crate::fault::Plan::none(),
        decisions: None,
        sched_points: None,
        all_events: Some(Vec::new()),
        digests: None,
        tail: Vec::new(),
        kernel_state: String::new(),
        thread_names: Vec::new(),
    };
    let s = story(&outcome);
    assert_eq!(s.subjects, vec![Subject::Fd(3)]);
    assert_eq!(
        s.signature,
        Signature::Oracle {
            oracle: "timer".into(),
            subjects: vec!["fd".into()]
        }
    );
}

#[test]
fn explain_finds_the_subjects_a_panic_message_names() {
    let t = ThreadId(2);
    let s = named(
        "epoll reported event 0x4 for fd 2 with data 1, and the code handed it to the \
         operator of fd 7, which now holds handle 1.",
        t,
    );
    let want: BTreeSet<Subject> = [Subject::Fd(2), Subject::Fd(7), Subject::Handle(t, 1)]
        .into_iter()
        .collect();
    assert_eq!(s, want);
    assert_eq!(
        named("timer 12 fired for owner 101, which was destroyed", t),
        [Subject::Timer(t, 12), Subject::Owner(t, 101)]
            .into_iter()
            .collect()
    );
}

#[test]
fn explain_names_epoll_bits_and_ops() {
    assert_eq!(bits(0x5), "EPOLLIN|EPOLLOUT");
    assert_eq!(
        bits(0x201d),
        "EPOLLIN|EPOLLOUT|EPOLLERR|EPOLLHUP|EPOLLRDHUP"
    );
    let ctl = What::Syscall {
        call: Call::EpollCtl,
        args: [0, (2 << 32) | 15, 0],
        result: 0,
    };
    assert_eq!(
        describe(&ctl),
        (
            "epoll_ctl(ep 0, EPOLL_CTL_DEL, fd 15)".to_string(),
            "0".to_string()
        )
    );
}
