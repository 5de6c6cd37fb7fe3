//! TCP through `simkern::mio`: the shapes mio's `tcp` tests check, on both kernels.

use crate::support::{both_kernels, poll_retrying, wait_for, would_block};
use simkern::mio::net::{TcpListener, TcpStream};
use simkern::mio::{Events, Interest, Poll, Token};
use simkern::thread;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};

const LISTENER: Token = Token(0);
const CONN: Token = Token(1);
const ACCEPT: Token = Token(2);
const PEER: Token = Token(3);
const MESSAGES: usize = 8;
const MESSAGE: &[u8] = b"hello through simkern::mio\n";

both_kernels!(echo_round_trips_reach_the_client_whole, echo_round_trips);
both_kernels!(a_refused_connect_shows_in_take_error, refused_connect);
both_kernels!(
    shutdown_write_reads_as_end_of_stream_at_the_peer,
    shutdown_write
);
both_kernels!(
    nodelay_reads_back_what_set_nodelay_set_on_both_ends,
    nodelay_round_trip
);
both_kernels!(
    ttl_reads_back_is_inherited_on_accept_and_refuses_out_of_range,
    ttl_round_trip
);

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// The next connection on `listener` (registered for `ACCEPT` on `poll`), waiting for it.
fn accept_one(listener: &TcpListener, poll: &mut Poll, events: &mut Events) -> TcpStream {
    loop {
        match listener.accept() {
            Ok((s, _)) => return s,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                wait_for(poll, events, ACCEPT, |e| e.is_readable())
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
}

/// A server on one connection: echoes until the client closes, with writes left over after
/// `WouldBlock` kept until the next writable event (mio's documented pattern).
fn echo_round_trips() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut listener = TcpListener::bind(local()).unwrap();
    let addr = listener.local_addr().unwrap();
    assert_eq!(addr.ip(), local().ip());
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let client = thread::spawn("client", move || client(addr)).unwrap();

    let mut conn: Option<TcpStream> = None;
    let mut pending: Vec<u8> = Vec::new();
    let mut echoed = 0;
    'serve: loop {
        poll_retrying(&mut poll, &mut events, None);
        for event in events.iter() {
            match event.token() {
                LISTENER => loop {
                    match listener.accept() {
                        Ok((mut stream, peer)) => {
                            assert!(conn.is_none(), "one client connects once");
                            assert_eq!(peer, stream.peer_addr().unwrap(), "accept names the peer");
                            poll.registry()
                                .register(
                                    &mut stream,
                                    CONN,
                                    Interest::READABLE | Interest::WRITABLE,
                                )
                                .unwrap();
                            conn = Some(stream);
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => panic!("accept: {e}"),
                    }
                },
                CONN => {
                    let stream = conn.as_mut().expect("an event for an accepted stream");
                    let mut buf = [0u8; 64];
                    loop {
                        match stream.read(&mut buf) {
                            Ok(0) => break 'serve,
                            Ok(n) => pending.extend_from_slice(&buf[..n]),
                            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                            Err(e) => panic!("server read: {e}"),
                        }
                    }
                    while !pending.is_empty() {
                        match stream.write(&pending) {
                            Ok(n) => {
                                echoed += n;
                                pending.drain(..n);
                            }
                            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                            Err(e) => panic!("server write: {e}"),
                        }
                    }
                }
                other => panic!("event for unknown {other:?}"),
            }
        }
    }
    assert!(pending.is_empty(), "the client closed before its echo");
    assert_eq!(echoed, MESSAGES * MESSAGE.len());
    client.join();
}

/// Connects, learns the outcome on the first writable event, then sends each message and
/// reads its echo back whole before the next.
fn client(addr: SocketAddr) {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let mut stream = TcpStream::connect(addr).unwrap();
    poll.registry()
        .register(&mut stream, CONN, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    wait_for(&mut poll, &mut events, CONN, |e| e.is_writable());
    assert!(stream.take_error().unwrap().is_none(), "connect failed");
    stream.set_nodelay(true).unwrap();
    for _ in 0..MESSAGES {
        let mut sent = 0;
        while sent < MESSAGE.len() {
            match stream.write(&MESSAGE[sent..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    wait_for(&mut poll, &mut events, CONN, |e| e.is_writable())
                }
                Err(e) => panic!("client write: {e}"),
            }
        }
        let mut got = Vec::new();
        while got.len() < MESSAGE.len() {
            let mut buf = [0u8; 64];
            match stream.read(&mut buf) {
                Ok(0) => panic!("server closed mid-echo"),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    wait_for(&mut poll, &mut events, CONN, |e| e.is_readable())
                }
                Err(e) => panic!("client read: {e}"),
            }
        }
        assert_eq!(got, MESSAGE);
    }
}

/// A port nobody listens on: bind a listener for a free port and close it. `connect` may fail
/// at once or (usual on Linux, and mio's documented case) start, with `ECONNREFUSED` waiting
/// in `SO_ERROR` by the first writable or error event.
fn refused_connect() {
    let closed = TcpListener::bind(local()).unwrap().local_addr().unwrap();
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let mut stream = match TcpStream::connect(closed) {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
            return;
        }
        Ok(stream) => stream,
    };
    poll.registry()
        .register(&mut stream, CONN, Interest::WRITABLE)
        .unwrap();
    wait_for(&mut poll, &mut events, CONN, |e| {
        e.is_writable() || e.is_error()
    });
    let event = events.iter().find(|e| e.token() == CONN).unwrap();
    assert!(
        event.is_error(),
        "a refused connect reports EPOLLERR: {event:?}"
    );
    assert!(event.is_write_closed(), "and EPOLLHUP: {event:?}");
    let error = stream
        .take_error()
        .unwrap()
        .expect("SO_ERROR holds the refusal");
    assert_eq!(error.raw_os_error(), Some(libc::ECONNREFUSED));
    assert!(
        stream.take_error().unwrap().is_none(),
        "reading SO_ERROR clears it"
    );
}

