//! Property: whatever the model itself picks is allowed and accepted, the model never panics,
//! and it is deterministic. Random op sequences over a few fds and ports.

use super::*;
use crate::event::{EPOLLET, EPOLLIN, EPOLLONESHOT, EPOLLOUT, EPOLLRDHUP};
use crate::{Allowed, Candidate, Disagreement, Shut, UnixName};
use proptest::prelude::*;

fn fd() -> impl Strategy<Value = Fd> {
    (0..8).prop_map(Fd)
}

fn op() -> impl Strategy<Value = Op> {
    let events = prop::sample::select(vec![
        EPOLLIN,
        EPOLLOUT,
        EPOLLIN | EPOLLOUT | EPOLLRDHUP,
        EPOLLIN | EPOLLET,
        EPOLLOUT | EPOLLET,
        EPOLLIN | EPOLLONESHOT,
    ]);
    let ctl = prop::sample::select(vec![Ctl::Add, Ctl::Mod, Ctl::Del]);
    let how = prop::sample::select(vec![Shut::Rd, Shut::Wr, Shut::RdWr]);
    prop_oneof![
        3 => Just(Op::Socket),
        1 => Just(Op::Pipe),
        1 => Just(Op::EpollCreate),
        4 => Just(Op::Settle),
        1 => (0u32..3, any::<bool>()).prop_map(|(init, semaphore)| Op::EventFd { init, semaphore }),
        3 => (fd(), 0u16..2).prop_map(|(fd, p)| Op::Bind { fd, port: Port(p) }),
        3 => (fd(), 0i32..3).prop_map(|(fd, backlog)| Op::Listen { fd, backlog }),
        3 => (fd(), 0u16..3).prop_map(|(fd, p)| Op::Connect { fd, port: Port(p) }),
        4 => fd().prop_map(|fd| Op::Accept { fd }),
        1 => fd().prop_map(|fd| Op::SoError { fd }),
        1 => (fd(), how).prop_map(|(fd, how)| Op::Shutdown { fd, how }),
        3 => (fd(), 0usize..5000).prop_map(|(fd, len)| Op::Read { fd, len }),
        3 => (fd(), 0usize..5000).prop_map(|(fd, len)| Op::Write { fd, len }),
        1 => fd().prop_map(|fd| Op::Close { fd }),
        1 => fd().prop_map(|fd| Op::Dup { fd }),
        1 => (fd(), 4usize..9).prop_map(|(fd, len)| Op::EventFdRead { fd, len }),
        1 => (fd(), 0u64..3).prop_map(|(fd, value)| Op::EventFdWrite { fd, value, len: 8 }),
        2 => (fd(), ctl, fd(), events).prop_map(|(epfd, op, fd, events)| Op::EpollCtl {
            epfd,
            op,
            fd,
            events,
            data: fd.0 as u64,
        }),
        2 => (fd(), 1i32..4).prop_map(|(epfd, maxevents)| Op::EpollWait { epfd, maxevents }),
        2 => Just(Op::UdpSocket),
        2 => (fd(), 0usize..300, prop::option::of(0u16..3))
            .prop_map(|(fd, len, to)| Op::SendTo { fd, len, to: to.map(Port) }),
        2 => (fd(), 0usize..300, any::<bool>(), any::<bool>())
            .prop_map(|(fd, len, peek, trunc)| Op::RecvFrom { fd, len, peek, trunc }),
        1 => (fd(), fd(), any::<bool>()).prop_map(|(a, b, ppoll)| Op::Poll {
            fds: vec![(a, 0x001), (b, 0x004 | 0x2000)],
            ppoll,
        }),
        1 => (fd(), 1i32..4, any::<bool>())
            .prop_map(|(epfd, maxevents, pwait2)| Op::EpollPwait { epfd, maxevents, pwait2 }),
        1 => prop::sample::select(vec![0o4000, 0o2004000, 0o4001])
            .prop_map(|flags| Op::Pipe2 { flags }),
        1 => (0u32..3, prop::sample::select(vec![0o4000, 0o2004001, 0o4002]))
            .prop_map(|(init, flags)| Op::EventFd2 { init, flags }),
        1 => any::<bool>().prop_map(|dgram| Op::UnixSocket { dgram }),
        1 => any::<bool>().prop_map(|dgram| Op::SocketPair { dgram }),
        2 => (fd(), unix_name()).prop_map(|(fd, name)| Op::UnixBind { fd, name }),
        2 => (fd(), unix_name()).prop_map(|(fd, name)| Op::UnixConnect { fd, name }),
        1 => fd().prop_map(|fd| Op::UnixAccept { fd }),
        2 => (fd(), 0usize..60_000, prop::option::of(unix_name()))
            .prop_map(|(fd, len, to)| Op::UnixSendTo { fd, len, to, dontwait: false }),
        2 => (fd(), 0usize..3000, any::<bool>(), any::<bool>()).prop_map(|(fd, len, peek, trunc)| {
            Op::UnixRecvFrom { fd, len, peek, trunc, dontwait: true }
        }),
        1 => (fd(), any::<bool>()).prop_map(|(fd, peer)| Op::GetUnixName { fd, peer }),
        1 => (0u8..2).prop_map(|k| Op::Unlink { name: UnixName::Path(k) }),
    ]
}

