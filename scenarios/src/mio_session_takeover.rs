//! `mio-session-takeover`: a mio server reuses a token while an event for its old connection
//! is still in the `Events` batch, and closes an innocent connection on the stale event.
//!
//! The server is written on `simkern::mio` as mio servers are: one `Poll`, a slab of
//! connections indexed by `Token` (a freed key is the next one handed out, as the `slab` crate
//! does), edge-triggered reads until `WouldBlock`, writes buffered until `WRITABLE`, and a
//! connection closed on `read == 0`, on an error, or when its event says `is_read_closed`.
//! Clients say `HELLO <session>`; a second connection with a session that is already open
//! takes it over, and the server closes the old connection at once (MQTT brokers do this
//! with a client id). Then `PING` gets `PONG`.
//!
//! Clients (harness threads, exempt from faults): `roamers` each keep a session and move it
//! to a new connection `moves` times, closing the old one right after the new `HELLO`, as a
//! client that thinks its old link is dead does; `bystanders` each make `visits` connections
//! of `pings` round trips under sessions of their own. A connection the server closes while
//! its client is still using it must have been closed for a reason the client caused (a
//! takeover) or an error: the server logs why it closes each peer address, and a client whose
//! link drops checks the log.
//! - `buggy`: a closed connection's slot is freed at once. When one batch holds the new
//!   connection's `HELLO`, a bystander's connect and the old connection's FIN, in that order,
//!   the takeover frees the slot, the accept hands it to the bystander, and the old
//!   connection's read-closed event reaches the bystander: the server closes it. The client
//!   fails: "closed as if its peer had gone".
//! - `fixed`: slots of connections closed during a batch are freed after the batch, so an
//!   event of this batch for a closed connection finds the slot empty and is dropped.

mod client;

use super::mio_link::pause;
use client::{roam, visit};
use simkern_sim::mio::event::Event;
use simkern_sim::mio::net::{TcpListener, TcpStream};
use simkern_sim::mio::{Events, Interest, Poll, Token, Waker};
use simkern_sim::scenario::{Param, Scenario, Setup};
use std::collections::BTreeMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};

/// The server's address.
pub const ADDR: &str = "127.0.0.1:7600";
const LISTENER: Token = Token(usize::MAX);
const STOP: Token = Token(usize::MAX - 1);

pub const SCENARIO: Scenario = Scenario {
    name: "mio-session-takeover",
    about: "a mio server frees a token while the batch still holds an event for its old connection (slab key reuse)",
    variants: &["fixed", "buggy"],
    params: &[
        Param { name: "roamers", default: 2, min: 1, max: 100, about: "clients that move their session to new connections" },
        Param { name: "moves", default: 3, min: 1, max: 1000, about: "takeovers per roamer" },
        Param { name: "bystanders", default: 2, min: 1, max: 100, about: "clients with sessions of their own" },
        Param { name: "visits", default: 3, min: 1, max: 1000, about: "connections per bystander" },
        Param { name: "pings", default: 2, min: 0, max: 1000, about: "PING round trips per bystander connection" },
    ],
    // A busy server: each step of its loop takes up to 100 µs of virtual time, so events of
    // many connections pile up for one `epoll_wait` as they do on Linux while a loop works.
    // With time standing still (`step_ns_max=0`), one harvest holds only the events of one
    // virtual instant, and this batch never forms (0 failing seeds of 20,000); the default
    // 100 ns a step is too little for it as well (0 of seeds 0..1000, as at 1 and 10 µs).
    kernel: &[("step_ns_max", "100000")],
    build,
};

/// Why the server closed a connection, by the peer's address.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Closed {
    /// Its session moved to a newer connection.
    TakenOver,
    /// Its event said read-closed, or its read returned 0; `fd` and `token` were the server's
    /// for the connection (named in the failure, so `replay --explain` follows that fd).
    PeerGone { fd: i32, token: usize },
    /// A read or write failed.
    Error(i32),
}

type Log = Arc<Mutex<BTreeMap<SocketAddr, Closed>>>;

