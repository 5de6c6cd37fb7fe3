//! Virtual time: when every thread waits, the clock jumps to the next deadline.

use simkern::poller::{Runtime, Sys};
use simkern::sim::{run, Config, SimSys, Stop};
use std::time::Duration;

#[test]
fn a_scenario_that_sleeps_an_hour_of_virtual_time_finishes_in_milliseconds() {
    let wall = simkern::sim::wall::Stopwatch::start();
    let outcome = run(&Config::new(1), || {
        let rt = Runtime::new(SimSys).unwrap();
        let h = rt.handle().clone();
        rt.block_on(async move {
            for _ in 0..60 {
                h.sleep(Duration::from_secs(60)).await;
            }
        })
        .unwrap();
        assert!(SimSys.monotonic_now() >= Duration::from_secs(3600));
    });
    assert_eq!(outcome.stop, Stop::Completed, "{:?}", outcome.stop);
    assert!(
        outcome.virtual_ns >= 3_600_000_000_000,
        "virtual time {} ns",
        outcome.virtual_ns
    );
    // An hour simulated; a generous bound on wall time that only a real sleep would break.
    assert!(
        wall.seconds() < 10.0,
        "took {} s of wall time",
        wall.seconds()
    );
}

/// A reader that keeps working (a busy handler: reads that find `EAGAIN`, never parking) while
/// its peer writes. With `step_ns_max` 0 time stands still while it runs, so the bytes, which
/// need 10 to 20 µs to cross, never land; with `step_ns_max` 1,000 every step takes up to
/// 1 µs (0.5 on average: 200 reads take about 100 µs) and the bytes land between the
/// handler's steps, as on Linux, on every seed.
#[test]
fn with_time_per_step_bytes_land_while_a_handler_is_still_running() {
    /// `None` when the byte was there at the first read (the seed does not ask the
    /// question); else whether it landed during the spin after a first `EAGAIN`.
    fn busy_reader_sees_data(step_ns_max: u64, seed: u64) -> Option<bool> {
        let mut config = Config::new(seed);
        config.kernel.step_ns_max = step_ns_max;
        config.kernel.latency_ns_max = 20_000; // the byte lands within 20 µs of the write
        let seen = std::rc::Rc::new(std::cell::Cell::new(None));
        let flag = seen.clone();
        let outcome = run(&config, move || {
            let sys = SimSys;
            let l = sys
                .socket(
                    simkern::poller::sys::Domain::Inet,
                    simkern::poller::sys::SockType::Stream,
                )
                .unwrap();
            let at: std::net::SocketAddr = "127.0.0.1:9100".parse().unwrap();
            sys.bind(l, at).unwrap();
            sys.listen(l, 1).unwrap();
            let c = sys
                .socket(
                    simkern::poller::sys::Domain::Inet,
                    simkern::poller::sys::SockType::Stream,
                )
                .unwrap();
            let _ = sys.connect(c, at); // EINPROGRESS
            let writer = sys
                .spawn("writer", move || {
                    // Park until the handshake is done, then write one byte.
                    while SimSys.write(c, b"x").is_err() {
                        let ep = SimSys.epoll_create().unwrap();
                        let ev = simkern::poller::sys::EpollEvent::new(
                            simkern::poller::sys::epoll::EPOLLOUT,
                            0,
                        );
                        SimSys
                            .epoll_ctl(ep, simkern::poller::sys::EpollOp::Add, c, Some(ev))
                            .unwrap();
                        let mut evs = [simkern::poller::sys::EpollEvent::zeroed(); 1];
                        SimSys.epoll_wait(ep, &mut evs, -1).unwrap();
                        SimSys.close(ep).unwrap();
                    }
                })
                .unwrap();
            // Accept (parking until the SYN lands), then spin: 200 reads, no parking.
            let ep = sys.epoll_create().unwrap();
            let ev = simkern::poller::sys::EpollEvent::new(simkern::poller::sys::epoll::EPOLLIN, 0);
            sys.epoll_ctl(ep, simkern::poller::sys::EpollOp::Add, l, Some(ev))
                .unwrap();
            let mut evs = [simkern::poller::sys::EpollEvent::zeroed(); 1];
            sys.epoll_wait(ep, &mut evs, -1).unwrap();
            let (s, _) = sys.accept4(l).unwrap();
            sys.join(writer);
            let mut buf = [0u8; 1];
            if sys.read(s, &mut buf) != Ok(1) {
                flag.set(Some(false));
                for _ in 0..200 {
                    if sys.read(s, &mut buf) == Ok(1) {
                        flag.set(Some(true));
                        break;
                    }
                }
            }
            for fd in [s, c, l, ep] {
                sys.close(fd).unwrap();
            }
        });
        assert_eq!(outcome.stop, Stop::Completed, "{:?}", outcome.stop);
        seen.get()
    }
    let (mut still, mut moving) = (0, 0);
    for seed in 0..40 {
        if let Some(landed) = busy_reader_sees_data(0, seed) {
            assert!(!landed, "seed {seed}: time moved while a thread could run");
            still += 1;
        }
        if let Some(landed) = busy_reader_sees_data(1_000, seed) {
            assert!(
                landed,
                "seed {seed}: the byte never landed while the handler ran"
            );
            moving += 1;
        }
    }
    // Both settings must have asked the question on enough seeds to mean something.
    assert!(
        still >= 10 && moving >= 10,
        "seeds that asked: {still} and {moving}"
    );
}

