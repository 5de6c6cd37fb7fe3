//! Load-generating echo client on the poller, on the real kernel.
//!
//! `cargo run --release --example echo-client -- 127.0.0.1:7000 --conns 64 --msgs 10000`
//!
//! One loop thread opens `--conns` connections (default 1); each does `--msgs` ping-pong round
//! trips (default 1000) of `--size`-byte messages (default 64): send a message, read the echo
//! back whole, check every byte, repeat. Messages differ per connection and per round trip, so
//! an echo routed to the wrong connection or repeated from an earlier round trip is caught.
//! Prints the total and round trips per second, counted from the moment every connection is
//! established. Exit status: 0 when every echo matched, 1 on a mismatch or any error
//! (connect, reset, early close, stall), 2 on bad arguments.

// A real client on the real backend: it reads the real clock and runs on real threads, which
// the clippy.toml bans (made for sim-run code) would otherwise forbid.
#![allow(clippy::disallowed_methods)]

use simkern::poller::{Handle, LinuxSys, Runtime, TcpStream};
use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

const USAGE: &str = "usage: echo-client ADDR [--conns N] [--msgs M] [--size S]";

/// Most connections: Linux's default ephemeral port range (`net.ipv4.ip_local_port_range`
/// 32768–60999) holds 28,232 ports, so one client address cannot open more to one server.
const MAX_CONNS: u64 = 28_232;
/// Largest message: each connection holds two buffers of this size.
const MAX_SIZE: u64 = 16 << 20;
/// How long one connect may take before the run fails (a blackholed address).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the run may go without any round trip completing before it fails (a hung server).
const STALL_TIMEOUT: Duration = Duration::from_secs(10);

struct Args {
    addr: SocketAddr,
    conns: usize,
    msgs: u64,
    size: usize,
}

fn main() {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("echo-client: {e} (try --help)");
            std::process::exit(2);
        }
    };
    println!(
        "echo-client: {} connection(s) x {} round trip(s) of {} byte(s) to {}",
        args.conns, args.msgs, args.size, args.addr
    );
    match run(&args) {
        Ok((total, elapsed)) => {
            let secs = elapsed.as_secs_f64();
            println!(
                "{total} round trips in {secs:.3} s: {:.0} round trips/s, every echoed byte checked",
                total as f64 / secs
            );
        }
        Err(e) => {
            eprintln!("echo-client: {e}");
            std::process::exit(1);
        }
    }
}

/// Parses `ADDR [--conns N] [--msgs M] [--size S]`; `Ok(None)` for `--help`.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let (mut addr, mut conns, mut msgs, mut size) = (None, None, None, None);
    while let Some(arg) = args.next() {
        let slot = match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--conns" => &mut conns,
            "--msgs" => &mut msgs,
            "--size" => &mut size,
            flag if flag.starts_with('-') => return Err(format!("unknown argument {flag:?}")),
            _ if addr.is_none() => {
                let parsed = arg
                    .parse::<SocketAddr>()
                    .map_err(|_| format!("ADDR: {arg:?} is not an IP:PORT socket address"))?;
                addr = Some(parsed);
                continue;
            }
            _ => {
                return Err(format!(
                    "unexpected extra argument {arg:?} (ADDR already given)"
                ))
            }
        };
        if slot.is_some() {
            return Err(format!("{arg} given twice"));
        }
        let value = args.next().ok_or_else(|| format!("{arg}: missing value"))?;
        *slot = Some((arg, value));
    }
    let addr = addr.ok_or("ADDR: missing (the echo server's IP:PORT)")?;
    Ok(Some(Args {
        addr,
        conns: bounded("--conns", conns, 1, MAX_CONNS)? as usize,
        msgs: bounded("--msgs", msgs, 1000, u64::MAX)?,
        size: bounded("--size", size, 64, MAX_SIZE)? as usize,
    }))
}

/// The flag's value as an integer in `1..=max`, or `default` when the flag was not given.
fn bounded(
    name: &str,
    given: Option<(String, String)>,
    default: u64,
    max: u64,
) -> Result<u64, String> {
    let Some((_, value)) = given else {
        return Ok(default);
    };
    match value.parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{name}: expected an integer from 1 to {max}, got {value:?}"
        )),
    }
}

/// How the run ends: the first error, or every connection done.
#[derive(Default)]
struct Outcome {
    error: RefCell<Option<String>>,
    finished: Cell<usize>,
    /// Round trips completed so far, all connections together.
    round_trips: Cell<u64>,
    waiter: RefCell<Option<Waker>>,
}

impl Outcome {
    fn fail(&self, error: String) {
        self.error.borrow_mut().get_or_insert(error);
        self.wake();
    }

    fn finish(&self) {
        self.finished.set(self.finished.get() + 1);
        self.wake();
    }

    fn wake(&self) {
        if let Some(w) = self.waiter.borrow_mut().take() {
            w.wake();
        }
    }

