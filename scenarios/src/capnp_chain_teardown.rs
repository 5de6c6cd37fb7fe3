//! `capnp-chain-teardown`: a send queue kept as a chain of continuations, each owning the next,
//! destroyed recursively when the peer disconnects.
//!
//! The seed: Cap'n Proto's `TwoPartyClient` kept the messages waiting to be sent as a chain of
//! promises. When the connection went away with many messages queued, destroying the chain
//! recursed once per message (stack traces of more than 10,000 frames) and overflowed the
//! stack. The fix (PR #1510, 1.0) keeps them in a `kj::Vector`.
//!
//! Here: a client pipelines `messages` calls of `size` bytes to a server at once; whatever the
//! kernel's buffers cannot take waits in the client's send queue. The server is slow: before
//! reading each call it asks a backend (one network round trip). At `crash_ms` the server
//! dies (`SO_LINGER` 0, so its close sends RST) and the client tears its queue down.
//! - `buggy`: the queue is `Option<Box<Node>>`, each node owning the next; teardown recurses
//!   node by node and the innermost frame reports its depth, which is the queue's length.
//! - `fixed`: the poller's `SendQueue` (a `VecDeque`), cleared in a loop: depth 1.
//!
//! The race: how many calls the server consumed before it died depends on the latency of
//! every backend round trip, so the queue left at the crash is sometimes longer than the
//! oracle's bound (`TEARDOWN_DEPTH_MAX`, 128) and usually not (about 1 seed in 13 with the
//! defaults: the length left is about 123, give or take 4). The deepest recursion stays near
//! 140 frames, far from overflowing a 1 MiB simulated stack.

use super::support;
use simkern_poller::{Handle, Notify, Probe, SendQueue, Sys, SysResult, TcpListener, TcpStream};
use simkern_sim::scenario::{Param, Scenario, Setup};
use simkern_sim::SimSys;
use std::net::SocketAddr;
use std::time::Duration;

/// The server's address.
pub const ADDR: &str = "127.0.0.1:7200";
/// The backend's address.
pub const BACKEND: &str = "127.0.0.1:7201";
/// Attempts at one dial while fault plans fail some.
pub const ATTEMPTS_MAX: u32 = 1_000;
/// Pause between those attempts.
pub const RETRY_PAUSE: Duration = Duration::from_millis(1);

pub const SCENARIO: Scenario = Scenario {
    name: "capnp-chain-teardown",
    about: "a peer dies with many messages queued; buggy tears the chain of continuations down recursively (Cap'n Proto)",
    variants: &["fixed", "buggy"],
    params: &[
        Param { name: "messages", default: 254, min: 1, max: 10_000, about: "calls the client pipelines at once" },
        Param { name: "size", default: 4096, min: 1, max: 65_536, about: "bytes per call" },
        Param { name: "crash_ms", default: 100, min: 0, max: 3_600_000, about: "when the server dies, in ms of virtual time" },
    ],
    kernel: &[],
    build,
};

fn build(setup: &Setup) -> Box<dyn FnOnce()> {
    let buggy = setup.variant == "buggy";
    let messages = setup.param("messages");
    let size = setup.param("size").max(1) as usize;
    let crash = Duration::from_millis(setup.param("crash_ms"));
    Box::new(move || root(buggy, messages, size, crash))
}

fn root(buggy: bool, messages: u64, size: usize, crash: Duration) {
    let sys = SimSys;
    support::expect_no_fds_at_end(&sys);
    let addr: SocketAddr = ADDR.parse().expect("valid address");
    let backend: SocketAddr = BACKEND.parse().expect("valid address");
    // One `Notify` per waiter: it holds one waiting task.
    let (stop, stop_backend) = (Notify::new(sys), Notify::new(sys));
    let backend_thread = {
        let stop = stop_backend.clone();
        sys.spawn("backend", move || {
            support::server_thread(sys, backend, 1024, stop, |handle, listener| async move {
                let _ = super::echo::serve(&handle, &listener).await;
            })
        })
        .expect("spawn backend")
    };
    let server = {
        let stop = stop.clone();
        sys.spawn("server", move || {
            support::server_thread(sys, addr, 1024, stop, move |handle, listener| {
                serve(handle, listener, backend, size, crash)
            })
        })
        .expect("spawn server")
    };
    let client = sys
        .spawn("client", move || {
            let rt = super::echo::runtime_with_retry(sys);
            let handle = rt.handle().clone();
            rt.block_on(async move { client(&handle, addr, buggy, messages, size).await })
                .expect("client loop failed");
        })
        .expect("spawn client");
    sys.join(client);
    stop.notify();
    sys.join(server);
    stop_backend.notify();
    sys.join(backend_thread);
}

