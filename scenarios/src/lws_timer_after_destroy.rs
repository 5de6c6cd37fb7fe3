//! `lws-timer-after-destroy`: a connection destroyed on a reset while its timer is armed.
//!
//! The seed: libwebsockets v4.3 crashed in `__lws_sul_service_ripe` when about 10,000
//! WebSocket clients were killed abruptly: a connection (`wsi`) was destroyed without
//! `lws_sul_cancel` of its scheduled timer, which stayed in the timer list and later ran
//! against freed memory.
//!
//! Here: a client process (its own simulated process, `SimSys::spawn_process`) opens
//! `connections` connections to a server loop in process 1, one every `stagger_ms`. The
//! server pings each connection every `ping_ms` from its accept and arms a pong timeout (a
//! callback timer owned by the connection) until the pong comes back. At `kill_ms` the client
//! process dies (`exit_process`): the kernel closes all its sockets at once, as Linux's exit
//! does, with RST where a ping had arrived unread and FIN elsewhere. A connection whose RST or
//! FIN lands while a ping is unanswered is destroyed with its pong timeout armed; one closed
//! between pings sees the close at once (it is always watched for reads) and has none armed.
//! - `buggy`: the reset path destroys the connection object but lets its pending timer go
//!   (`Timer::detach`, the missing `lws_sul_cancel`); when it comes due it fires for a dead
//!   owner (`timer`).
//! - `fixed`: the connection holds its `Timer`, so destroying it cancels the timer.
//!
//! The race: a connection is exposed only while one of its pings is unanswered at the kill,
//! about one round trip (under 2 ms) out of every `ping_ms`. With the defaults the kill falls
//! when the connection opened `ping_ms` earlier is due its first ping, and whether that ping
//! goes out before the close arrives depends on the latencies of its handshake and of the
//! close. Connections opened closer together than a round trip (thousands a second:
//! `--param connections=2000 --param stagger_ms=1 --param kill_ms=2500`) expose one on
//! nearly every seed, as the seed report's 10,000 clients did.

use super::support;
use simkern_poller::{race, Handle, Sys, SysResult, TcpListener, TcpStream, Timer};
use simkern_sim::scenario::{Param, Scenario, Setup};
use simkern_sim::SimSys;
use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

/// The server's address.
pub const ADDR: &str = "127.0.0.1:7400";
/// How long the server waits for a pong before giving the connection up.
pub const PONG_TIMEOUT: Duration = Duration::from_millis(20);
/// Attempts at one dial while fault plans fail some.
pub const ATTEMPTS_MAX: u32 = 1_000;
/// Pause between those attempts.
pub const RETRY_PAUSE: Duration = Duration::from_millis(1);
/// Bytes of a ping and of a pong.
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xa;

pub const SCENARIO: Scenario = Scenario {
    name: "lws-timer-after-destroy",
    about: "clients killed abruptly while pong timeouts are armed; buggy destroys the connection without cancelling its timer (libwebsockets sul)",
    variants: &["fixed", "buggy"],
    params: &[
        Param { name: "connections", default: 200, min: 1, max: 10_000, about: "connections of the client process" },
        Param { name: "stagger_ms", default: 10, min: 0, max: 60_000, about: "the client opens one connection every this many ms" },
        Param { name: "ping_ms", default: 2000, min: 1, max: 3_600_000, about: "the server's ping interval per connection" },
        Param { name: "kill_ms", default: 3000, min: 0, max: 3_600_000, about: "when the client process dies, in ms of virtual time" },
    ],
    kernel: &[],
    build,
};

fn build(setup: &Setup) -> Box<dyn FnOnce()> {
    let buggy = setup.variant == "buggy";
    let connections = setup.param("connections");
    let stagger = Duration::from_millis(setup.param("stagger_ms"));
    let ping = Duration::from_millis(setup.param("ping_ms").max(1));
    let kill = Duration::from_millis(setup.param("kill_ms"));
    Box::new(move || root(buggy, connections, stagger, ping, kill))
}