fn build(setup: &Setup) -> Box<dyn FnOnce()> {
    let buggy = setup.variant == "buggy";
    let p = |name| setup.param(name);
    let (roamers, moves) = (p("roamers"), p("moves"));
    let (bystanders, visits, pings) = (p("bystanders"), p("visits"), p("pings"));
    Box::new(move || {
        let addr: SocketAddr = ADDR.parse().expect("valid address");
        let log: Log = Arc::default();
        let stop: Arc<Mutex<Option<Arc<Waker>>>> = Arc::default();
        let (server_log, server_stop) = (log.clone(), stop.clone());
        // The server is code under test: spawned before `harness`, so faults reach it.
        let server = simkern_sim::mio::thread::spawn("server", move || {
            let server = Server::start(addr, buggy, server_log, &server_stop);
            server.run()
        })
        .expect("spawn the server");
        simkern_sim::harness();
        let stop = loop {
            if let Some(waker) = stop.lock().unwrap().clone() {
                break waker;
            }
            pause();
        };
        let mut clients = Vec::new();
        for r in 0..roamers {
            let log = log.clone();
            let name = format!("roamer{r}");
            let thread = simkern_sim::mio::thread::spawn(&name.clone(), move || {
                roam(addr, &name, moves, &log)
            });
            clients.push(thread.expect("spawn a roamer"));
        }
        for b in 0..bystanders {
            let log = log.clone();
            let thread = simkern_sim::mio::thread::spawn(&format!("bystander{b}"), move || {
                for v in 0..visits {
                    visit(addr, &format!("b{b}.{v}"), pings, &log);
                }
            });
            clients.push(thread.expect("spawn a bystander"));
        }
        for client in clients {
            client.join();
        }
        stop.wake().expect("wake the server to stop");
        server.join();
    })
}

/// Pauses a client waits for the server to log why it closed the client's connection.
const LOG_WAITS_MAX: u32 = 1_000;
/// Attempts at the server's setup when the fault plan fails its calls.
const SETUP_ATTEMPTS_MAX: u32 = 100;
/// Accept errors in a row (`EMFILE`, `ENOMEM`, `ECONNABORTED`) before an accept loop gives up
/// until the listener's next event.
const ACCEPT_ERRORS_MAX: u32 = 16;

/// One connection of the server.
struct Conn {
    stream: TcpStream,
    peer: SocketAddr,
    session: Option<String>,
    input: Vec<u8>,
    output: Vec<u8>,
}

struct Server {
    poll: Poll,
    listener: TcpListener,
    buggy: bool,
    log: Log,
    /// The slab: `Token(i)` is `slots[i]`.
    slots: Vec<Option<Conn>>,
    /// Free keys, the most recently freed last (handed out first, as `slab` does).
    free: Vec<usize>,
    /// Keys of connections closed in this batch (`fixed` frees them after it).
    retired: Vec<usize>,
    sessions: BTreeMap<String, usize>,
}

impl Server {
    /// The poll, the listener and the stop waker (published in `stop`), retried while the
    /// fault plan fails them.
    fn start(addr: SocketAddr, buggy: bool, log: Log, stop: &Mutex<Option<Arc<Waker>>>) -> Server {
        let mut last = None;
        for _ in 0..SETUP_ATTEMPTS_MAX {
            match Server::setup(addr) {
                Ok((poll, listener, waker)) => {
                    *stop.lock().unwrap() = Some(Arc::new(waker));
                    return Server::new(poll, listener, buggy, log);
                }
                Err(e) => last = Some(e),
            }
            pause();
        }
        panic!("the server could not start in {SETUP_ATTEMPTS_MAX} attempts: {last:?}");
    }