fn unix_name() -> impl Strategy<Value = UnixName> {
    prop_oneof![
        (0u8..2).prop_map(UnixName::Path),
        (0u8..2).prop_map(UnixName::Abstract),
        Just(UnixName::Unnamed),
    ]
}

/// Points the op's fds at open fds (the generated number picks one), so that most ops
/// reach real files instead of failing with EBADF.
fn aim(op: &Op, open: &[Fd]) -> Op {
    let pick = |fd: Fd| match open.len() {
        0 => fd,
        n => open[usize::try_from(fd.0).unwrap() % n],
    };
    let mut op = op.clone();
    match &mut op {
        Op::Dup3 { fd, newfd, .. } | Op::Dup2 { fd, newfd } => {
            *fd = pick(*fd);
            *newfd = pick(*newfd);
        }
        Op::EpollCtl { epfd, fd, data, .. } => {
            *epfd = pick(*epfd);
            *fd = pick(*fd);
            *data = u64::try_from(fd.0).unwrap();
        }
        Op::Bind { fd, .. }
        | Op::Listen { fd, .. }
        | Op::Connect { fd, .. }
        | Op::Accept { fd }
        | Op::SoError { fd }
        | Op::SetSockOpt { fd, .. }
        | Op::Shutdown { fd, .. }
        | Op::Read { fd, .. }
        | Op::Write { fd, .. }
        | Op::Close { fd }
        | Op::Dup { fd }
        | Op::Fcntl { fd, .. }
        | Op::Fionread { fd }
        | Op::EventFdRead { fd, .. }
        | Op::EventFdWrite { fd, .. }
        | Op::EpollWait { epfd: fd, .. }
        | Op::EpollPwait { epfd: fd, .. }
        | Op::SendTo { fd, .. }
        | Op::RecvFrom { fd, .. }
        | Op::GetSockOpt { fd, .. }
        | Op::UnixBind { fd, .. }
        | Op::UnixConnect { fd, .. }
        | Op::UnixAccept { fd }
        | Op::UnixSendTo { fd, .. }
        | Op::UnixRecvFrom { fd, .. }
        | Op::GetUnixName { fd, .. } => *fd = pick(*fd),
        Op::Poll { fds, .. } => {
            for (fd, _) in fds.iter_mut() {
                *fd = pick(*fd);
            }
        }
        Op::Socket
        | Op::UdpSocket
        | Op::Pipe
        | Op::Pipe2 { .. }
        | Op::EventFd { .. }
        | Op::EventFd2 { .. }
        | Op::EpollCreate
        | Op::Settle
        | Op::UnixSocket { .. }
        | Op::SocketPair { .. }
        | Op::Unlink { .. } => {}
    }
    op
}

/// One allowed outcome, chosen by `seed` among all the shapes and within each shape, so that
/// every kind of branch gets followed.
fn pick(allowed: &Allowed, seed: u64) -> Outcome {
    let expects = allowed.expects();
    let choice = &expects[usize::try_from(seed % expects.len() as u64).unwrap()];
    let seed = seed / 7;
    match choice {
        Expect::Is(outcome) => outcome.clone(),
        Expect::Bytes { min, max } => {
            let span = u64::try_from(max - min + 1).unwrap();
            Outcome::Bytes(min + usize::try_from(seed % span).unwrap())
        }
        Expect::Ready {
            maxevents,
            candidates,
        } => {
            let mut chosen: Vec<&Candidate> = candidates.iter().filter(|c| c.required).collect();
            let optional = candidates.iter().filter(|c| !c.required);
            chosen.extend(
                optional
                    .enumerate()
                    .filter(|(i, _)| seed >> i & 1 == 1)
                    .map(|(_, c)| c),
            );
            let list = chosen.iter().take(*maxevents).enumerate().map(|(i, c)| {
                let mask =
                    c.masks[usize::try_from((seed >> (i + 16)) % c.masks.len() as u64).unwrap()];
                crate::Event::new(c.data, mask)
            });
            Outcome::Events(list.collect())
        }
    }
}

