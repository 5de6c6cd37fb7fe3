//! Echo ping-pong over loopback on the real kernel: the poller against mio, written alike,
//! and `simkern::mio` against mio on one source (`mio_api.rs`, compiled over each).
//!
//! For each framework and each connection count, one server loop thread and one client loop
//! thread, both on the framework under test, both edge-triggered, `TCP_NODELAY` on every
//! socket. Each client connection sends a `MSG_LEN`-byte message, reads the echo back whole,
//! checks every byte, and repeats. The server echoes whatever it reads.
//!
//! Measuring is done here, outside both frameworks, the same way for both: the client thread
//! publishes its running count of round trips in a `Meter` (one relaxed store per round trip);
//! this thread sleeps through the warm-up, reads the count and the clock, sleeps through the
//! measurement window, reads them again, then asks the client to stop. Neither side's code
//! reads a clock or arms a timer for the measurement, so neither pays for it.
//!
//! Syscalls per round trip, as written (`strace`-checked): mio's server reads until
//! `WouldBlock`, so `recv`, `send`, `recv`=`EAGAIN`; the poller's server skips that last read
//! after a short read (see `poller/src/net/stream.rs`). Both clients read exactly `MSG_LEN`
//! bytes, a read that fills its buffer cannot tell whether the socket is drained, so both pay
//! the `EAGAIN` read: `send`, `recv`, `recv`=`EAGAIN`. Plus each side's share of `epoll_wait`.
//!
//! Runs alternate the frameworks in an ABBA order (poller, mio, mio, poller, ...) so that
//! drift in machine speed falls on both alike; the report takes the median of the runs. Many
//! short runs rather than a few long ones: on a shared VM the machine's speed shifts in steps
//! lasting seconds, and a median over many interleaved runs shrugs off the runs a step spoils.
//! Both loop threads are pinned (see `pin`), so the scheduler's placement is not a variable.
//!
//! Not modelled: anything but loopback, message sizes other than `MSG_LEN`, pipelining (one
//! message in flight per connection), more than one loop thread per side.

pub mod pin;
mod with_poller;

/// The mio-style echo over mio itself.
mod with_mio {
    use ::mio as api;
    include!("mio_api.rs");
}

/// The same source over `simkern::mio`, outside a simulation: real epoll through its
/// dispatch (the kernel chosen per object at creation).
mod with_simkern_mio {
    use simkern::mio as api;
    include!("mio_api.rs");
}

use crate::noise::{self, Cpu};
use crate::report::{Entry, Report, Summary};
use crate::Options;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

/// Message size: small enough that the cost is the loop and the syscalls, not the copy.
pub const MSG_LEN: usize = 64;
/// Connection counts measured.
const CONNS: [usize; 2] = [1, 64];
/// Bytes one server read asks for (the echo-server example's order of magnitude).
pub const SERVER_READ_BUF: usize = 4096;
/// Foreign CPU load above which a configuration's numbers are flagged: a tenth of a CPU is
/// already several percent of a loop thread's time.
const NOISY_CPUS: f64 = 0.1;
/// Where both servers listen: loopback only, an ephemeral port.
const LISTEN: &str = "127.0.0.1:0";

/// What the client loop and the measuring thread share.
#[derive(Default)]
pub struct Meter {
    /// Round trips completed so far (written by the client thread only).
    round_trips: AtomicU64,
    /// Set by the measuring thread; each connection stops after its current round trip.
    stop: AtomicBool,
}

impl Meter {
    /// Called by the client loop after each round trip with its running total.
    #[inline]
    pub fn publish(&self, total: u64) {
        self.round_trips.store(total, Relaxed);
    }

    #[inline]
    pub fn stopped(&self) -> bool {
        self.stop.load(Relaxed)
    }
}

/// The next message of a connection: its sequence number, then a filler that differs per
/// connection and per round trip, so a misrouted or stale echo fails the check. Cheap (the
/// filler loop vectorises) so that the benchmark measures the loops, not itself.
pub fn fill_message(msg: &mut [u8], conn: usize, seq: u64) {
    let head = msg.len().min(8);
    msg[..head].copy_from_slice(&seq.to_le_bytes()[..head]);
    let salt = (seq.wrapping_mul(31) ^ conn as u64) as u8;
    for (j, b) in msg[head..].iter_mut().enumerate() {
        *b = j as u8 ^ salt;
    }
}

/// The two frameworks, as the driver sees them.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Framework {
    Poller,
    Mio,
    SimkernMio,
}

impl Framework {
    /// Starts a server for exactly `conns` connections; returns its address and thread. The
    /// server exits once all of them have been accepted and closed by the client.
    fn start_server(self, conns: usize, cpu: Option<usize>) -> (SocketAddr, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel();
        let listen: SocketAddr = LISTEN.parse().expect("LISTEN is a socket address");
        let thread = std::thread::Builder::new()
            .name(format!("{self:?}-server"))
            .spawn(move || {
                if let Some(cpu) = cpu {
                    pin::pin_current_thread(cpu);
                }
                match self {
                    Framework::Poller => with_poller::server(listen, conns, tx),
                    Framework::Mio => with_mio::server(listen, conns, tx),
                    Framework::SimkernMio => with_simkern_mio::server(listen, conns, tx),
                }
            })
            .expect("spawning the server thread");
        let addr = rx
            .recv()
            .unwrap_or_else(|_| panic!("{self:?} server thread died before listening"));
        (addr, thread)
    }

