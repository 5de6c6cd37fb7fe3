//! Race stories: subjects from an oracle's verdict or a panic's message, epoll bits and ops
//! by name.

use super::*;
use simkern_sim::thread::ThreadId;

/// An oracle's story names what its verdict names, whatever its message says.
#[test]
fn an_oracle_story_takes_its_subjects_from_the_verdict_not_its_message() {
    let outcome = Outcome {
        stop: Stop::Oracle {
            oracle: "timer",
            message: "timer 12 fired for owner 101, which was destroyed".into(),
            subjects: vec![Subject::Fd(1, 3)],
        },
        trace_hash: 0,
        steps: 0,
        events: 0,
        virtual_ns: 0,
        fault_plan: simkern_sim::fault::Plan::none(),
        decisions: None,
        sched_points: None,
        all_events: Some(Vec::new()),
        digests: None,
        tail: Vec::new(),
        kernel_state: String::new(),
        thread_names: Vec::new(),
        thread_pids: Vec::new(),
    };
    let s = story(&outcome);
    assert_eq!(s.subjects, vec![Subject::Fd(1, 3)]);
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
    let t = ThreadId::from_u32(2);
    let s = named(
        "epoll reported event 0x4 for fd 2 with data 1, and the code handed it to the \
         operator of fd 7, which now holds handle 1.",
        t,
        1,
    );
    let want: BTreeSet<Subject> = [Subject::Fd(1, 2), Subject::Fd(1, 7), Subject::Handle(t, 1)]
        .into_iter()
        .collect();
    assert_eq!(s, want);
    assert_eq!(
        named("timer 12 fired for owner 101, which was destroyed", t, 1),
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

/// fd numbers are per process: a verdict on process 1's fd 4 keeps its events and leaves out
/// process 2's, which reused the number.
#[test]
fn a_story_keeps_the_events_of_its_processs_fd_not_anothers_with_the_same_number() {
    let (server, client) = (ThreadId::from_u32(0), ThreadId::from_u32(1));
    let ev = |step: u64, thread: ThreadId, call: Call| Event {
        step,
        thread,
        time_ns: step,
        what: What::Syscall {
            call,
            args: [4, 8, 0],
            result: 8,
        },
    };
    let events = vec![
        ev(1, server, Call::Read),
        ev(2, client, Call::Write),
        ev(3, server, Call::Write),
        ev(4, client, Call::Read),
        ev(5, server, Call::Close),
    ];
    let outcome = Outcome {
        stop: Stop::Oracle {
            oracle: "fd_leak",
            message: "fd 4 left open".into(),
            subjects: vec![Subject::Fd(1, 4)],
        },
        trace_hash: 0,
        steps: 5,
        events: 5,
        virtual_ns: 5,
        fault_plan: simkern_sim::fault::Plan::none(),
        decisions: None,
        sched_points: None,
        all_events: Some(events),
        digests: None,
        tail: Vec::new(),
        kernel_state: String::new(),
        thread_names: vec!["server".into(), "client".into()],
        thread_pids: vec![1, 2],
    };
    let s = story(&outcome);
    let shown = s.to_string();
    assert!(shown.contains("server"), "{shown}");
    assert!(
        !shown.contains("client"),
        "process 2's fd 4 is another file:\n{shown}"
    );
    assert_eq!(Subject::Fd(2, 4).to_string(), "fd 4 of process 2");
    assert_eq!(Subject::Fd(1, 4).to_string(), "fd 4");
}
