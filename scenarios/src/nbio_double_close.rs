//! `nbio-double-close`: a pooled body reader closed by the handler and again by the framework.
//!
//! The seed: nbio's `BodyReader` was closed by the user's handler (`Body.Close()`) and again
//! by the framework's `releaseRequest`; each close returned it to a `sync.Pool`, so the pool
//! held it twice, two later requests shared it, and the server panicked now and then.
//!
//! Here: a server loop on the poller; `clients` client loops each make `requests` uploads, one
//! connection each. An upload is flow-controlled: a header, then `parts` body parts, each sent
//! only after the server's "continue". The framework lends each request a body reader from a
//! pool and releases it when the request is done; the handler reads the body with a deadline
//! of `body_deadline_ms` and, when it expires, gives the body up at once (closes it) and
//! answers 408. The deadline is 1 ms under the worst case of the exchange's `2 * parts`
//! segment latencies, so a slow upload times out now and then.
//! - `buggy`: the pool is a bare free list. The handler's close and the framework's release
//!   both put the reader back: it is on the free list twice (`pool` fires at the second
//!   release, or at the first acquire that shares it).
//! - `fixed`: `simkern_poller::Pool`; the framework's second release is refused.

use super::support;
use simkern_poller::net::is_disconnect;
use simkern_poller::{Handle, Pool, Pooled, Probe, Sys, SysResult, TcpListener, TcpStream};
use simkern_sim::scenario::{Param, Scenario, Setup};
use simkern_sim::SimSys;
use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

/// The server's address.
pub const ADDR: &str = "127.0.0.1:7300";
/// Bytes in one body part.
pub const PART_BYTES: usize = 256;
/// The pool's id in probes.
pub const POOL_ID: u64 = 1;
/// A response's status byte: the hundreds digit of the HTTP status (`200 OK`).
pub const OK: u8 = 2;
/// `408 Request Timeout`: the handler gave up on the body.
pub const TIMEOUT: u8 = 4;
/// The server's "send the next part" (`100 Continue`).
pub const CONTINUE: u8 = 1;
/// Dials one client may spend on one upload before giving up (fault plans fail some).
pub const ATTEMPTS_MAX: u32 = 1_000;
/// Pause before redialling after a failed dial.
pub const RETRY_PAUSE: Duration = Duration::from_millis(1);

pub const SCENARIO: Scenario = Scenario {
    name: "nbio-double-close",
    about: "a pooled body reader closed by the handler on timeout and again by the framework (nbio BodyReader)",
    variants: &["fixed", "buggy"],
    params: &[
        Param { name: "clients", default: 4, min: 1, max: 1000, about: "client loops (threads)" },
        Param { name: "requests", default: 2, min: 1, max: 1000, about: "uploads per client, one connection each" },
        Param { name: "parts", default: 2, min: 1, max: 1000, about: "body parts per upload, each after a continue" },
        Param { name: "body_deadline_ms", default: 3, min: 0, max: 3_600_000, about: "the handler's deadline for the whole body" },
    ],
    kernel: &[],
    build,
};

fn build(setup: &Setup) -> Box<dyn FnOnce()> {
    let buggy = setup.variant == "buggy";
    let clients = setup.param("clients");
    let requests = setup.param("requests");
    let parts = setup.param("parts").max(1);
    let deadline = Duration::from_millis(setup.param("body_deadline_ms"));
    Box::new(move || root(buggy, clients, requests, parts, deadline))
}

fn root(buggy: bool, clients: u64, requests: u64, parts: u64, deadline: Duration) {
    let sys = SimSys;
    support::expect_no_fds_at_end(&sys);
    let addr: SocketAddr = ADDR.parse().expect("valid address");
    let server = support::spawn_server(sys, addr, 1024, move |handle, listener| {
        serve(handle, listener, buggy, deadline)
    });
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            sys.spawn(&format!("client{c}"), move || {
                let rt = super::echo::runtime_with_retry(sys);
                let handle = rt.handle().clone();
                rt.block_on(async move {
                    for _ in 0..requests {
                        upload(&handle, addr, parts).await;
                    }
                })
                .expect("client loop failed");
            })
            .expect("spawn client")
        })
        .collect();
    for t in threads {
        sys.join(t);
    }
    server.stop();
}

/// A pool of body readers (buffers), in either form.
enum Bodies<S: Sys> {
    /// THE BUG: a free list that takes back whatever it is given.
    Naive {
        sys: S,
        buffers: Vec<Vec<u8>>,
        free: Vec<usize>,
    },
    /// The poller's pool: a second release of the same loan is refused.
    Checked(Pool<S, Vec<u8>>),
}

/// A body reader lent to a request.
#[derive(Copy, Clone, Debug)]
enum Body {
    Naive(usize),
    Checked(Pooled),
}