    fn start_client(
        self,
        addr: SocketAddr,
        conns: usize,
        meter: Arc<Meter>,
        cpu: Option<usize>,
    ) -> JoinHandle<()> {
        std::thread::Builder::new()
            .name(format!("{self:?}-client"))
            .spawn(move || {
                if let Some(cpu) = cpu {
                    pin::pin_current_thread(cpu);
                }
                match self {
                    Framework::Poller => with_poller::client(addr, conns, meter),
                    Framework::Mio => with_mio::client(addr, conns, meter),
                    Framework::SimkernMio => with_simkern_mio::client(addr, conns, meter),
                }
            })
            .expect("spawning the client thread")
    }

    /// One run: warm up, measure, stop.
    fn run(self, conns: usize, opts: &Options) -> Run {
        let cpus = opts.pin.cpus();
        let (addr, server) = self.start_server(conns, cpus.map(|(server, _)| server));
        let meter = Arc::new(Meter::default());
        let client = self.start_client(addr, conns, meter.clone(), cpus.map(|(_, client)| client));
        std::thread::sleep(opts.warmup);
        let (count0, t0, cpu0) = (meter.round_trips.load(Relaxed), Instant::now(), Cpu::now());
        std::thread::sleep(opts.measure);
        let (count1, t1, cpu1) = (meter.round_trips.load(Relaxed), Instant::now(), Cpu::now());
        meter.stop.store(true, Relaxed);
        join(client, self, "client");
        join(server, self, "server");
        assert!(
            count1 > count0,
            "{self:?} with {conns} connections made no round trip in {:?}: stalled loop?",
            opts.measure
        );
        Run {
            rate: (count1 - count0) as f64 / (t1 - t0).as_secs_f64(),
            foreign_cpus: noise::foreign(cpu0, cpu1, t1 - t0),
        }
    }
}

fn join(thread: JoinHandle<()>, framework: Framework, side: &str) {
    if let Err(panic) = thread.join() {
        eprintln!("{framework:?} {side} thread panicked");
        std::panic::resume_unwind(panic);
    }
}

/// What one run measured.
struct Run {
    /// Round trips per second.
    rate: f64,
    /// CPUs' worth of time other processes took meanwhile (`None`: unknown).
    foreign_cpus: Option<f64>,
}

/// Runs every configuration and adds one entry per connection count to `report`.
pub fn run(report: &mut Report, opts: &Options) {
    for conns in CONNS {
        let name = format!("echo_rtt_{conns}conn");
        if !opts.wants(&name) {
            continue;
        }
        let mut poller = Vec::new();
        let mut mio = Vec::new();
        let mut simkern_mio = Vec::new();
        let mut foreign_max = 0.0f64;
        for rep in 0..opts.reps {
            // ABC CBA: a linear drift in machine speed lands on every framework equally.
            let mut order = [Framework::Poller, Framework::Mio, Framework::SimkernMio];
            if rep % 2 == 1 {
                order.reverse();
            }
            for framework in order {
                let run = framework.run(conns, opts);
                let foreign = match run.foreign_cpus {
                    Some(cpus) => {
                        foreign_max = foreign_max.max(cpus);
                        format!("{cpus:.2}")
                    }
                    None => "unknown".to_owned(),
                };
                eprintln!(
                    "  {name} rep {rep} {framework:?}: {:.0} round trips/s \
                     (other processes: {foreign} CPU)",
                    run.rate
                );
                match framework {
                    Framework::Poller => poller.push(run.rate),
                    Framework::Mio => mio.push(run.rate),
                    Framework::SimkernMio => simkern_mio.push(run.rate),
                }
            }
        }
        let (poller, mio) = (Summary::of(&mut poller), Summary::of(&mut mio));
        let simkern_mio = Summary::of(&mut simkern_mio);
        eprintln!("  {name}: poller {poller}; mio {mio}; simkern::mio {simkern_mio}");
        if foreign_max > NOISY_CPUS {
            eprintln!(
                "  {name}: WARNING: other processes took up to {foreign_max:.2} CPU during \
                 a measurement (threshold {NOISY_CPUS}): these numbers are unreliable"
            );
        }
        report.push(Entry::throughput(
            &name,
            "round_trips_per_s",
            poller.median,
            "mio",
            mio.median,
        ));
        report.push(Entry::throughput(
            &format!("mio_api_{name}"),
            "round_trips_per_s",
            simkern_mio.median,
            "mio",
            mio.median,
        ));
    }
}

/// One framework for about `round_trips` round trips, then stop: for instruction counts under
/// valgrind (`scripts/bench-profile.sh`), where a time window means nothing. Returns the exact
/// number of round trips made (the client finishes the one in progress on each connection).
pub fn fixed(framework: &str, conns: usize, round_trips: u64) -> Result<u64, String> {
    let framework = match framework {
        "poller" => Framework::Poller,
        "mio" => Framework::Mio,
        "simkern-mio" => Framework::SimkernMio,
        other => {
            return Err(format!(
                "unknown framework {other:?} (poller, mio, simkern-mio)"
            ))
        }
    };
    let (addr, server) = framework.start_server(conns, None);
    let meter = Arc::new(Meter::default());
    let client = framework.start_client(addr, conns, meter.clone(), None);
    while meter.round_trips.load(Relaxed) < round_trips {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    meter.stop.store(true, Relaxed);
    join(client, framework, "client");
    join(server, framework, "server");
    Ok(meter.round_trips.load(Relaxed))
}
