//! `mio-example-tcp-server`, `mio-example-udp-server`: mio's own examples, compiled
//! against `simkern::mio` with one `use` line changed, served to simulated clients.
//!
//! `tcp_server` and `udp_server` are the files of mio's `examples/` directory (the version in
//! `Cargo.lock`, found by `build.rs`), `include!`d into modules where `mio` names
//! `simkern::mio`, with one `use` line changed: `tcp_server`'s `HashMap` is a `BTreeMap` under
//! the same name, because when its `main` returns an error it drops the map, and a
//! `HashMap` closes the connections in its hasher's random order (found by the replay test:
//! two runs of one seed differed in their close order). Beside them each module supplies what the
//! examples call that is not mio: `env_logger::init` and `log::warn!` (no-ops), and a
//! `println!` that formats and drops its text, so thousands of seeds print nothing. Each
//! example's `main` runs as the server thread, on 127.0.0.1:9000 as written.
//!
//! The examples treat any error other than `WouldBlock` and `EINTR` on a read or write as
//! fatal (they return it from `main`), so every thread here, the example's too, is harness:
//! exempt from injected faults. The runs
//! explore schedules and the kernel's freedoms (ready order, short writes, latency), where
//! every failure is a real disagreement between the example, the simulated kernel and the
//! clients, and `nightly` over the fixed-like variants stays clean. With the example's thread
//! under faults (spawned before `harness`, as first written), `--faults default` stopped
//! `tcp_server` on 137 of 500 seeds (first `EMFILE` from `accept`) and `udp_server` on 117 of
//! 300 (`ENOMEM` from `recv_from`): what the examples' comments say in words (measured while
//! a nonblocking call could still be given `EINTR`).

use super::mio_link::{pause, Link};
use simkern_sim::scenario::{Param, Scenario, Setup};
use std::net::SocketAddr;

/// mio's `examples/tcp_server.rs`, its `HashMap` a `BTreeMap`.
#[allow(clippy::all)]
pub mod tcp_server {
    use simkern_sim::mio;
    macro_rules! println {
        ($($t:tt)*) => {{
            let _ = format!($($t)*);
        }};
    }
    mod env_logger {
        pub fn init() {}
    }
    include!(concat!(env!("SIMKERN_MIO_EXAMPLES"), "/tcp_server.rs"));

    /// The example's `main`.
    pub fn run() -> std::io::Result<()> {
        main()
    }
}

/// mio's `examples/udp_server.rs`, as written.
#[allow(clippy::all)]
pub mod udp_server {
    use simkern_sim::mio;
    macro_rules! println {
        ($($t:tt)*) => {{
            let _ = format!($($t)*);
        }};
    }
    mod env_logger {
        pub fn init() {}
    }
    mod log {
        // Named apart from the built-in `warn` attribute, exported as `warn` (as `log` does).
        macro_rules! log_warn {
            ($($t:tt)*) => {{
                let _ = format!($($t)*);
            }};
        }
        pub(crate) use log_warn as warn;
    }
    include!(concat!(env!("SIMKERN_MIO_EXAMPLES"), "/udp_server.rs"));

    /// The example's `main`.
    pub fn run() -> std::io::Result<()> {
        main()
    }
}

/// Where both examples listen, as written in them.
pub const EXAMPLE_ADDR: &str = "127.0.0.1:9000";
/// What `tcp_server` writes to each connection first, as written in it.
pub const GREETING: &[u8] = b"Hello world!\n";

pub const TCP_SERVER: Scenario = Scenario {
    name: "mio-example-tcp-server",
    about:
        "mio's own examples/tcp_server.rs on simkern::mio (its HashMap a BTreeMap), greeting simulated clients",
    variants: &["example"],
    params: &[Param {
        name: "clients",
        default: 3,
        min: 1,
        max: 100,
        about: "client threads, one connection each",
    }],
    kernel: &[],
    build: build_tcp,
};