/// Events that become ready while a loop works pile up for its next `epoll_wait`, by default.
/// Eight connections each get a byte at nearly the same instant; their segments land 10 to
/// 20 µs later, each at its own drawn time. The loop wakes for the first, then works 400 steps
/// (reads that find `EAGAIN`) and harvests with a zero timeout. With the default step time
/// (0..=100 ns a step, about 20 µs for the 400) the others land meanwhile and come in that one
/// harvest; with `step_ns_max` 0 time stands still while the loop runs, and the harvest holds
/// only what landed at the first wake's instant.
#[test]
fn by_default_events_that_land_while_a_loop_works_come_in_one_harvest() {
    use simkern::poller::sys::{epoll, Domain, EpollEvent, EpollOp, SockType};
    const CONNS: usize = 8;
    /// Events in the first harvest (`epoll_wait` that parked) and in the one after the work.
    fn harvests(step_ns_max: Option<u64>, seed: u64) -> (usize, usize) {
        let mut config = Config::new(seed);
        if let Some(s) = step_ns_max {
            config.kernel.step_ns_max = s;
        }
        config.kernel.latency_ns_max = 20_000;
        let counts = std::rc::Rc::new(std::cell::Cell::new((0, 0)));
        let out = counts.clone();
        let outcome = run(&config, move || {
            let sys = SimSys;
            let at: std::net::SocketAddr = "127.0.0.1:9200".parse().unwrap();
            let l = sys.socket(Domain::Inet, SockType::Stream).unwrap();
            sys.bind(l, at).unwrap();
            sys.listen(l, CONNS as i32).unwrap();
            let ep = sys.epoll_create().unwrap();
            let mut evs = [EpollEvent::zeroed(); CONNS];
            let clients: Vec<_> = (0..CONNS)
                .map(|_| {
                    let c = sys.socket(Domain::Inet, SockType::Stream).unwrap();
                    let _ = sys.connect(c, at); // EINPROGRESS
                    c
                })
                .collect();
            let mut served = Vec::new();
            while served.len() < CONNS {
                match sys.accept4(l) {
                    Ok((s, _)) => {
                        let ev = EpollEvent::new(epoll::EPOLLIN, served.len() as u64);
                        sys.epoll_ctl(ep, EpollOp::Add, s, Some(ev)).unwrap();
                        served.push(s);
                    }
                    Err(_) => {
                        // Park until the next handshake lands.
                        sys.nanosleep(Duration::from_micros(50)).unwrap();
                    }
                }
            }
            // Every client's handshake is done once its server side was accepted.
            sys.nanosleep(Duration::from_millis(5)).unwrap();
            for &c in &clients {
                assert_eq!(sys.write(c, b"x"), Ok(1));
            }
            let first = sys.epoll_wait(ep, &mut evs, -1).unwrap();
            let mut buf = [0u8; 1];
            // Take what the first harvest reported, so the entries (level-triggered) are not
            // ready again in the second.
            for ev in &evs[..first] {
                assert_eq!(sys.read(served[ev.data() as usize], &mut buf), Ok(1));
            }
            let idle = clients[0];
            for _ in 0..400 {
                assert!(
                    sys.read(idle, &mut buf).is_err(),
                    "nothing is sent to a client"
                );
            }
            let second = sys.epoll_wait(ep, &mut evs, 0).unwrap();
            out.set((first, second));
            for fd in served.into_iter().chain(clients).chain([l, ep]) {
                sys.close(fd).unwrap();
            }
        });
        assert_eq!(outcome.stop, Stop::Completed, "{:?}", outcome.stop);
        counts.get()
    }
    let (mut piled, mut seeds) = (0, 0);
    for seed in 0..20 {
        let (first, second) = harvests(None, seed);
        assert!(
            first >= 1 && first + second <= CONNS,
            "seed {seed}: {first} + {second}"
        );
        // The first wake's instant rarely holds two segments: each has its own drawn time.
        if first == 1 {
            seeds += 1;
            if second >= 2 {
                piled += 1;
            }
        }
        let (first, second) = harvests(Some(0), seed);
        assert_eq!(
            second, 0,
            "seed {seed}: with time still, nothing lands while the loop runs ({first} first)"
        );
    }
    assert!(
        seeds >= 10 && piled * 10 >= seeds * 9,
        "{piled} of {seeds} seeds harvested two or more events after the work"
    );
}
