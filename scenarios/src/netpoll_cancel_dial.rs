//! `netpoll-cancel-dial`: a dial cancelled by its deadline frees its operator without
//! `EPOLL_CTL_DEL`; the slot is reused and the old fd's late `EPOLLOUT` reaches the new dial.
//!
//! The seed: cloudwego netpoll v0.6.4 segfaulted in its poller's event handler. A dial waiting
//! for `EPOLLOUT` was cancelled through its context; the `FDOperator` was reclaimed while the
//! poller still held it in an epoll event's data, and a later event dereferenced it.
//!
//! Here: a dialer establishes `dials` connections to a local server, `concurrency` at a time,
//! each attempt with a deadline of `deadline_us` and retried at once when it expires. The
//! deadline is just under the simulated loopback's worst round trip (2 ms), so now and then a
//! connect completes after its deadline.
//! - `buggy`: the dialer keeps its own operator table, plain `Vec` slots whose index is the
//!   epoll data (no generation). An expired dial's slot is freed without `EPOLL_CTL_DEL`, and
//!   its fd is left for a periodic sweep to close (netpoll: the garbage collector). The retry
//!   takes the freed slot at once. When the old connect completes before the sweep — in the
//!   same `epoll_wait` harvest as the expiry, or a later one — its `EPOLLOUT` carries the slot
//!   index and is handed to the retry's operator: `stale_delivery` fires.
//! - `fixed`: the poller's `TcpStream::connect_timeout`. Dropping the cancelled dial
//!   deregisters, closes, then frees its generational handle, so a late event cannot exist.
//!
//! The race: whether a connect completes inside the sliver between its deadline and the
//! moment the loop next looks (which the millisecond granularity of `epoll_wait` widens), which
//! depends on the segment latencies each seed draws.

use super::support::{self, retry_eintr};
use simkern_poller::sys::epoll::{EPOLLET, EPOLLOUT};
use simkern_poller::sys::{Domain, EpollEvent, EpollOp, SockType};
use simkern_poller::{Errno, Fd, Handle, Notify, Probe, Sys, TcpStream};
use simkern_sim::scenario::{Param, Scenario, Setup};
use simkern_sim::SimSys;
use std::net::SocketAddr;
use std::time::Duration;

/// The server's address.
pub const ADDR: &str = "127.0.0.1:7100";
/// How often the buggy dialer's sweep closes the fds of cancelled dials (netpoll: a GC cycle).
pub const SWEEP_PERIOD: Duration = Duration::from_millis(5);
/// Attempts one connection may take before the dialer gives up: far above what the fault plans
/// cause (an attempt fails with probability well under one half).
pub const ATTEMPTS_MAX: u32 = 1_000;
/// Pause before retrying an attempt that failed outright (not by its deadline).
pub const RETRY_PAUSE: Duration = Duration::from_millis(1);

pub const SCENARIO: Scenario = Scenario {
    name: "netpoll-cancel-dial",
    about: "dials cancelled by their deadline; buggy frees the operator slot without EPOLL_CTL_DEL (netpoll FDOperator)",
    variants: &["fixed", "buggy"],
    params: &[
        Param { name: "dials", default: 16, min: 1, max: 10_000, about: "connections to establish" },
        Param { name: "concurrency", default: 2, min: 1, max: 1000, about: "dials in flight at once" },
        Param { name: "deadline_us", default: 1900, min: 0, max: 3_600_000_000, about: "deadline of one connect attempt, in microseconds" },
    ],
    kernel: &[],
    build,
};

fn build(setup: &Setup) -> Box<dyn FnOnce()> {
    let buggy = setup.variant == "buggy";
    let dials = setup.param("dials");
    let concurrency = setup.param("concurrency").max(1);
    let deadline = Duration::from_micros(setup.param("deadline_us"));
    Box::new(move || root(buggy, dials, concurrency, deadline))
}

