//! tokio on Simkern's mio: a tokio `current_thread` echo server and a client written on
//! `simkern::mio`, first on real epoll (OS threads, an ephemeral port), then on the simulated
//! kernel over `SEEDS` seeds (simulated threads, a fixed virtual port), each seed twice: both
//! runs must complete and give one trace hash. Exits 1 on any failure.
//!
//! `cargo run --manifest-path examples/tokio-on-simkern/Cargo.toml [SEEDS]`

use simkern::mio::net::TcpStream;
use simkern::mio::{Events, Interest, Poll, Token};
use simkern::sim::runner::{run, Config};
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::sync::mpsc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ROUNDS: usize = 5;
/// The server's port on the simulated kernel, where no one else holds ports.
const SIM_ADDR: &str = "127.0.0.1:7000";

/// The tokio server: one connection, echoed until the client closes.
fn serve(bind: SocketAddr, bound: mpsc::Sender<SocketAddr>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("a tokio runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind).await.expect("bind");
        let _ = bound.send(listener.local_addr().expect("local_addr"));
        let (mut conn, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 64];
        loop {
            let n = conn.read(&mut buf).await.expect("read");
            if n == 0 {
                break;
            }
            conn.write_all(&buf[..n]).await.expect("write");
        }
    });
}

/// The client, on simkern::mio: connects (again while refused: the server may not listen
/// yet), then `ROUNDS` round trips, each checked.
fn client(addr: SocketAddr) {
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(8);
    let mut stream = loop {
        let mut s = TcpStream::connect(addr).expect("connect");
        poll.registry()
            .register(&mut s, Token(0), Interest::READABLE | Interest::WRITABLE)
            .expect("register");
        poll.poll(&mut events, None).expect("poll");
        if s.take_error().expect("SO_ERROR").is_none() && s.peer_addr().is_ok() {
            break s;
        }
        poll.registry().deregister(&mut s).expect("deregister");
    };
    for round in 0..ROUNDS {
        let msg = format!("round {round}");
        stream.write_all(msg.as_bytes()).expect("write");
        let mut got = Vec::new();
        while got.len() < msg.len() {
            let mut buf = [0u8; 64];
            match stream.read(&mut buf) {
                Ok(0) => panic!("the server closed after {got:?}"),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    poll.poll(&mut events, None).expect("poll")
                }
                Err(e) => panic!("read: {e}"),
            }
        }
        assert_eq!(got, msg.as_bytes(), "round {round} came back changed");
    }
}

/// Server and client on two threads of the calling thread's kernel. On the real kernel the
/// client waits for the ephemeral port; on the simulated one it connects to `SIM_ADDR`
/// (a blocking wait there would stop the only OS thread).
fn echo(simulated: bool) {
    let (tx, rx) = mpsc::channel();
    let bind: SocketAddr = if simulated { SIM_ADDR } else { "127.0.0.1:0" }
        .parse()
        .expect("an address");
    let server = simkern::thread::spawn("tokio-server", move || serve(bind, tx)).expect("spawn");
    let addr = if simulated {
        bind
    } else {
        rx.recv().expect("the server's address")
    };
    let client = simkern::thread::spawn("mio-client", move || client(addr)).expect("spawn");
    client.join();
    server.join();
}

fn main() {
    let seeds: u64 = std::env::args()
        .nth(1)
        .map_or(50, |s| s.parse().expect("SEEDS: a number"));
    echo(false);
    println!("real epoll: {ROUNDS} round trips");
    let mut bad = 0;
    for seed in 0..seeds {
        let config = Config::new(seed);
        let (a, b) = (run(&config, || echo(true)), run(&config, || echo(true)));
        if !a.passed() || a.trace_hash != b.trace_hash {
            bad += 1;
            println!(
                "seed {seed}: {:?}; trace hashes {:#x} and {:#x}",
                a.stop, a.trace_hash, b.trace_hash
            );
        }
    }
    println!("simulated kernel: {seeds} seeds, each twice, {bad} failed or differed");
    std::process::exit(i32::from(bad > 0));
}