impl<S: Sys> Bodies<S> {
    fn acquire(&mut self, owner: u64) -> Body {
        match self {
            Bodies::Naive { sys, buffers, free } => {
                let i = free.pop().unwrap_or_else(|| {
                    buffers.push(Vec::with_capacity(PART_BYTES));
                    buffers.len() - 1
                });
                buffers[i].clear();
                sys.probe(Probe::PoolAcquire {
                    pool: POOL_ID,
                    object: i as u64,
                    owner,
                });
                Body::Naive(i)
            }
            Bodies::Checked(pool) => Body::Checked(pool.acquire(owner, Vec::new)),
        }
    }

    /// `BodyReader::Close`: returns the reader to the pool.
    fn close(&mut self, body: Body, owner: u64) {
        match (self, body) {
            (Bodies::Naive { sys, free, .. }, Body::Naive(i)) => {
                free.push(i);
                sys.probe(Probe::PoolRelease {
                    pool: POOL_ID,
                    object: i as u64,
                    owner,
                });
            }
            (Bodies::Checked(pool), Body::Checked(p)) => {
                // A refused second close is the fix working: nothing to do.
                let _ = pool.release(p, owner);
            }
            _ => unreachable!("a body from the other kind of pool"),
        }
    }

    fn append(&mut self, body: Body, bytes: &[u8]) {
        match (self, body) {
            (Bodies::Naive { buffers, .. }, Body::Naive(i)) => buffers[i].extend_from_slice(bytes),
            (Bodies::Checked(pool), Body::Checked(p)) => {
                if let Some(buf) = pool.get_mut(p) {
                    buf.extend_from_slice(bytes);
                }
            }
            _ => unreachable!("a body from the other kind of pool"),
        }
    }
}

async fn serve<S: Sys>(
    handle: Handle<S>,
    listener: TcpListener<S>,
    buggy: bool,
    deadline: Duration,
) {
    let sys = handle.sys().clone();
    let bodies = Rc::new(RefCell::new(if buggy {
        Bodies::Naive {
            sys,
            buffers: Vec::new(),
            free: Vec::new(),
        }
    } else {
        Bodies::Checked(Pool::new(sys, POOL_ID))
    }));
    let mut next_request = 1;
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let id = next_request;
        next_request += 1;
        handle.spawn(request(
            handle.clone(),
            stream,
            bodies.clone(),
            id,
            deadline,
        ));
    }
}

/// One request: the framework lends a body reader, runs the handler, releases the request.
async fn request<S: Sys>(
    handle: Handle<S>,
    stream: TcpStream<S>,
    bodies: Rc<RefCell<Bodies<S>>>,
    id: u64,
    deadline: Duration,
) {
    let mut header = [0u8; 1];
    if stream.read_exact(&mut header).await.is_err() {
        return;
    }
    let parts = header[0] as u64;
    let body = bodies.borrow_mut().acquire(id);
    // The handler.
    let read = handle
        .timeout(deadline, read_body(&stream, &bodies, body, parts))
        .await;
    let status = match read {
        Ok(Ok(())) => OK,
        Ok(Err(_)) => 0,
        Err(_elapsed) => {
            // The handler gives up on a slow upload and closes the body at once.
            bodies.borrow_mut().close(body, id);
            TIMEOUT
        }
    };
    if status != 0 {
        let _ = stream.write_all(&[status]).await;
    }
    // The framework's `releaseRequest`: closes the request's body.
    bodies.borrow_mut().close(body, id);
}

/// Reads `parts` parts into `body`, asking for each with a continue.
async fn read_body<S: Sys>(
    stream: &TcpStream<S>,
    bodies: &RefCell<Bodies<S>>,
    body: Body,
    parts: u64,
) -> SysResult<()> {
    let mut part = [0u8; PART_BYTES];
    for _ in 0..parts {
        stream.write_all(&[CONTINUE]).await?;
        stream.read_exact(&mut part).await?;
        bodies.borrow_mut().append(body, &part);
    }
    Ok(())
}

/// One upload on a fresh connection; redials when the fault plan fails the dial.
async fn upload<S: Sys>(handle: &Handle<S>, addr: SocketAddr, parts: u64) {
    for _ in 0..ATTEMPTS_MAX {
        let stream = match TcpStream::connect(handle, addr).await {
            Ok(s) => s,
            Err(_) => {
                handle.sleep(RETRY_PAUSE).await;
                continue;
            }
        };
        match exchange(&stream, parts).await {
            Ok(status) => {
                assert!(
                    status == OK || status == TIMEOUT,
                    "the server answered an upload with status {status}"
                );
                return;
            }
            // The server gave up on us, or the fault plan reset the connection: done.
            Err(e) if is_disconnect(e) => return,
            Err(e) => panic!("upload failed with {e}"),
        }
    }
    panic!("no upload got through in {ATTEMPTS_MAX} dials")
}

async fn exchange<S: Sys>(stream: &TcpStream<S>, parts: u64) -> SysResult<u8> {
    stream.write_all(&[parts as u8]).await?;
    let part = [7u8; PART_BYTES];
    let mut reply = [0u8; 1];
    for _ in 0..parts {
        stream.read_exact(&mut reply).await?;
        if reply[0] != CONTINUE {
            return Ok(reply[0]);
        }
        stream.write_all(&part).await?;
    }
    stream.read_exact(&mut reply).await?;
    Ok(reply[0])
}