    fn setup(addr: SocketAddr) -> io::Result<(Poll, TcpListener, Waker)> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), STOP)?;
        let mut listener = TcpListener::bind(addr)?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        Ok((poll, listener, waker))
    }

    fn new(poll: Poll, listener: TcpListener, buggy: bool, log: Log) -> Server {
        Server {
            poll,
            listener,
            buggy,
            log,
            slots: Vec::new(),
            free: Vec::new(),
            retired: Vec::new(),
            sessions: BTreeMap::new(),
        }
    }

    fn run(mut self) {
        let mut events = Events::with_capacity(64);
        loop {
            match self.poll.poll(&mut events, None) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                other => other.expect("server poll"),
            }
            for event in events.iter() {
                match event.token() {
                    STOP => return,
                    LISTENER => self.accept_all(),
                    Token(key) => self.serve(key, event),
                }
            }
            // After the batch, no event of it can name a retired key any more.
            self.free.append(&mut self.retired);
        }
    }

    fn accept_all(&mut self) {
        let mut errors = 0;
        loop {
            match self.listener.accept() {
                Ok((mut stream, peer)) => {
                    let key = self.free.pop().unwrap_or(self.slots.len());
                    if key == self.slots.len() {
                        self.slots.push(None);
                    }
                    let interests = Interest::READABLE | Interest::WRITABLE;
                    if self
                        .poll
                        .registry()
                        .register(&mut stream, Token(key), interests)
                        .is_err()
                    {
                        self.free.push(key);
                        self.log.lock().unwrap().insert(peer, Closed::Error(0));
                        continue;
                    }
                    self.slots[key] = Some(Conn {
                        stream,
                        peer,
                        session: None,
                        input: Vec::new(),
                        output: Vec::new(),
                    });
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                // Edge-triggered: a connection left queued gets no new event, so retry.
                Err(_) if errors < ACCEPT_ERRORS_MAX => errors += 1,
                Err(_) => return,
            }
        }
    }

    fn serve(&mut self, key: usize, event: &Event) {
        let Some(conn) = self.slots.get_mut(key).and_then(Option::as_mut) else {
            return; // A closed connection's event, from this batch: nothing to do.
        };
        let mut closed = None;
        let mut buf = [0u8; 256];
        loop {
            match conn.stream.read(&mut buf) {
                Ok(0) => {
                    closed = Some(peer_gone(conn, key));
                    break;
                }
                Ok(n) => conn.input.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    closed = Some(error(&e));
                    break;
                }
            }
        }
        let mut takeover = None;
        while let Some(end) = conn.input.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = conn.input.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line[..end]).into_owned();
            if let Some(session) = line.strip_prefix("HELLO ") {
                conn.session = Some(session.to_owned());
                conn.output.extend_from_slice(b"WELCOME\n");
                takeover = Some(session.to_owned());
            } else if line == "PING" {
                conn.output.extend_from_slice(b"PONG\n");
            }
        }
        if closed.is_none() {
            closed = flush(conn).err().map(|e| error(&e));
        }
        // mio: a read-closed event means the peer is gone; its data was read above.
        if closed.is_none() && event.is_read_closed() {
            closed = Some(peer_gone(conn, key));
        }
        if let Some(session) = takeover {
            if let Some(old) = self.sessions.insert(session, key) {
                if old != key {
                    self.close(old, Closed::TakenOver);
                }
            }
        }
        if let Some(why) = closed {
            self.close(key, why);
        }
    }

    fn close(&mut self, key: usize, why: Closed) {
        let Some(mut conn) = self.slots[key].take() else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut conn.stream);
        if let Some(session) = &conn.session {
            if self.sessions.get(session) == Some(&key) {
                self.sessions.remove(session);
            }
        }
        self.log.lock().unwrap().insert(conn.peer, why);
        if self.buggy {
            self.free.push(key);
        } else {
            self.retired.push(key);
        }
    }
}

fn peer_gone(conn: &Conn, key: usize) -> Closed {
    Closed::PeerGone {
        fd: conn.stream.as_raw_fd(),
        token: key,
    }
}

fn error(e: &io::Error) -> Closed {
    Closed::Error(e.raw_os_error().unwrap_or(0))
}

/// Writes what the connection has buffered, until done or `WouldBlock` (the rest waits for
/// the next writable event).
fn flush(conn: &mut Conn) -> io::Result<()> {
    while !conn.output.is_empty() {
        match conn.stream.write(&conn.output) {
            Ok(n) => {
                conn.output.drain(..n);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