    /// Resolves with the first error, or with `Ok` once `conns` connections have finished.
    async fn wait(&self, conns: usize) -> Result<(), String> {
        poll_fn(|cx| {
            if let Some(e) = self.error.borrow_mut().take() {
                return Poll::Ready(Err(e));
            }
            if self.finished.get() == conns {
                return Poll::Ready(Ok(()));
            }
            *self.waiter.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}

/// Connects everything, then ping-pongs; returns the round trips made and the time they took.
fn run(args: &Args) -> Result<(u64, Duration), String> {
    let rt = Runtime::new(LinuxSys).map_err(|e| format!("creating the event loop: {e}"))?;
    let handle = rt.handle().clone();
    let (addr, conns, msgs, size) = (args.addr, args.conns, args.msgs, args.size);
    let result = rt.block_on(async move {
        // Connect all at once (each a task), then start the clock.
        let dials: Vec<_> = (0..conns)
            .map(|_| {
                let h = handle.clone();
                handle.spawn(
                    async move { TcpStream::connect_timeout(&h, addr, CONNECT_TIMEOUT).await },
                )
            })
            .collect();
        let mut streams = Vec::with_capacity(conns);
        for (conn, dial) in dials.into_iter().enumerate() {
            let stream = dial
                .await
                .map_err(|e| format!("conn {conn}: connect to {addr}: {e}"))?;
            stream
                .set_nodelay(true)
                .map_err(|e| format!("conn {conn}: setting TCP_NODELAY: {e}"))?;
            streams.push(stream);
        }
        let start = Instant::now();
        let outcome = Rc::new(Outcome::default());
        for (conn, stream) in streams.into_iter().enumerate() {
            let outcome = outcome.clone();
            handle.spawn(async move {
                match ping_pong(&stream, conn, msgs, size, &outcome).await {
                    Ok(()) => outcome.finish(),
                    Err(e) => outcome.fail(e),
                }
            });
        }
        handle.spawn(watchdog(handle.clone(), outcome.clone()));
        outcome.wait(conns).await?;
        Ok((outcome.round_trips.get(), start.elapsed()))
    });
    result.map_err(|e| format!("event loop failed: {e}"))?
}

/// Fails the run when no round trip completes for `STALL_TIMEOUT`.
async fn watchdog(handle: Handle<LinuxSys>, outcome: Rc<Outcome>) {
    let mut seen = outcome.round_trips.get();
    loop {
        handle.sleep(STALL_TIMEOUT).await;
        let now = outcome.round_trips.get();
        if now == seen {
            outcome.fail(format!(
                "no round trip completed in {STALL_TIMEOUT:?} ({now} done so far): server stalled?"
            ));
            return;
        }
        seen = now;
    }
}

async fn ping_pong(
    stream: &TcpStream<LinuxSys>,
    conn: usize,
    msgs: u64,
    size: usize,
    outcome: &Outcome,
) -> Result<(), String> {
    let mut msg = vec![0u8; size];
    let mut back = vec![0u8; size];
    for seq in 0..msgs {
        fill_message(&mut msg, conn, seq);
        // Write and read at once: a message larger than the socket buffers would otherwise
        // deadlock, the server blocked on writing its echo while we still write, unread.
        let (sent, echoed) = both(stream.write_all(&msg), stream.read_exact(&mut back)).await;
        sent.map_err(|e| format!("conn {conn}, round trip {seq}: write: {e}"))?;
        echoed.map_err(|e| {
            format!("conn {conn}, round trip {seq}: read: {e} (ECONNRESET also means the server closed the connection)")
        })?;
        if let Some(at) = msg.iter().zip(&back).position(|(a, b)| a != b) {
            return Err(format!(
                "conn {conn}, round trip {seq}: echo mismatch at byte {at} of {size}: sent {:#04x}, got back {:#04x}",
                msg[at], back[at]
            ));
        }
        outcome.round_trips.set(outcome.round_trips.get() + 1);
    }
    Ok(())
}

/// Runs two futures on the calling task at once; resolves when both have (a two-way join).
async fn both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut out_a, mut out_b) = (None, None);
    poll_fn(|cx| {
        if out_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                out_a = Some(v);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                out_b = Some(v);
            }
        }
        match (out_a.take(), out_b.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                (out_a, out_b) = (a, b);
                Poll::Pending
            }
        }
    })
    .await
}

/// The message of round trip `seq` on connection `conn`: the sequence number, then a filler
/// that depends on both and on the offset (a multiplicative hash, so bytes shifted within a
/// long message do not line up again after 256 bytes).
fn fill_message(msg: &mut [u8], conn: usize, seq: u64) {
    let head = msg.len().min(8);
    msg[..head].copy_from_slice(&seq.to_le_bytes()[..head]);
    let salt = seq.wrapping_mul(31) ^ conn as u64;
    for (j, b) in msg[head..].iter_mut().enumerate() {
        *b = ((j as u64 ^ salt).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8;
    }
}
