//! The echo on turmoil 0.7: one host `server`, hosts `client0..`, turmoil's simulated TCP.
//!
//! turmoil runs with its defaults but two: a fixed RNG seed, so every run draws the same
//! latencies (its default seeds from the OS), and a simulation duration long enough for the
//! whole echo (its default, 10 s simulated, is too short at 100 rounds). The defaults kept:
//! a 1 ms tick, message latency drawn from 0..=100 ms with an Exp(5) curve (mean ~20 ms), no
//! message loss, a TCP receive capacity of 64 segments, hosts polled in registration order.
//! None was tuned to make turmoil faster or slower. turmoil advances simulated time one tick
//! at a time and polls every running host on each tick, so its cost grows with simulated
//! time times hosts, not with the work done.

// Timing the peer in real time: the clippy.toml bans are for sim-run code.
#![allow(clippy::disallowed_methods)]

use super::{fill_message, Measurement};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use turmoil::net::{TcpListener, TcpStream};

/// The server's port.
const PORT: u16 = 7000;
/// Bytes one server read asks for (`real_echo::SERVER_READ_BUF`).
const SERVER_READ_BUF: usize = 4096;
/// turmoil's RNG seed: fixed, so each run draws the same latencies (and madsim's is 0 too).
const SEED: u64 = 0;
/// Simulated time allowed per round trip: five times the worst case of two messages at
/// turmoil's default maximum latency (100 ms each), so the limit never ends a healthy run.
const ROUND_TRIP_SIM_MAX: Duration = Duration::from_secs(1);
/// Simulated time allowed for connecting, on top of the round trips.
const CONNECT_SIM_MAX: Duration = Duration::from_secs(10);

/// Runs the echo once on a fresh simulation and times it (build, run, teardown).
///
/// Panics if turmoil reports an error, a connection fails or an echo differs from what was
/// sent: with no faults configured, each is a bug in the peer or in this benchmark.
pub fn turmoil_echo(clients: usize, rounds: usize, size: usize) -> Measurement {
    assert!(clients > 0, "turmoil_echo: clients must be at least 1");
    assert!(rounds > 0, "turmoil_echo: rounds must be at least 1");
    assert!(size > 0, "turmoil_echo: size must be at least 1");
    let rounds_u32 = u32::try_from(rounds).unwrap_or(u32::MAX);
    let sim_max = CONNECT_SIM_MAX.saturating_add(ROUND_TRIP_SIM_MAX.saturating_mul(rounds_u32));
    let start = Instant::now();
    let mut sim = turmoil::Builder::new()
        .rng_seed(SEED)
        .simulation_duration(sim_max)
        .build();
    sim.host("server", serve);
    for id in 0..clients {
        sim.client(format!("client{id}"), client(id, rounds, size));
    }
    if let Err(e) = sim.run() {
        panic!("turmoil_echo: clients={clients} rounds={rounds} size={size}: {e}");
    }
    drop(sim);
    let wall_s = start.elapsed().as_secs_f64();
    Measurement {
        round_trips: clients as u64 * rounds as u64,
        wall_s,
    }
}

/// The server: one task per connection, echoing whatever it reads until the peer goes away.
async fn serve() -> turmoil::Result {
    let listener = TcpListener::bind((IpAddr::V4(Ipv4Addr::UNSPECIFIED), PORT)).await?;
    loop {
        let (mut stream, _) = listener.accept().await?;
        tokio::task::spawn_local(async move {
            let mut buf = vec![0u8; SERVER_READ_BUF];
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if stream.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
}

/// One client: connect, then `rounds` checked round trips.
async fn client(id: usize, rounds: usize, size: usize) -> turmoil::Result {
    let mut stream = TcpStream::connect(("server", PORT)).await?;
    let mut sent = vec![0u8; size];
    let mut echo = vec![0u8; size];
    for round in 0..rounds {
        fill_message(&mut sent, id, round as u64);
        // turmoil's `write_all` sends at once (its flush is a no-op), so no flush here.
        stream.write_all(&sent).await?;
        stream.read_exact(&mut echo).await?;
        if let Some(at) = sent.iter().zip(&echo).position(|(s, e)| s != e) {
            return Err(format!(
                "client {id} round {round}: echo byte {at} is {:#04x}, sent {:#04x}",
                echo[at], sent[at]
            )
            .into());
        }
    }
    Ok(())
}
