//! The counter service: clients send `+`, the server answers each with the counter's new
//! value. Every new value is first written to a journal (another TCP service, here on the
//! server's own loop) and acknowledged, so a crash loses no value that was answered.
//!
//! One loop, many connections: each connection is a task, and a task yields at every
//! `await`, so two handlers' increments interleave whenever a `+` arrives while another
//! handler waits for its journal's acknowledgement.
//! - `Variant::Buggy` commits the new value only once the journal has it: it reads the
//!   counter, awaits the journal, then stores what it read plus one. A handler that ran in
//!   between read the same value: two increments, one step (a lost update).
//! - `Variant::Fixed` takes its number before the await (read and store in one step), then
//!   journals it.
//!
//! I/O errors end a connection, not the server. A fixed handler whose journal fails after it
//! took its number gives the number up (`abandoned`: the counter then has a gap, as a
//! database sequence does), so the invariant is `value == served + abandoned`; it holds for
//! the fixed variant under injected faults (`run --faults swarm`, the clients exempt as
//! harness threads).

use simkern::poller::{race, Fd, Handle, Notify, Runtime, Sys, SysResult, TcpListener, TcpStream};
use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

/// The counter's address.
pub const ADDR: &str = "127.0.0.1:7700";
/// The journal's address.
pub const JOURNAL_ADDR: &str = "127.0.0.1:7701";
/// A client's request: increment.
pub const INCR: u8 = b'+';
/// The journal's acknowledgement of a value.
pub const ACK: u8 = b'k';
/// Attempts at a setup call (`Runtime::new`, `bind`, `connect`) before giving up: fault
/// plans fail some, and the server may not listen yet when a client dials.
pub const ATTEMPTS_MAX: u32 = 1_000;
/// Pause between attempts.
pub const RETRY_PAUSE: Duration = Duration::from_millis(1);

/// Which increment the handlers run.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Variant {
    Buggy,
    Fixed,
}

/// The counter, shared by the loop's handler tasks (one thread: `Cell` is enough).
#[derive(Default)]
struct Counter {
    value: Cell<u64>,
    /// Increments completed (journalled and committed).
    served: Cell<u64>,
    /// Numbers taken whose journal write failed (fixed variant): never answered, never reused.
    abandoned: Cell<u64>,
    /// Who committed each value, in order: for the failure message.
    commits: RefCell<Vec<Commit>>,
}

/// One committed increment: the value, and the fds of the connection and of its journal.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    pub value: u64,
    pub conn: Fd,
    pub journal: Fd,
}

/// What the server saw by the time it stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Totals {
    pub value: u64,
    pub served: u64,
    pub abandoned: u64,
    pub commits: Vec<Commit>,
}

impl Totals {
    /// The first value committed twice, by the two commits (a lost update), if any.
    pub fn committed_twice(&self) -> Option<(Commit, Commit)> {
        self.commits.iter().enumerate().find_map(|(i, a)| {
            self.commits[i + 1..]
                .iter()
                .find(|b| b.value == a.value)
                .map(|b| (*a, *b))
        })
    }
}

/// Runs the server on this thread until `stop`, then waits for its open connections to end.
pub fn serve<S: Sys>(sys: S, variant: Variant, stop: Notify<S>) -> Totals {
    let rt = attempt("Runtime::new", || Runtime::new(sys.clone()));
    let h = rt.handle().clone();
    rt.block_on(async move {
        let journal = bind(&h, JOURNAL_ADDR).await;
        // Detached: its connections end with the handlers', the listener with the loop.
        drop(h.spawn(journal_loop(h.clone(), journal)));
        let listener = bind(&h, ADDR).await;
        let counter = Rc::new(Counter::default());
        let handlers = Rc::new(RefCell::new(Vec::new()));
        let accept = {
            let (h, counter, handlers) = (h.clone(), counter.clone(), handlers.clone());
            async move {
                loop {
                    // Accept errors (EMFILE, ECONNABORTED) are the poller's to back off from.
                    if let Ok((stream, _)) = listener.accept().await {
                        let task = handle(h.clone(), stream, counter.clone(), variant);
                        handlers.borrow_mut().push(h.spawn(task));
                    }
                }
            }
        };
        race(accept, stop.notified()).await;
        let open: Vec<_> = handlers.borrow_mut().drain(..).collect();
        for task in open {
            task.await;
        }
        Totals {
            value: counter.value.get(),
            served: counter.served.get(),
            abandoned: counter.abandoned.get(),
            commits: counter.commits.take(),
        }
    })
    .expect("the server's loop failed")
}