fn root(buggy: bool, connections: u64, stagger: Duration, ping: Duration, kill: Duration) {
    let sys = SimSys;
    // Process 1's promise: the server closes what it opens. The client process is killed,
    // and what it held is the kernel's to close.
    support::expect_no_fds_at_end(&sys);
    let addr: SocketAddr = ADDR.parse().expect("valid address");
    let server = support::spawn_server(sys, addr, 4096, move |handle, listener| {
        serve(handle, listener, buggy, ping)
    });
    let client = sys
        .spawn_process("client", move || {
            let rt = super::echo::runtime_with_retry(sys);
            let handle = rt.handle().clone();
            rt.block_on(async move {
                for i in 0..connections {
                    let open_at = stagger * i as u32;
                    if open_at < kill {
                        handle.spawn(client_connection(handle.clone(), addr, open_at));
                    }
                }
                // The process dies: the kernel closes every socket it holds.
                handle.sleep_until(kill).await;
                sys.exit_process();
            })
            .expect("client loop failed");
        })
        .expect("spawn the client process");
    sys.join(client);
    // Linger until every pong timeout the server could have armed is due.
    let rt = super::echo::runtime_with_retry(sys);
    let handle = rt.handle().clone();
    rt.block_on(async move { handle.sleep(PONG_TIMEOUT * 2).await })
        .expect("root loop failed");
    drop(rt);
    server.stop();
}

async fn serve<S: Sys>(handle: Handle<S>, listener: TcpListener<S>, buggy: bool, ping: Duration) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        handle.spawn(connection(handle.clone(), stream, buggy, ping));
    }
}

/// A connection object (the `wsi`): it owns its timers.
struct Conn<S: Sys> {
    /// Dropped first: reports the destruction.
    owner: simkern_poller::Owner<S>,
    /// The pong timeout while a ping is unanswered.
    pending: Option<Timer<S>>,
    stream: TcpStream<S>,
}

async fn connection<S: Sys>(handle: Handle<S>, stream: TcpStream<S>, buggy: bool, ping: Duration) {
    let mut conn = Conn {
        owner: handle.owner(),
        pending: None,
        stream,
    };
    let timed_out = Rc::new(Cell::new(false));
    let start = handle.sys().monotonic_now();
    let mut k = 1;
    loop {
        // Between pings the connection still watches for reads, as an lws wsi is always
        // polled for POLLIN: a close that lands now destroys it with no timer armed.
        let mut idle = [0u8; 1];
        let closed = race(
            async {
                handle.sleep_until(start + ping * k).await;
                false
            },
            async {
                let _ = conn.stream.read(&mut idle).await;
                true
            },
        )
        .await;
        if closed {
            break;
        }
        k += 1;
        if conn.stream.write_all(&[PING]).await.is_err() {
            break;
        }
        let flag = timed_out.clone();
        conn.pending = Some(handle.timer(&conn.owner, PONG_TIMEOUT, move || flag.set(true)));
        let mut pong = [0u8; 1];
        match conn.stream.read_exact(&mut pong).await {
            Ok(()) => conn.pending = None, // answered: cancel the timeout
            Err(_) => break,
        }
        if timed_out.get() {
            break;
        }
    }
    // The peer is gone (reset): destroy the connection.
    if buggy {
        // THE BUG: the connection is freed but its scheduled timer is not cancelled.
        if let Some(timer) = conn.pending.take() {
            timer.detach();
        }
    }
    drop(conn);
}

/// One client connection: answer pings until the process dies.
async fn client_connection<S: Sys>(handle: Handle<S>, addr: SocketAddr, open_at: Duration) {
    handle.sleep_until(open_at).await;
    let mut stream = None;
    for _ in 0..ATTEMPTS_MAX {
        match TcpStream::connect(&handle, addr).await {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(_) => handle.sleep(RETRY_PAUSE).await,
        }
    }
    let stream = stream.unwrap_or_else(|| panic!("no dial to {addr} in {ATTEMPTS_MAX} attempts"));
    let _ = answer(&stream).await;
    // The server went away first (it never does before the kill): hold the stream until the
    // process dies, so every connection ends the one way under test.
    std::future::pending::<()>().await;
}

async fn answer<S: Sys>(stream: &TcpStream<S>) -> SysResult<()> {
    let mut ping = [0u8; 1];
    loop {
        stream.read_exact(&mut ping).await?;
        stream.write_all(&[PONG]).await?;
    }
}
