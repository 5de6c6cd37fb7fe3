//! Registration through `simkern::mio`: edge-triggered delivery, `reregister`, `deregister`,
//! `Events` capacity as `maxevents`, and the errors mio documents.

use crate::support::{both_kernels, poll_retrying, wait_for};
use simkern::mio::net::{TcpListener, TcpStream};
use simkern::mio::unix::pipe;
use simkern::mio::{Events, Interest, Poll, Token};
use std::io::{ErrorKind, Read, Write};
use std::time::Duration;

both_kernels!(
    an_edge_is_reported_once_until_new_data_arrives,
    edge_triggered
);
both_kernels!(
    reregister_changes_interest_and_deregister_stops_events,
    reregister_and_deregister
);
both_kernels!(events_capacity_bounds_each_poll, capacity_is_maxevents);
both_kernels!(registering_twice_is_an_error, register_twice);

const ZERO: Option<Duration> = Some(Duration::ZERO);

fn tokens(events: &Events) -> Vec<Token> {
    events.iter().map(|e| e.token()).collect()
}

/// Readable data left unread is not reported again (`EPOLLET`), until more arrives.
fn edge_triggered() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let (mut tx, mut rx) = pipe::new().unwrap();
    poll.registry()
        .register(&mut rx, Token(7), Interest::READABLE)
        .unwrap();
    tx.write_all(b"one").unwrap();
    wait_for(&mut poll, &mut events, Token(7), |e| e.is_readable());
    poll_retrying(&mut poll, &mut events, ZERO);
    assert!(events.is_empty(), "the edge was consumed: {events:?}");
    tx.write_all(b"two").unwrap();
    wait_for(&mut poll, &mut events, Token(7), |e| e.is_readable());
    let mut buf = [0u8; 16];
    assert_eq!(rx.read(&mut buf).unwrap(), 6, "both writes are in the pipe");
}

/// A connected stream is writable at once; registered readable only, it is silent; moved to
/// writable, it reports; deregistered, it reports nothing though it stays writable.
fn reregister_and_deregister() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)
        .unwrap();
    let mut stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    wait_for(&mut poll, &mut events, Token(0), |e| e.is_readable());
    let (_server_side, _) = listener.accept().unwrap();
    poll.registry()
        .register(&mut stream, Token(1), Interest::READABLE)
        .unwrap();
    poll_retrying(&mut poll, &mut events, ZERO);
    assert!(!tokens(&events).contains(&Token(1)), "{events:?}");
    poll.registry()
        .reregister(&mut stream, Token(2), Interest::WRITABLE)
        .unwrap();
    wait_for(&mut poll, &mut events, Token(2), |e| e.is_writable());
    poll.registry().deregister(&mut stream).unwrap();
    poll.registry()
        .reregister(&mut listener, Token(0), Interest::READABLE)
        .unwrap();
    poll_retrying(&mut poll, &mut events, ZERO);
    assert!(events.is_empty(), "nothing registered is ready: {events:?}");
    let err = poll.registry().deregister(&mut stream).unwrap_err();
    assert_eq!(
        err.raw_os_error(),
        Some(libc::ENOENT),
        "deregistering twice: {err}"
    );
}

/// Three ready pipes and room for one event: each poll returns one, and over three polls all
/// three are seen (epoll_wait round-robins through the ready list).
fn capacity_is_maxevents() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(1);
    assert_eq!(events.capacity(), 1);
    let mut ends = Vec::new();
    for i in 0..3 {
        let (mut tx, mut rx) = pipe::new().unwrap();
        poll.registry()
            .register(&mut rx, Token(i), Interest::READABLE)
            .unwrap();
        tx.write_all(b"x").unwrap();
        ends.push((tx, rx));
    }
    let mut seen = Vec::new();
    while seen.len() < 3 {
        poll_retrying(&mut poll, &mut events, Some(Duration::from_millis(100)));
        assert!(events.iter().count() <= 1, "maxevents is the capacity");
        seen.extend(tokens(&events));
    }
    seen.sort();
    assert_eq!(seen, [Token(0), Token(1), Token(2)]);
}

/// mio: registering a registered source is an error (`EEXIST` from `EPOLL_CTL_ADD`).
fn register_twice() {
    let poll = Poll::new().unwrap();
    let (_tx, mut rx) = pipe::new().unwrap();
    poll.registry()
        .register(&mut rx, Token(0), Interest::READABLE)
        .unwrap();
    let err = poll
        .registry()
        .register(&mut rx, Token(1), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EEXIST), "{err}");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
}
