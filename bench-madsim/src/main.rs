//! `madsim-echo`: Simkern's `echo` scenario on madsim 0.2, timed in real time, for the peers
//! comparison in `benches/peers`.
//!
//! One server node and `--clients` client nodes on madsim's simulated network. Each client
//! connects once, then does `--rounds` round trips of `--size` bytes: write the message,
//! flush, read the echo back whole, check every byte. The server echoes whatever it reads.
//! Prints one JSON line, `{"round_trips": N, "wall_s": X}`, and exits 0; a mismatched echo or
//! a failed connection exits 1 with a message, bad flags exit 2.
//!
//! Wall time covers building the runtime and its nodes, running to completion and dropping
//! the runtime; not process start-up. It is read outside `block_on`: madsim overrides libc's
//! `clock_gettime`, and only inside a runtime's context does it return simulated time.
//!
//! madsim runs with its defaults: seed 0, no packet loss, send latency drawn from 1..10 ms
//! (`madsim::net::Config::default`), buggify off. Nothing was tuned for speed.

// Timing the peer in real time, outside the simulation: the repository's clippy.toml bans
// are for sim-run code.
#![allow(clippy::disallowed_methods)]

#[cfg(not(madsim))]
compile_error!("madsim-echo needs `RUSTFLAGS=\"--cfg madsim\"`: build it with bench-madsim/run.sh");

use madsim::net::{TcpListener, TcpStream};
use madsim::runtime::Runtime;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

/// Where the server listens.
const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 7000);
/// Client nodes take addresses 10.1.x.y, so at most this many.
const CLIENTS_MAX: usize = 65_000;
/// Bytes one server read asks for (`real_echo::SERVER_READ_BUF`).
const SERVER_READ_BUF: usize = 4096;

/// The command line: `--clients C --rounds M --size S`.
struct Args {
    clients: usize,
    rounds: usize,
    size: usize,
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut clients, mut rounds, mut size) = (None, None, None);
    while let Some(flag) = argv.next() {
        let slot = match flag.as_str() {
            "--clients" => &mut clients,
            "--rounds" => &mut rounds,
            "--size" => &mut size,
            _ => return Err(format!("unknown argument {flag:?}")),
        };
        let value = argv.next().ok_or(format!("{flag} needs a value"))?;
        let n: usize = value
            .parse()
            .map_err(|e| format!("{flag} {value:?}: {e}"))?;
        if n == 0 {
            return Err(format!("{flag} {value:?}: must be at least 1"));
        }
        *slot = Some(n);
    }
    let args = Args {
        clients: clients.ok_or("--clients is required")?,
        rounds: rounds.ok_or("--rounds is required")?,
        size: size.ok_or("--size is required")?,
    };
    if args.clients > CLIENTS_MAX {
        return Err(format!(
            "--clients {}: at most CLIENTS_MAX = {CLIENTS_MAX}",
            args.clients
        ));
    }
    Ok(args)
}

/// The message of `client`'s round `seq`: the sequence number, then a filler that differs per
/// client and per round, so a misrouted or stale echo fails the check (as `real_echo` does).
fn fill_message(msg: &mut [u8], client: usize, seq: u64) {
    let head = msg.len().min(8);
    msg[..head].copy_from_slice(&seq.to_le_bytes()[..head]);
    let salt = (seq.wrapping_mul(31) ^ client as u64) as u8;
    for (j, b) in msg[head..].iter_mut().enumerate() {
        *b = j as u8 ^ salt;
    }
}

/// One client: connect, then `rounds` checked round trips.
async fn client(id: usize, rounds: usize, size: usize) -> Result<(), String> {
    let mut stream = TcpStream::connect(SERVER)
        .await
        .map_err(|e| format!("client {id}: connect {SERVER}: {e}"))?;
    let mut sent = vec![0u8; size];
    let mut echo = vec![0u8; size];
    for round in 0..rounds {
        fill_message(&mut sent, id, round as u64);
        let io = |e| format!("client {id} round {round}: {e}");
        stream.write_all(&sent).await.map_err(io)?;
        // madsim's `TcpStream` buffers writes until a flush: without it nothing is sent.
        stream.flush().await.map_err(io)?;
        stream.read_exact(&mut echo).await.map_err(io)?;
        if let Some(at) = sent.iter().zip(&echo).position(|(s, e)| s != e) {
            return Err(format!(
                "client {id} round {round}: echo byte {at} is {:#04x}, sent {:#04x}",
                echo[at], sent[at]
            ));
        }
    }
    Ok(())
}

/// The server: one task per connection, echoing whatever it reads until the peer goes away.
async fn serve(listener: TcpListener) {
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .expect("madsim accept failed with no faults injected");
        madsim::task::spawn(async move {
            let mut buf = vec![0u8; SERVER_READ_BUF];
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if stream.write_all(&buf[..n]).await.is_err()
                            || stream.flush().await.is_err()
                        {
                            return;
                        }
                    }
                }
            }
        });
    }
}

/// Runs the whole echo on a fresh runtime; returns the first client's error, if any.
fn echo(args: &Args) -> Result<(), String> {
    let rt = Runtime::new();
    let server = rt.create_node().name("server").ip(SERVER.ip()).build();
    let clients: Vec<_> = (0..args.clients)
        .map(|i| {
            let ip = Ipv4Addr::new(10, 1, (i >> 8) as u8, (i & 0xff) as u8);
            rt.create_node()
                .name(format!("client{i}"))
                .ip(ip.into())
                .build()
        })
        .collect();
    let (rounds, size) = (args.rounds, args.size);
    let result = rt.block_on(async move {
        let (bound_tx, bound_rx) = oneshot::channel();
        server.spawn(async move {
            let listener = TcpListener::bind(SERVER)
                .await
                .expect("madsim bind failed on a fresh node");
            let _ = bound_tx.send(());
            serve(listener).await;
        });
        // Clients connect only once the server listens: no refused connects, no retry loop.
        bound_rx.await.expect("server task ended before binding");
        let tasks: Vec<_> = clients
            .iter()
            .enumerate()
            .map(|(id, node)| node.spawn(client(id, rounds, size)))
            .collect();
        for (id, task) in tasks.into_iter().enumerate() {
            task.await
                .map_err(|e| format!("client {id}: task failed: {e}"))??;
        }
        Ok(())
    });
    drop(rt);
    result
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("madsim-echo: {e}");
            eprintln!("usage: madsim-echo --clients C --rounds M --size S");
            return ExitCode::from(2);
        }
    };
    let start = Instant::now();
    if let Err(e) = echo(&args) {
        eprintln!("madsim-echo: {e}");
        return ExitCode::from(1);
    }
    let wall_s = start.elapsed().as_secs_f64();
    let round_trips = args.clients as u64 * args.rounds as u64;
    println!(r#"{{"round_trips": {round_trips}, "wall_s": {wall_s}}}"#);
    ExitCode::SUCCESS
}