/// `shutdown(Write)` is a FIN: the peer's read returns 0 after the data sent before it, and
/// its event says read-closed.
fn shutdown_write() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let mut listener = TcpListener::bind(local()).unwrap();
    let addr = listener.local_addr().unwrap();
    poll.registry()
        .register(&mut listener, ACCEPT, Interest::READABLE)
        .unwrap();
    let mut client = TcpStream::connect(addr).unwrap();
    poll.registry()
        .register(&mut client, CONN, Interest::WRITABLE)
        .unwrap();
    wait_for(&mut poll, &mut events, CONN, |e| e.is_writable());
    let mut server = accept_one(&listener, &mut poll, &mut events);
    assert_eq!(client.write(b"last words").unwrap(), 10);
    client.shutdown(Shutdown::Write).unwrap();
    poll.registry()
        .register(&mut server, PEER, Interest::READABLE)
        .unwrap();
    wait_for(&mut poll, &mut events, PEER, |e| e.is_read_closed());
    let mut got = Vec::new();
    let mut buf = [0u8; 32];
    loop {
        let r = server.read(&mut buf);
        if would_block(&r) {
            wait_for(&mut poll, &mut events, PEER, |e| e.is_readable());
            continue;
        }
        match r.unwrap() {
            0 => break,
            n => got.extend_from_slice(&buf[..n]),
        }
    }
    assert_eq!(got, b"last words");
    assert!(
        matches!(client.write(b"x"), Err(e) if e.kind() == ErrorKind::BrokenPipe),
        "writing after shutdown(Write) is EPIPE"
    );
}

/// `nodelay()` is `getsockopt(TCP_NODELAY)`: Nagle is on by default on both ends of a
/// connection (a listener mio cannot set it on passes on the default), and it reads back
/// each `set_nodelay`.
fn nodelay_round_trip() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let mut listener = TcpListener::bind(local()).unwrap();
    poll.registry()
        .register(&mut listener, ACCEPT, Interest::READABLE)
        .unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    assert!(!client.nodelay().unwrap(), "Nagle is on by default");
    client.set_nodelay(true).unwrap();
    assert!(client.nodelay().unwrap(), "set_nodelay(true) reads back");
    let server = accept_one(&listener, &mut poll, &mut events);
    assert!(
        !server.nodelay().unwrap(),
        "the accepted end has its listener's default, not the client's setting"
    );
    server.set_nodelay(true).unwrap();
    client.set_nodelay(false).unwrap();
    assert!(server.nodelay().unwrap(), "each end keeps its own setting");
    assert!(!client.nodelay().unwrap(), "set_nodelay(false) reads back");
}

/// `ttl()` is `getsockopt(IP_TTL)`: the system's default until `set_ttl`, which takes 1 to
/// 255 (0 and 256 are `EINVAL`, and `u32::MAX`, -1 as a C `int`, restores the default); a
/// stream accepted after the listener's `set_ttl` carries the listener's TTL.
fn ttl_round_trip() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let mut listener = TcpListener::bind(local()).unwrap();
    let default = listener.ttl().unwrap();
    assert!((1..=255).contains(&default), "default TTL {default}");
    for bad in [0, 256] {
        let e = listener.set_ttl(bad).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL), "set_ttl({bad}): {e}");
    }
    assert_eq!(
        listener.ttl().unwrap(),
        default,
        "a refused set_ttl changed it"
    );
    listener.set_ttl(7).unwrap();
    poll.registry()
        .register(&mut listener, ACCEPT, Interest::READABLE)
        .unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    assert_eq!(
        client.ttl().unwrap(),
        default,
        "a new socket has the default"
    );
    let server = accept_one(&listener, &mut poll, &mut events);
    assert_eq!(
        server.ttl().unwrap(),
        7,
        "the accepted end has its listener's TTL"
    );
    client.set_ttl(255).unwrap();
    assert_eq!(client.ttl().unwrap(), 255);
    client.set_ttl(u32::MAX).unwrap();
    assert_eq!(client.ttl().unwrap(), default, "-1 restores the default");
}
