//! `selftest-teardown`: clients that fail together. `CLIENTS` client threads each connect a
//! poller `TcpStream` to a server and wait on a shared gate (a pipe, one `dup` of its read end
//! registered in each client's loop); the root opens the gate at `OPEN_AT` with one write, so
//! every client wakes at the same virtual instant and panics with its stream still held by its
//! `block_on` future — as realistic code does when two clients `unwrap` injected errors at
//! once. Unwinding drops the stream, the gate and the loop, whose destructors make syscalls
//! (`EPOLL_CTL_DEL`, `close`) while the other clients are runnable.
//!
//! It exists to prove that a run survives this: the first client's panic is the run's failure
//! (never another client's, never `crash: SIGABRT`), on every seed, with or without faults.
//! Just before panicking each client emits a probe `FAILING` naming itself (`a` = its index),
//! so a test can read from the trace which clients reached their panic, and in what order.

use crate::echo::runtime_with_retry;
use crate::support::spawn_server;
use simkern_poller::reactor::Direction;
use simkern_poller::{Fd, Handle, IoSource, Probe, Sys, SysResult, TcpStream};
use simkern_sim::scenario::{Scenario, Setup};
use simkern_sim::SimSys;
use std::net::SocketAddr;
use std::time::Duration;

pub const SCENARIO: Scenario = Scenario {
    name: "selftest-teardown",
    about: "self-test of teardown: clients panic at the same virtual instant, each holding a connected stream",
    variants: &["together"],
    params: &[],
    kernel: &[],
    build,
};

/// The clients, by name; each panics with "client NAME failed".
pub const CLIENTS: [&str; 3] = ["alpha", "bravo", "charlie"];
/// When the root opens the gate: far after every connect, even one the `default` fault profile
/// makes retry a few times.
pub const OPEN_AT: Duration = Duration::from_millis(50);
/// The probe each client emits just before it panics (`a`: its index in `CLIENTS`).
pub const FAILING: &str = "selftest-teardown failing";
/// Attempts at a setup call (`pipe2`, `dup`, registering, connecting, writing the gate) that
/// the fault plan fails; the `default` profile fails one call in hundreds, so a setup that
/// needs more is a broken scenario.
const ATTEMPTS_MAX: u32 = 100;
/// Pause between connect attempts the fault plan (or an early start) fails.
const CONNECT_RETRY_PAUSE: Duration = Duration::from_millis(1);

const ADDR: &str = "127.0.0.1:7000";

/// `f` until it succeeds, at most `ATTEMPTS_MAX` times.
fn retry<T>(what: &str, mut f: impl FnMut() -> SysResult<T>) -> T {
    let mut last = None;
    for _ in 0..ATTEMPTS_MAX {
        match f() {
            Ok(v) => return v,
            Err(e) => last = Some(e),
        }
    }
    panic!("{what} failed {ATTEMPTS_MAX} times: last error {last:?}")
}

fn build(_setup: &Setup) -> Box<dyn FnOnce()> {
    Box::new(move || {
        let addr: SocketAddr = ADDR.parse().expect("address");
        let _server = spawn_server(SimSys, addr, 16, |_handle, listener| async move {
            // Holds every accepted stream until the run ends.
            let mut held = Vec::new();
            loop {
                if let Ok((stream, _)) = listener.accept().await {
                    held.push(stream);
                }
            }
        });
        let (gate, opener) = retry("pipe2", || SimSys.pipe2());
        let clients: Vec<_> = CLIENTS
            .iter()
            .enumerate()
            .map(|(i, name)| {
                SimSys
                    .spawn(name, move || client(i, addr, gate))
                    .expect("spawn client")
            })
            .collect();
        let rt = runtime_with_retry(SimSys);
        rt.block_on(rt.handle().sleep_until(OPEN_AT))
            .expect("root loop failed");
        retry("write to the gate", || SimSys.write(opener, b"!"));
        // Every client panics, so the run ends before these joins return.
        for c in clients {
            SimSys.join(c);
        }
    })
}

fn client(index: usize, addr: SocketAddr, gate: Fd) {
    let rt = runtime_with_retry(SimSys);
    let handle = rt.handle().clone();
    rt.block_on(async move {
        let gate = register(&handle, gate);
        let stream = connect(&handle, addr).await;
        gate.ready(Direction::Read).await;
        handle.sys().probe(Probe::User {
            name: FAILING,
            a: index as u64,
            b: 0,
        });
        // The stream is alive here: the panic's unwinding drops it.
        let _held = &stream;
        panic!("client {} failed", CLIENTS[index]);
    })
    .expect("client loop failed");
}

/// A `dup` of the gate's read end in this loop (a fresh one per attempt: a failed
/// registration closes its fd). The root keeps the original open.
fn register(handle: &Handle<SimSys>, gate: Fd) -> IoSource<SimSys> {
    retry("registering the gate", || {
        IoSource::new(handle, SimSys.dup(gate)?)
    })
}

async fn connect(handle: &Handle<SimSys>, addr: SocketAddr) -> TcpStream<SimSys> {
    let mut last = None;
    for _ in 0..ATTEMPTS_MAX {
        match TcpStream::connect(handle, addr).await {
            Ok(s) => return s,
            Err(e) => last = Some(e),
        }
        handle.sleep(CONNECT_RETRY_PAUSE).await;
    }
    panic!("connect failed {ATTEMPTS_MAX} times: last error {last:?}")
}
