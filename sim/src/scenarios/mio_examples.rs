//! `mio-example-tcp-server`, `mio-example-udp-server`: mio's own examples, compiled unchanged
//! against `simkern::mio`, served to simulated clients.
//!
//! `tcp_server` and `udp_server` are the files of mio's `examples/` directory (the version in
//! `Cargo.lock`, found by `build.rs`), `include!`d verbatim into modules where `mio` names
//! `simkern::mio`: not one line of theirs is edited. Beside them each module supplies what the
//! examples call that is not mio: `env_logger::init` and `log::warn!` (no-ops), and a
//! `println!` that formats and drops its text, so thousands of seeds print nothing. Each
//! example's `main` runs as the server thread, on 127.0.0.1:9000 as written.
//!
//! The examples treat any error other than `WouldBlock` and `EINTR` as fatal (they return
//! it from `main`), so under injected faults they stop serving: the scenarios are meant for
//! `--faults none`, where every failure is a real disagreement between the example, the
//! simulated kernel and the clients. The examples use `std::collections::HashMap` for their
//! connections (lookups only, never iterated: nothing depends on its random order).

use super::mio_link::{pause, Link};
use crate::scenario::{Param, Scenario, Setup};
use std::net::SocketAddr;

/// mio's `examples/tcp_server.rs`, unchanged.
#[allow(clippy::disallowed_types, clippy::all)]
pub mod tcp_server {
    use crate::mio;
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

/// Where both examples listen, as written in them.
pub const EXAMPLE_ADDR: &str = "127.0.0.1:9000";
/// What `tcp_server` writes to each connection first, as written in it.
pub const GREETING: &[u8] = b"Hello world!\n";

pub const TCP_SERVER: Scenario = Scenario {
    name: "mio-example-tcp-server",
    about:
        "mio's own examples/tcp_server.rs, unchanged on simkern::mio, greeting simulated clients",
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
        // The example is the code under test: spawned before `harness`, it may see faults.
        crate::mio::thread::spawn("tcp_server", || {
            if let Err(e) = tcp_server::run() {
                panic!("mio's tcp_server example returned an error: {e}");
            }
        })
        .expect("spawn the example");
        crate::harness();
        let threads: Vec<_> = (0..clients)
            .map(|c| {
                crate::mio::thread::spawn(&format!("client{c}"), move || greeted(addr, c))
                    .expect("spawn a client")
            })
            .collect();
        for t in threads {
            t.join();
        }
        // The example serves forever; the run ends when the clients are done.
    })
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