fn root(buggy: bool, dials: u64, concurrency: u64, deadline: Duration) {
    let sys = SimSys;
    support::expect_no_fds_at_end(&sys);
    let addr: SocketAddr = ADDR.parse().expect("valid address");
    let stop = Notify::new(sys);
    let server = {
        let stop = stop.clone();
        sys.spawn("server", move || {
            support::server_thread(sys, addr, 1024, stop, |handle, listener| async move {
                let _ = super::echo::serve(&handle, &listener).await;
            })
        })
        .expect("spawn server")
    };
    let dialer = sys
        .spawn("dialer", move || {
            if buggy {
                Dialer::new(sys, addr, deadline).run(dials, concurrency);
            } else {
                fixed_dialer(sys, addr, dials, concurrency, deadline);
            }
        })
        .expect("spawn dialer");
    sys.join(dialer);
    stop.notify();
    sys.join(server);
}

fn fixed_dialer<S: Sys>(
    sys: S,
    addr: SocketAddr,
    dials: u64,
    concurrency: u64,
    deadline: Duration,
) {
    let rt = super::echo::runtime_with_retry(sys);
    let handle = rt.handle().clone();
    rt.block_on(async move {
        let workers: Vec<_> = (0..concurrency)
            .map(|w| {
                let share = dials / concurrency + u64::from(w < dials % concurrency);
                handle.spawn(dial_many(handle.clone(), addr, share, deadline))
            })
            .collect();
        for w in workers {
            w.await;
        }
    })
    .expect("dialer loop failed");
}

/// Establishes `count` connections one after another, retrying each until it connects.
async fn dial_many<S: Sys>(handle: Handle<S>, addr: SocketAddr, count: u64, deadline: Duration) {
    for _ in 0..count {
        let mut attempts = 0;
        loop {
            attempts += 1;
            assert!(
                attempts <= ATTEMPTS_MAX,
                "a dial to {addr} failed {ATTEMPTS_MAX} times"
            );
            match TcpStream::connect_timeout(&handle, addr, deadline).await {
                Ok(stream) => {
                    drop(stream);
                    break;
                }
                // The deadline: retry at once, as the buggy dialer does.
                Err(Errno::ETIMEDOUT) => {}
                Err(_) => handle.sleep(RETRY_PAUSE).await,
            }
        }
    }
}

/// One connect attempt in flight: the buggy dialer's operator.
struct Dial {
    fd: Fd,
    deadline: Duration,
    attempts: u32,
}

/// The buggy dialer: its own epoll loop and operator table, written directly on `Sys`.
struct Dialer<S: Sys> {
    sys: S,
    addr: SocketAddr,
    deadline: Duration,
    epfd: Fd,
    /// The operator table. A slot's index is the epoll data: no generation (the bug's half).
    slots: Vec<Option<Dial>>,
    /// Free slots, most recently freed last (reused first, like a free list).
    free: Vec<usize>,
    /// fds of cancelled dials, waiting for the sweep.
    graveyard: Vec<Fd>,
    next_sweep: Duration,
}

impl<S: Sys> Dialer<S> {
    fn new(sys: S, addr: SocketAddr, deadline: Duration) -> Self {
        let epfd = (0..ATTEMPTS_MAX)
            .find_map(|_| sys.epoll_create().ok())
            .expect("epoll_create kept failing");
        Dialer {
            next_sweep: sys.monotonic_now() + SWEEP_PERIOD,
            sys,
            addr,
            deadline,
            epfd,
            slots: Vec::new(),
            free: Vec::new(),
            graveyard: Vec::new(),
        }
    }