/// Runs `ops` through the model alone, returning the outcomes (None: skipped).
/// With `aimed`, each op's fds are first pointed at open fds (see `aim`).
fn run_alone(config: &Config, ops: &[(Op, u64)], aimed: bool) -> Vec<Option<Outcome>> {
    let mut m = Model::new(config.clone());
    let mut outcomes = Vec::new();
    for (op, seed) in ops {
        let op = &if aimed {
            aim(op, &m.open_fds())
        } else {
            op.clone()
        };
        if m.check(op).is_err() {
            outcomes.push(None);
            continue;
        }
        let allowed = match m.allowed(op) {
            Ok(allowed) => allowed,
            Err(Disagreement::TooUncertain { .. }) => break,
            Err(e) => panic!("{e}"),
        };
        let example = allowed.example().expect("every op has an allowed outcome");
        assert!(
            allowed.contains(&example),
            "{op:?}: example {example:?} not in {allowed}"
        );
        let outcome = pick(&allowed, *seed);
        assert!(
            allowed.contains(&outcome),
            "{op:?}: picked {outcome:?} not in {allowed}"
        );
        match m.observe(op, &outcome) {
            Ok(()) | Err(Disagreement::TooUncertain { .. }) => {}
            Err(e) => panic!("the model rejected its own answer: {e}"),
        }
        outcomes.push(Some(outcome));
    }
    outcomes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_model_accepts_its_own_answers_and_is_deterministic(
        ops in prop::collection::vec((op(), any::<u64>()), 1..80),
        small in any::<bool>(),
    ) {
        let config = if small {
            Config { stream_buf_min: 3000, stream_buf_max: 9000, max_worlds: 512, ..Config::default() }
        } else {
            Config { max_worlds: 512, ..Config::default() }
        };
        let first = run_alone(&config, &ops, true);
        let second = run_alone(&config, &ops, true);
        prop_assert_eq!(first, second);
    }
}

/// Network-heavy sequences: a listener on port 0 (fd 3) and an epoll (fd 4) first, then
/// clients, transfers, shutdowns and closes in random order, with or without `Settle`.
fn network_op() -> impl Strategy<Value = Op> {
    let fd = || (5..12).prop_map(Fd);
    let how = prop::sample::select(vec![Shut::Rd, Shut::Wr, Shut::RdWr]);
    let events = prop::sample::select(vec![
        EPOLLIN | EPOLLOUT | EPOLLRDHUP,
        EPOLLIN | EPOLLET,
        EPOLLOUT | EPOLLET,
        EPOLLIN | EPOLLONESHOT,
    ]);
    prop_oneof![
        2 => Just(Op::Socket),
        3 => fd().prop_map(|fd| Op::Connect { fd, port: Port(0) }),
        3 => Just(Op::Accept { fd: Fd(3) }),
        3 => Just(Op::Settle),
        3 => (fd(), 1usize..6000).prop_map(|(fd, len)| Op::Read { fd, len }),
        3 => (fd(), 1usize..6000).prop_map(|(fd, len)| Op::Write { fd, len }),
        1 => (fd(), how).prop_map(|(fd, how)| Op::Shutdown { fd, how }),
        1 => fd().prop_map(|fd| Op::SoError { fd }),
        1 => fd().prop_map(|fd| Op::Close { fd }),
        2 => (fd(), events).prop_map(|(fd, events)| Op::EpollCtl {
            epfd: Fd(4),
            op: Ctl::Add,
            fd,
            events,
            data: 0,
        }),
        2 => (1i32..4).prop_map(|maxevents| Op::EpollWait { epfd: Fd(4), maxevents }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_model_follows_any_of_its_answers_through_connections(
        ops in prop::collection::vec((network_op(), any::<u64>()), 1..60),
        backlog in 0i32..3,
    ) {
        let config = Config {
            stream_buf_min: 3000,
            stream_buf_max: 9000,
            max_worlds: 512,
            ..Config::default()
        };
        let setup = [
            Op::Socket,
            Op::Bind { fd: Fd(3), port: Port(0) },
            Op::Listen { fd: Fd(3), backlog },
            Op::EpollCreate,
        ];
        let mut all: Vec<(Op, u64)> = setup.into_iter().map(|op| (op, 0)).collect();
        all.extend(ops);
        let first = run_alone(&config, &all, false);
        let second = run_alone(&config, &all, false);
        prop_assert_eq!(first, second);
    }
}
