//! The simulated kernel as a conformance backend: `SimSys` inside `simkern_sim::run`.
//!
//! Owns: the simulator's configuration for conformance and the model configuration that
//! matches it. The simulator's fds are the model's own numbers (fds 0, 1 and 2 are taken
//! first, as stdin, stdout and stderr would be: fd 0 is an empty epoll to sleep on, 1 and 2 a
//! pipe), so its lowest-free numbering is checked too. Model port `k` is port 5000 + `k`.
//! `Settle` sleeps 100 ms of virtual time in `epoll_wait` on the empty epoll, far past the
//! longest chain of segments (a few hops of at most `LATENCY_NS_MAX`); `Nap` sleeps 1 ms,
//! so that some segments in flight arrive and others do not.
//!
//! Buffers: the simulator counts `sndbuf` bytes not yet delivered and `rcvbuf` bytes
//! delivered and unread. A writer is therefore refused at `sndbuf + rcvbuf` unread bytes at
//! the most, and writable (`sk_stream_is_writeable`: free space at least half the queued
//! bytes) surely below `sndbuf / 2`; its writes that do not fit take at least half the free
//! space. So the model's `stream_buf_min` is `sndbuf / 2` and `stream_buf_max` is
//! `sndbuf + rcvbuf`, with `rcvbuf >= sndbuf / 2` so a settled read finds `stream_buf_min`.

use crate::gen::Profile;
use crate::run::{drive, Backend, Failure, Run};
use crate::step::Step;
use simkern::model::{self, linux, Fd, Port, UnixName};
use simkern::poller::sys::{self, EpollEvent, Sys};
use simkern::sim::kernel;
use simkern::sim::{SimSys, Stop};
use std::cell::RefCell;
use std::rc::Rc;

/// Where model ports live in the simulator.
const PORT_BASE: u16 = 5000;
/// Virtual time a `Settle` sleeps.
const SETTLE_MS: i32 = 100;
/// Virtual time a `Nap` sleeps: some of the latency range (`LATENCY_NS_MAX`).
const NAP_MS: i32 = 1;
/// One-way latency bounds: wide enough that a `Nap` splits in-flight traffic.
const LATENCY_NS_MIN: u64 = 10_000;
const LATENCY_NS_MAX: u64 = 4_000_000;
/// The fd limit of the `FdLimit` profile: fds 3 to 9 for the sequence.
pub const FD_LIMIT: i32 = 10;
/// Bound on the model's states: past it a sequence stops early (not a failure).
pub const MAX_WORLDS: usize = 1024;

/// The simulator's kernel configuration and the model configuration that judges it.
#[derive(Clone, Debug)]
pub struct Setup {
    pub kernel: kernel::Config,
    pub model: model::Config,
}

/// The setup of one case: small buffers (short writes and `EAGAIN` within a few writes) or
/// larger ones, per `seed`; the low fd limit for `FdLimit`.
pub fn setup(profile: Profile, seed: u64) -> Setup {
    let (sndbuf, rcvbuf) = if seed.is_multiple_of(2) {
        (8192, 8192)
    } else {
        (65_536, 131_072)
    };
    let mut k = kernel::Config {
        latency_ns_min: LATENCY_NS_MIN,
        latency_ns_max: LATENCY_NS_MAX,
        sndbuf,
        rcvbuf,
        ..kernel::Config::default()
    };
    let mut m = model::Config {
        stream_buf_min: sndbuf / 2,
        stream_buf_max: sndbuf + rcvbuf,
        max_worlds: MAX_WORLDS,
        ..model::Config::default()
    };
    if profile == Profile::FdLimit {
        k.rlimit_nofile = FD_LIMIT as u32;
        m.fd_limit = FD_LIMIT;
    }
    // Where Linux versions differ, a sequence compared with the host runs the simulator as
    // the host answers (direct comparisons then see one state on both); a simulator-only
    // sequence takes the newest known kernel or the older behaviours, by the run's seed (the
    // default seed takes the older ones, so on a new host both are held against the model). The model judges the simulator
    // by its target alone.
    k.linux = if profile.on_linux() {
        crate::host::behaviours()
    } else if (seed / 2).is_multiple_of(2) {
        linux::Behaviours::default()
    } else {
        linux::Behaviours::of(linux::Version::new(5, 10, 0))
    };
    m.linux = Some(k.linux);
    if profile.on_linux() {
        k.ip_default_ttl = crate::host::ip_default_ttl();
        m.ip_default_ttl = k.ip_default_ttl;
    }
    // A run seed divisible by 3 (the regressions' seed 0) takes the strict kernel (no
    // freedoms): the model must allow Linux's usual answers as well as the explored ones.
    if seed.is_multiple_of(3) {
        k.permute_ready = false;
        k.write_len_freedom = false;
    }
    Setup {
        kernel: k,
        model: m,
    }
}