fn build_tcp(setup: &Setup) -> Box<dyn FnOnce()> {
    let clients = setup.param("clients");
    Box::new(move || {
        let addr: SocketAddr = EXAMPLE_ADDR.parse().expect("valid address");
        // Before the spawn: the example's thread inherits it (see the module docs).
        simkern_sim::harness();
        simkern_sim::mio::thread::spawn("tcp_server", || {
            if let Err(e) = tcp_server::run() {
                panic!("mio's tcp_server example returned an error: {e}");
            }
        })
        .expect("spawn the example");
        let threads: Vec<_> = (0..clients)
            .map(|c| {
                simkern_sim::mio::thread::spawn(&format!("client{c}"), move || greeted(addr, c))
                    .expect("spawn a client")
            })
            .collect();
        for t in threads {
            t.join();
        }
        // The example serves forever; the run ends when the clients are done.
    })
}

pub const UDP_SERVER: Scenario = Scenario {
    name: "mio-example-udp-server",
    about: "mio's own examples/udp_server.rs, as written, on simkern::mio, echoing simulated clients' datagrams",
    variants: &["example"],
    params: &[
        Param { name: "clients", default: 3, min: 1, max: 100, about: "client threads, one socket each" },
        Param { name: "datagrams", default: 4, min: 1, max: 1000, about: "datagrams each client sends, one at a time" },
    ],
    kernel: &[],
    build: build_udp,
};

/// Sends of one datagram before a client gives up on its echo (a datagram sent before the
/// example has bound is lost, as on Linux: nobody answers an unconnected sender).
const UDP_ATTEMPTS_MAX: u32 = 100;

fn build_udp(setup: &Setup) -> Box<dyn FnOnce()> {
    let (clients, datagrams) = (setup.param("clients"), setup.param("datagrams"));
    Box::new(move || {
        let addr: SocketAddr = EXAMPLE_ADDR.parse().expect("valid address");
        simkern_sim::harness(); // Before the spawn, as for tcp_server.
        simkern_sim::mio::thread::spawn("udp_server", || {
            if let Err(e) = udp_server::run() {
                panic!("mio's udp_server example returned an error: {e}");
            }
        })
        .expect("spawn the example");
        let threads: Vec<_> = (0..clients)
            .map(|c| {
                simkern_sim::mio::thread::spawn(&format!("client{c}"), move || {
                    echoed(addr, c, datagrams)
                })
                .expect("spawn a client")
            })
            .collect();
        for t in threads {
            t.join();
        }
    })
}

/// Sends each datagram until its echo comes back whole, from the example's address.
fn echoed(addr: SocketAddr, client: u64, datagrams: u64) {
    use simkern_sim::mio::net::UdpSocket;
    use simkern_sim::mio::{Events, Interest, Poll, Token};
    use std::io::ErrorKind;
    let mut poll = Poll::new().expect("client poll");
    let mut events = Events::with_capacity(4);
    let mut socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).expect("client bind");
    poll.registry()
        .register(&mut socket, Token(0), Interest::READABLE)
        .expect("client register");
    for d in 0..datagrams {
        let message = format!("client {client} datagram {d}");
        let mut buf = [0u8; 64];
        let echo = (0..UDP_ATTEMPTS_MAX).find_map(|_| {
            socket
                .send_to(message.as_bytes(), addr)
                .expect("client send_to");
            // Whatever is queued, then one wait for more.
            for waited in [false, true] {
                if waited {
                    let _ = poll.poll(&mut events, Some(super::mio_link::CLIENT_POLL));
                }
                loop {
                    match socket.recv_from(&mut buf) {
                        Ok((n, from)) => {
                            assert_eq!(from, addr, "client {client}: a datagram from a stranger");
                            if &buf[..n] == message.as_bytes() {
                                return Some(n);
                            }
                            // An echo of an earlier resend of an earlier datagram: skip it.
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => panic!("client {client}: recv_from: {e}"),
                    }
                }
            }
            None
        });
        assert!(
            echo.is_some(),
            "client {client}: no echo of datagram {d} after {UDP_ATTEMPTS_MAX} sends"
        );
    }
}

/// Connects (retrying until the example listens), reads the greeting whole, says something
/// back, closes.
fn greeted(addr: SocketAddr, client: u64) {
    let mut link = loop {
        let link = Link::connect(addr);
        if !link.failed() {
            break link;
        }
        pause(); // Refused: the example has not bound yet.
    };
    let text = std::str::from_utf8(GREETING).expect("the greeting is text");
    link.expect(text.trim_end())
        .unwrap_or_else(|_| panic!("client {client}: the example closed before its greeting"));
    link.send(&format!("hi from client {client}"))
        .unwrap_or_else(|_| panic!("client {client}: the example closed before reading"));
}
