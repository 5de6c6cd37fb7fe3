//! `echo`: one server loop and `clients` client loops on the poller, `rounds` round trips of
//! `size` bytes each, checked end to end: every byte echoed, every fd closed at the end.
//!
//! The server and client functions are generic over `Sys`; the real `echo-server` and
//! `echo-client` examples run the same functions on `LinuxSys`. Clients survive the fault
//! plan the way a careful client would: a failed dial is retried after a pause, a reset
//! connection is redialled and the unanswered message sent again (echo is idempotent).

use simkern_poller::net::is_disconnect;
use simkern_poller::{
    race, Errno, Handle, Notify, Runtime, Sys, SysResult, TcpListener, TcpStream,
};
use simkern_sim::scenario::{Param, Scenario, Setup};
use simkern_sim::SimSys;
use std::net::SocketAddr;
use std::time::Duration;

/// Deadline of one dial.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Pause before redialling after a failed dial or a reset.
pub const REDIAL_PAUSE: Duration = Duration::from_millis(10);
/// Dials one client may spend before it gives up: far above what any fault plan causes.
pub const REDIALS_MAX: u32 = 1_000;
/// Attempts at creating a loop or a listener when the fault plan fails `epoll_create`/`socket`.
pub const SETUP_ATTEMPTS_MAX: u32 = 100;

pub const SCENARIO: Scenario = Scenario {
    name: "echo",
    about: "one echo server loop and C client loops on the poller, M round trips each, checked end to end",
    variants: &["fixed"],
    params: &[
        Param { name: "clients", default: 100, min: 1, max: 10_000, about: "client loops (threads), one connection each" },
        Param { name: "rounds", default: 10, min: 1, max: 1_000_000, about: "round trips per client" },
        Param { name: "size", default: 64, min: 1, max: 65_536, about: "message size in bytes" },
    ],
    kernel: &[],
    build,
};

/// The simulated server's address (the simulated network is its own loopback).
pub const ADDR: &str = "127.0.0.1:7000";

fn build(setup: &Setup) -> Box<dyn FnOnce()> {
    let (clients, rounds, size) = (
        setup.param("clients"),
        setup.param("rounds"),
        setup.param("size") as usize,
    );
    Box::new(move || root(clients, rounds, size))
}

fn root(clients: u64, rounds: u64, size: usize) {
    let sys = SimSys;
    let addr: SocketAddr = ADDR.parse().expect("valid address");
    let stop = Notify::new(sys);
    let server = {
        let stop = stop.clone();
        sys.spawn("server", move || server_thread(sys, addr, stop))
            .expect("spawn server")
    };
    let client_threads: Vec<_> = (0..clients)
        .map(|id| {
            sys.spawn(&format!("client{id}"), move || {
                client_thread(sys, addr, id, rounds, size)
            })
            .expect("spawn client")
        })
        .collect();
    for t in client_threads {
        sys.join(t);
    }
    stop.notify();
    sys.join(server);
    let open = simkern_sim::open_fds();
    assert!(
        open.is_empty(),
        "fds left open at the end of echo: {open:?}\n{}",
        simkern_sim::kernel_state()
    );
}

/// Creates a loop, retrying when the fault plan fails its syscalls.
pub fn runtime_with_retry<S: Sys>(sys: S) -> Runtime<S> {
    let mut last = None;
    for _ in 0..SETUP_ATTEMPTS_MAX {
        match Runtime::new(sys.clone()) {
            Ok(rt) => return rt,
            Err(e) => last = Some(e),
        }
    }
    panic!("could not create an event loop in {SETUP_ATTEMPTS_MAX} attempts: last error {last:?}")
}