struct SimBackend {
    /// The empty epoll `Settle` and `Nap` sleep on (fd 0).
    sleep: sys::Fd,
    config: kernel::Config,
}

impl Backend for SimBackend {
    type S = SimSys;

    fn sys(&self) -> SimSys {
        SimSys
    }

    fn real(&self, fd: Fd) -> Fd {
        fd
    }

    fn adopt(&mut self, _model: Fd, real: Fd) -> Fd {
        real
    }

    fn forget(&mut self, _fd: Fd) {}

    fn port(&mut self, port: Port) -> Result<u16, String> {
        Ok(PORT_BASE + port.0)
    }

    fn classify(&self, port: u16) -> String {
        classify(port, PORT_BASE, &self.config)
    }

    fn settle(&mut self) {
        let mut ev = [EpollEvent::zeroed()];
        let n = SimSys.epoll_wait(self.sleep, &mut ev, SETTLE_MS);
        assert_eq!(n, Ok(0), "the empty epoll reported something");
    }

    fn nap(&mut self) {
        let mut ev = [EpollEvent::zeroed()];
        let n = SimSys.epoll_wait(self.sleep, &mut ev, NAP_MS);
        assert_eq!(n, Ok(0), "the empty epoll reported something");
    }

    fn unix_addr(&mut self, name: UnixName) -> Result<sys::UnixAddr, String> {
        Ok(crate::unix_names::addr(
            name,
            UNIX_PATH_DIR,
            UNIX_ABSTRACT_PREFIX,
        ))
    }

    fn unix_name(&self, addr: &sys::UnixAddr) -> Option<UnixName> {
        crate::unix_names::name(addr, UNIX_PATH_DIR, UNIX_ABSTRACT_PREFIX)
    }
}

/// Where model Unix paths live in the simulator (which needs no directory).
const UNIX_PATH_DIR: &str = "/conformance";
/// The prefix of model abstract names in the simulator (one run per kernel: no collisions).
const UNIX_ABSTRACT_PREFIX: &str = "conformance-";

fn classify(port: u16, base: u16, config: &kernel::Config) -> String {
    if port == 0 {
        "0".into()
    } else if (base..base + crate::gen::PORTS).contains(&port) {
        format!("port {}", port - base)
    } else if (config.ephemeral_port_min..=config.ephemeral_port_max).contains(&port) {
        "ephemeral".into()
    } else {
        format!("{port}")
    }
}

/// Runs `steps` on the simulator (seeded `seed`), judged by the model.
pub fn run(steps: &[Step], setup: &Setup, seed: u64, explain: bool) -> Run {
    let out = Rc::new(RefCell::new(Run::default()));
    let shared = Rc::clone(&out);
    let steps = steps.to_vec();
    let model_config = setup.model.clone();
    let kernel_config = setup.kernel.clone();
    let mut config = simkern::sim::Config::new(seed);
    config.kernel = setup.kernel.clone();
    let outcome = simkern::sim::run(&config, move || {
        let sys = SimSys;
        let sleep = sys.epoll_create().expect("fd 0: the sleeping epoll");
        let (r, w) = sys.pipe2().expect("fds 1 and 2");
        assert_eq!(
            (sleep.0, r.0, w.0),
            (0, 1, 2),
            "a fresh kernel numbers fds from 0"
        );
        let backend = SimBackend {
            sleep,
            config: kernel_config,
        };
        drive(
            backend,
            model_config,
            &steps,
            explain,
            &mut shared.borrow_mut(),
        );
        for fd in simkern::sim::open_fds() {
            let _ = sys.close(fd);
        }
    });
    let mut run = Rc::try_unwrap(out)
        .map(RefCell::into_inner)
        .unwrap_or_else(|rc| rc.borrow().clone());
    if !outcome.passed() && run.failure.is_none() {
        let at = run.records.len().saturating_sub(1);
        let why = match &outcome.stop {
            Stop::Panic {
                message, location, ..
            } => format!(
                "a panic in the simulated run at {location} (under model/: the model's \
                 assertion; under sim/: the simulator's): {message}"
            ),
            other => format!("the run stopped: {other:?}"),
        };
        let why = format!("{why}\nkernel state:\n{}", outcome.kernel_state);
        run.failure = Some((at, Failure::Stopped(why)));
    }
    run
}