/// One connection: increments until the client closes it.
async fn handle<S: Sys>(h: Handle<S>, stream: TcpStream<S>, counter: Rc<Counter>, v: Variant) {
    let Some(journal) = dial(&h, JOURNAL_ADDR).await else {
        return;
    };
    let mut request = [0u8; 1];
    while stream.read_exact(&mut request).await.is_ok() && request[0] == INCR {
        let value = match v {
            Variant::Buggy => {
                let value = counter.value.get() + 1;
                if record(&journal, value).await.is_err() {
                    return;
                }
                counter.value.set(value);
                value
            }
            Variant::Fixed => {
                let value = counter.value.get() + 1;
                counter.value.set(value);
                if record(&journal, value).await.is_err() {
                    counter.abandoned.set(counter.abandoned.get() + 1);
                    return;
                }
                value
            }
        };
        counter.served.set(counter.served.get() + 1);
        counter.commits.borrow_mut().push(Commit {
            value,
            conn: stream.fd(),
            journal: journal.fd(),
        });
        if stream.write_all(&value.to_le_bytes()).await.is_err() {
            return;
        }
    }
}

/// Writes `value` to the journal and waits for its acknowledgement.
async fn record<S: Sys>(journal: &TcpStream<S>, value: u64) -> SysResult<()> {
    journal.write_all(&value.to_le_bytes()).await?;
    let mut ack = [0u8; 1];
    journal.read_exact(&mut ack).await
}

/// The journal: acknowledges every value it is sent (and keeps none: this is a test).
async fn journal_loop<S: Sys>(h: Handle<S>, listener: TcpListener<S>) {
    loop {
        if let Ok((stream, _)) = listener.accept().await {
            drop(h.spawn(async move {
                let mut value = [0u8; 8];
                while stream.read_exact(&mut value).await.is_ok() {
                    if stream.write_all(&[ACK]).await.is_err() {
                        return;
                    }
                }
            }));
        }
    }
}

/// A client: after `start_after`, `increments` increments on one connection; the answers it
/// got. Gives up (with fewer answers) when the connection fails.
pub async fn client<S: Sys>(h: &Handle<S>, start_after: Duration, increments: u64) -> Vec<u64> {
    let mut answers = Vec::new();
    h.sleep(start_after).await;
    let Some(stream) = dial(h, ADDR).await else {
        return answers;
    };
    for _ in 0..increments {
        let mut answer = [0u8; 8];
        if stream.write_all(&[INCR]).await.is_err() || stream.read_exact(&mut answer).await.is_err()
        {
            break;
        }
        answers.push(u64::from_le_bytes(answer));
    }
    answers
}

/// Runs `client` on a loop of its own on this thread.
pub fn client_thread<S: Sys>(sys: S, start_after: Duration, increments: u64) -> Vec<u64> {
    let rt = attempt("Runtime::new", || Runtime::new(sys.clone()));
    let h = rt.handle().clone();
    rt.block_on(async move { client(&h, start_after, increments).await })
        .expect("a client's loop failed")
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("a literal address")
}

async fn bind<S: Sys>(h: &Handle<S>, at: &str) -> TcpListener<S> {
    for _ in 0..ATTEMPTS_MAX {
        match TcpListener::bind(h, addr(at)) {
            Ok(l) => return l,
            Err(_) => h.sleep(RETRY_PAUSE).await,
        }
    }
    panic!("bind {at} failed {ATTEMPTS_MAX} times");
}

async fn dial<S: Sys>(h: &Handle<S>, to: &str) -> Option<TcpStream<S>> {
    for _ in 0..ATTEMPTS_MAX {
        match TcpStream::connect(h, addr(to)).await {
            Ok(s) => return Some(s),
            Err(_) => h.sleep(RETRY_PAUSE).await,
        }
    }
    None
}

fn attempt<T>(what: &str, mut f: impl FnMut() -> SysResult<T>) -> T {
    let mut last = None;
    for _ in 0..ATTEMPTS_MAX {
        match f() {
            Ok(x) => return x,
            Err(e) => last = Some(e),
        }
    }
    panic!("{what} failed {ATTEMPTS_MAX} times, last with {last:?}");
}