fn server_thread<S: Sys>(sys: S, addr: SocketAddr, stop: Notify<S>) {
    let rt = runtime_with_retry(sys);
    let handle = rt.handle().clone();
    rt.block_on(async move {
        let mut attempts = 0;
        let listener = loop {
            match TcpListener::bind(&handle, addr) {
                Ok(l) => break l,
                Err(e) if attempts < SETUP_ATTEMPTS_MAX => {
                    attempts += 1;
                    let _ = e;
                    handle.sleep(REDIAL_PAUSE).await;
                }
                Err(e) => panic!("server could not listen on {addr}: {e}"),
            }
        };
        let result = race(
            async { serve(&handle, &listener).await.map(|_| ()) },
            async {
                stop.notified().await;
                Ok(())
            },
        )
        .await;
        if let Err(e) = result {
            panic!("server accept loop failed: {e}");
        }
    })
    .expect("server loop failed");
}

/// Accepts forever, one echo task per connection. Returns only on an accept error that is not
/// retryable or backed off (the errno policy decides).
pub async fn serve<S: Sys>(
    handle: &Handle<S>,
    listener: &TcpListener<S>,
) -> SysResult<std::convert::Infallible> {
    loop {
        let (stream, _peer) = listener.accept().await?;
        handle.spawn(echo_connection(stream));
    }
}

/// Bytes one server read asks for: 4 KiB, as the echo servers of the benchmarks' peers
/// (turmoil, madsim) and of the real-backend benchmark ask, so memory per connection compares
/// like with like.
pub const SERVER_READ_BUF: usize = 4096;

/// Echoes until the peer closes or the connection fails.
pub async fn echo_connection<S: Sys>(stream: TcpStream<S>) {
    let _ = stream.set_nodelay(true);
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
}

fn client_thread<S: Sys>(sys: S, addr: SocketAddr, id: u64, rounds: u64, size: usize) {
    let rt = runtime_with_retry(sys);
    let handle = rt.handle().clone();
    let report = rt
        .block_on(async move { client(&handle, addr, id, rounds, size).await })
        .expect("client loop failed");
    if let Err(e) = report {
        panic!("{e}");
    }
}

/// The message of `client` for `round`: distinct per client and round, so a byte echoed to
/// the wrong connection or out of order is caught.
pub fn message(client: u64, round: u64, size: usize) -> Vec<u8> {
    (0..size)
        .map(|i| (client.wrapping_mul(31) ^ round.wrapping_mul(7) ^ i as u64) as u8)
        .collect()
}

/// What a client did.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientReport {
    pub rounds: u64,
    pub redials: u32,
}

/// Dials `addr` and does `rounds` round trips of `size` bytes, redialling after failures.
pub async fn client<S: Sys>(
    handle: &Handle<S>,
    addr: SocketAddr,
    id: u64,
    rounds: u64,
    size: usize,
) -> Result<ClientReport, String> {
    let mut report = ClientReport::default();
    let mut reply = vec![0u8; size];
    while report.rounds < rounds {
        let stream = match TcpStream::connect_timeout(handle, addr, CONNECT_TIMEOUT).await {
            Ok(s) => s,
            Err(e) => {
                redial(handle, &mut report, id, e).await?;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        while report.rounds < rounds {
            let msg = message(id, report.rounds, size);
            let exchanged = match stream.write_all(&msg).await {
                Ok(()) => stream.read_exact(&mut reply).await,
                Err(e) => Err(e),
            };
            match exchanged {
                Ok(()) if reply == msg => report.rounds += 1,
                Ok(()) => {
                    return Err(format!(
                        "client {id} round {}: the echo differs from what was sent",
                        report.rounds
                    ))
                }
                Err(e) if is_disconnect(e) => {
                    redial(handle, &mut report, id, e).await?;
                    break;
                }
                Err(e) => return Err(format!("client {id} round {}: {e}", report.rounds)),
            }
        }
    }
    Ok(report)
}

async fn redial<S: Sys>(
    handle: &Handle<S>,
    report: &mut ClientReport,
    id: u64,
    cause: Errno,
) -> Result<(), String> {
    report.redials += 1;
    if report.redials > REDIALS_MAX {
        return Err(format!(
            "client {id} gave up after {REDIALS_MAX} redials; last error {cause}"
        ));
    }
    handle.sleep(REDIAL_PAUSE).await;
    Ok(())
}