async fn connect<S: Sys>(handle: &Handle<S>, addr: SocketAddr) -> TcpStream<S> {
    for _ in 0..ATTEMPTS_MAX {
        match TcpStream::connect(handle, addr).await {
            Ok(s) => return s,
            Err(_) => handle.sleep(RETRY_PAUSE).await,
        }
    }
    panic!("could not connect to {addr} in {ATTEMPTS_MAX} attempts")
}

/// The slow server: one backend round trip before each call it reads; dies at `crash`.
async fn serve<S: Sys>(
    handle: Handle<S>,
    listener: TcpListener<S>,
    backend: SocketAddr,
    size: usize,
    crash: Duration,
) {
    let Ok((stream, _)) = listener.accept().await else {
        return;
    };
    let db = connect(&handle, backend).await;
    let die_at = handle.sleep_until(crash);
    let work = async {
        let mut call = vec![0u8; size];
        loop {
            let mut answer = [0u8; 1];
            if db.write_all(&[1]).await.is_err() || db.read_exact(&mut answer).await.is_err() {
                return;
            }
            if stream.read_exact(&mut call).await.is_err() {
                return;
            }
        }
    };
    simkern_poller::race(work, die_at).await;
    // The server dies: its close resets the connection (RST), as a killed process's would.
    let _ = stream.set_linger(Some(0));
    drop(stream);
    // Keep serving nothing until told to stop.
    std::future::pending::<()>().await;
}

/// The client: pipeline every call at once, flush until the peer goes away, tear down.
async fn client<S: Sys>(
    handle: &Handle<S>,
    addr: SocketAddr,
    buggy: bool,
    messages: u64,
    size: usize,
) {
    let stream = connect(handle, addr).await;
    let call = |i: u64| vec![(i % 251) as u8; size];
    if buggy {
        let mut chain = Chain::default();
        for i in (0..messages).rev() {
            chain.push_front(call(i));
        }
        let _ = chain.flush(&stream).await;
        chain.teardown(handle.sys());
    } else {
        let mut queue = SendQueue::new();
        for i in 0..messages {
            queue.push(call(i));
        }
        let _ = queue.flush(&stream).await;
        // The fix: a flat queue, cleared in a loop.
        queue.clear();
        handle.sys().probe(Probe::TeardownDepth { depth: 1 });
    }
}

/// One queued message and the rest of the queue, which it owns (a promise's continuation).
struct Node {
    message: Vec<u8>,
    next: Option<Box<Node>>,
}

/// THE BUG's data structure: the send queue as a chain of owned continuations.
#[derive(Default)]
struct Chain {
    head: Option<Box<Node>>,
}

impl Chain {
    fn push_front(&mut self, message: Vec<u8>) {
        let next = self.head.take();
        self.head = Some(Box::new(Node { message, next }));
    }

    /// Writes messages front first until the chain is empty or the connection fails.
    async fn flush<S: Sys>(&mut self, stream: &TcpStream<S>) -> SysResult<()> {
        while let Some(mut node) = self.head.take() {
            let mut written = 0;
            while written < node.message.len() {
                match stream.write(&node.message[written..]).await {
                    Ok(n) => written += n,
                    Err(e) => {
                        node.message.drain(..written);
                        self.head = Some(node);
                        return Err(e);
                    }
                }
            }
            self.head = node.next.take();
        }
        Ok(())
    }

    /// THE BUG: destroying the chain follows it, one stack frame per queued message. The
    /// innermost frame reports the depth the recursion reached.
    fn teardown<S: Sys>(mut self, sys: &S) {
        fn destroy<S: Sys>(node: Option<Box<Node>>, depth: u32, sys: &S) {
            let Some(mut node) = node else { return };
            match node.next.take() {
                None => sys.probe(Probe::TeardownDepth { depth }),
                next => destroy(next, depth + 1, sys),
            }
            drop(node);
        }
        destroy(self.head.take(), 1, sys);
    }
}