    fn run(mut self, dials: u64, concurrency: u64) {
        let mut connected = 0;
        let mut started = 0;
        let mut events = [EpollEvent::zeroed(); 64];
        while connected < dials {
            while started < dials && self.in_flight() < concurrency as usize {
                started += 1;
                self.start(1);
            }
            let now = self.sys.monotonic_now();
            let wake = self
                .slots
                .iter()
                .flatten()
                .map(|d| d.deadline)
                .chain([self.next_sweep])
                .min()
                .expect("the sweep is always due");
            let timeout = support::timeout_ms(wake.saturating_sub(now));
            let n = match self.sys.epoll_wait(self.epfd, &mut events, timeout) {
                Ok(n) => n,
                Err(Errno::EINTR) => 0,
                Err(e) => panic!("dialer epoll_wait failed: {e}"),
            };
            let now = self.sys.monotonic_now();
            // Deadlines first: an expired dial is cancelled and retried at once.
            for slot in 0..self.slots.len() {
                if let Some(d) = &self.slots[slot] {
                    if d.deadline <= now {
                        let attempts = d.attempts;
                        self.cancel(slot);
                        self.start(attempts + 1);
                    }
                }
            }
            // Then the harvest. An event's data is a slot index; whoever holds the slot now
            // gets the event.
            for ev in &events[..n] {
                let slot = ev.data() as usize;
                let Some(fd) = self.slots.get(slot).and_then(|s| s.as_ref()).map(|d| d.fd) else {
                    self.sys.probe(Probe::EventDroppedStale {
                        handle: slot as u64,
                        events: ev.events(),
                    });
                    continue;
                };
                self.sys.probe(Probe::EventDelivered {
                    handle: slot as u64,
                    fd,
                    events: ev.events(),
                });
                connected += self.complete(slot);
            }
            if now >= self.next_sweep {
                self.sweep();
                self.next_sweep = now + SWEEP_PERIOD;
            }
        }
        for slot in 0..self.slots.len() {
            if self.slots[slot].is_some() {
                self.cancel(slot);
            }
        }
        self.sweep();
        let _ = self.sys.close(self.epfd);
    }

    fn in_flight(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    /// Starts a connect attempt in a free slot (retrying failed setups in place).
    fn start(&mut self, mut attempts: u32) {
        loop {
            assert!(
                attempts <= ATTEMPTS_MAX,
                "a dial to {} failed {ATTEMPTS_MAX} times",
                self.addr
            );
            if self.try_start(attempts) {
                return;
            }
            attempts += 1;
        }
    }

    fn try_start(&mut self, attempts: u32) -> bool {
        let Ok(fd) = self.sys.socket(Domain::Inet, SockType::Stream) else {
            return false;
        };
        match self.sys.connect(fd, self.addr) {
            Ok(()) | Err(Errno::EINPROGRESS | Errno::EINTR) => {}
            Err(_) => {
                let _ = self.sys.close(fd);
                return false;
            }
        }
        let slot = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        let event = EpollEvent::new(EPOLLOUT | EPOLLET, slot as u64);
        if retry_eintr(|| self.sys.epoll_ctl(self.epfd, EpollOp::Add, fd, Some(event))).is_err() {
            self.free.push(slot);
            let _ = self.sys.close(fd);
            return false;
        }
        self.sys.probe(Probe::OperatorCreated {
            handle: slot as u64,
            fd,
        });
        self.slots[slot] = Some(Dial {
            fd,
            deadline: self.sys.monotonic_now() + self.deadline,
            attempts,
        });
        true
    }

    /// THE BUG: the deadline passed, so the operator is freed — without `EPOLL_CTL_DEL`, and
    /// with its fd left open until the sweep. epoll still holds the slot index as the fd's
    /// data, and the slot is about to be reused.
    fn cancel(&mut self, slot: usize) {
        let d = self.slots[slot].take().expect("cancel of a free slot");
        self.sys.probe(Probe::OperatorFreed {
            handle: slot as u64,
            fd: d.fd,
        });
        self.free.push(slot);
        self.graveyard.push(d.fd);
    }

    /// `EPOLLOUT` on the slot's fd: read `SO_ERROR`, then tear the attempt down properly
    /// (deregister, close, free). Returns 1 if it connected; a failed attempt is retried.
    fn complete(&mut self, slot: usize) -> u64 {
        let d = self.slots[slot].take().expect("complete of a free slot");
        let connected = matches!(self.sys.so_error(d.fd), Ok(None));
        if retry_eintr(|| self.sys.epoll_ctl(self.epfd, EpollOp::Del, d.fd, None)).is_ok() {
            self.sys.probe(Probe::OperatorDeregistered {
                handle: slot as u64,
                fd: d.fd,
            });
        }
        let _ = self.sys.close(d.fd);
        self.sys.probe(Probe::OperatorFreed {
            handle: slot as u64,
            fd: d.fd,
        });
        self.free.push(slot);
        if connected {
            1
        } else {
            self.start(d.attempts + 1);
            0
        }
    }

    /// Closes the fds of cancelled dials (which also takes them out of epoll).
    fn sweep(&mut self) {
        for fd in self.graveyard.drain(..) {
            let _ = self.sys.close(fd);
        }
    }
}
