//! Unix-domain sockets through `simkern::mio`: a stream over a path and over an abstract
//! name, `pair`, the errors of a path nobody listens on, datagrams. Each body takes a base
//! name: on real epoll one unique to this process under the temp dir (removed around the
//! test), on the simulator a fixed one (a name with the pid in it would change the trace).

use crate::support::{wait_for, would_block};
use simkern::mio::net::{UnixDatagram, UnixListener, UnixStream};
use simkern::mio::{Events, Interest, Poll, Token};
use std::io::{ErrorKind, Read, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::SocketAddr;

/// `NAME::on_real_epoll` and `NAME::on_the_simulator` over a body taking a base name.
macro_rules! both_kernels_named {
    ($name:ident, $body:ident) => {
        mod $name {
            #[test]
            fn on_real_epoll() {
                let base = std::env::temp_dir().join(format!(
                    "simkern-mio-{}-{}",
                    std::process::id(),
                    stringify!($name)
                ));
                let base = base.to_str().unwrap().to_owned();
                let clean = || {
                    for ext in ["sock", "a.sock", "b.sock"] {
                        let _ = std::fs::remove_file(format!("{base}.{ext}"));
                    }
                };
                clean();
                super::$body(&base);
                clean();
            }
            #[test]
            fn on_the_simulator() {
                simkern::Check::closure(|| super::$body(concat!("/simkern/", stringify!($name))))
                    .seeds($crate::support::SEEDS)
                    .run()
            }
        }
    };
}

both_kernels_named!(a_stream_over_a_path_echoes_and_ends, stream_over_path);
both_kernels_named!(
    an_abstract_name_needs_no_file_and_frees_on_close,
    abstract_name
);
both_kernels_named!(
    a_path_nobody_listens_on_is_enoent_then_econnrefused,
    connect_errors
);
both_kernels_named!(datagrams_over_paths_and_a_pair, datagrams);

fn read_all(poll: &mut Poll, events: &mut Events, token: Token, s: &mut UnixStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => wait_for(poll, events, token, |e| {
                e.is_readable() || e.is_read_closed()
            }),
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// Listen on a path, connect, accept (the peer is unnamed), write both ways, close: the
/// other side reads to the end, and a write to a closed peer is `EPIPE`.
fn stream_over_path(base: &str) {
    let path = format!("{base}.sock");
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut listener = UnixListener::bind(&path).unwrap();
    assert_eq!(
        listener
            .local_addr()
            .unwrap()
            .as_pathname()
            .unwrap()
            .to_str(),
        Some(path.as_str())
    );
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)
        .unwrap();
    let mut client = UnixStream::connect(&path).unwrap();
    let mut server = loop {
        match listener.accept() {
            Ok((s, peer)) => {
                assert!(peer.is_unnamed(), "an unbound client's address is unnamed");
                break s;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                wait_for(&mut poll, &mut events, Token(0), |e| e.is_readable())
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    assert!(client.peer_addr().unwrap().as_pathname().is_some());
    poll.registry()
        .register(&mut server, Token(1), Interest::READABLE)
        .unwrap();
    client.write_all(b"over the path").unwrap();
    drop(client);
    assert_eq!(
        read_all(&mut poll, &mut events, Token(1), &mut server),
        b"over the path"
    );
    let err = server.write(b"x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{err}");
}

/// An abstract name binds without a file; once its listener closes, the name is free again.
fn abstract_name(base: &str) {
    let name = SocketAddr::from_abstract_name(base.as_bytes()).unwrap();
    let listener = UnixListener::bind_addr(&name).unwrap();
    let err = UnixListener::bind_addr(&name).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EADDRINUSE), "{err}");
    let (a, mut b) = UnixStream::pair().unwrap();
    (&a).write_all(b"paired").unwrap();
    let mut buf = [0u8; 6];
    assert_eq!(b.read(&mut buf).unwrap(), 6);
    assert_eq!(&buf, b"paired");
    drop(listener);
    UnixListener::bind_addr(&name).expect("the abstract name is free after close");
}

/// Nothing at a path: `ENOENT`. A listener's file left after it closed: `ECONNREFUSED`, and
/// binding the path again is `EADDRINUSE` until the file is unlinked.
fn connect_errors(base: &str) {
    let path = format!("{base}.sock");
    let err = UnixStream::connect(&path).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOENT), "{err}");
    drop(UnixListener::bind(&path).unwrap());
    // On real epoll a process that another test thread is spawning (an isolated `Check`'s
    // worker) holds a copy of every fd from its fork to its exec, the closed listener's too:
    // until it execs, the socket lives and a connect is queued on it. Retry past that window
    // (never needed on the simulator, whose kernel no other thread touches).
    let err = (0..1000)
        .find_map(|_| match UnixStream::connect(&path) {
            Err(e) => Some(e),
            Ok(_) => {
                std::thread::sleep(std::time::Duration::from_millis(1));
                None
            }
        })
        .expect("a closed listener's path still accepts connections after 1 s");
    assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED), "{err}");
    let err = UnixListener::bind(&path).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EADDRINUSE), "{err}");
}

/// Datagrams keep their boundaries and name their sender's path; a pair's datagrams name no
/// one; an empty queue would block.
fn datagrams(base: &str) {
    let (pa, pb) = (format!("{base}.a.sock"), format!("{base}.b.sock"));
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let a = UnixDatagram::bind(&pa).unwrap();
    let mut b = UnixDatagram::bind(&pb).unwrap();
    poll.registry()
        .register(&mut b, Token(2), Interest::READABLE)
        .unwrap();
    assert_eq!(a.send_to(b"one", &pb).unwrap(), 3);
    assert_eq!(a.send_to(b"two!", &pb).unwrap(), 4);
    let mut buf = [0u8; 16];
    let mut got = Vec::new();
    while got.len() < 2 {
        match b.recv_from(&mut buf) {
            Ok((n, from)) => {
                assert_eq!(from.as_pathname().unwrap().to_str(), Some(pa.as_str()));
                got.push(buf[..n].to_vec());
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                wait_for(&mut poll, &mut events, Token(2), |e| e.is_readable())
            }
            Err(e) => panic!("recv_from: {e}"),
        }
    }
    assert_eq!(got, [&b"one"[..], b"two!"]);
    assert!(would_block(&b.recv_from(&mut buf)));
    let (x, y) = UnixDatagram::pair().unwrap();
    x.send(b"pair").unwrap();
    let (n, from) = y.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from.is_unnamed()), (&b"pair"[..], true));
}
