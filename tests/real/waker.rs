//! The cross-thread waker on the real kernel: eventfd plus the wake-pending flag.
//!
//! Another OS thread wakes the loop 20,000 times at pseudo-random moments (a xorshift seeded
//! in the test picks busy-waits, yields and sleeps of tens of microseconds, so the loop does
//! go to sleep between wakes, and wakes land before, during and after its `prepare_sleep`).
//! Every wake must be observed, and the eventfd written at most once per sleep. And closures
//! sent with `RemoteHandle::run` from two threads run on the loop thread in each sender's
//! order. And once the loop is idle again, the eventfd's counter is back to zero: every write
//! it was woken by was read, so the counter never creeps toward saturation (where a write
//! would fail with `EAGAIN`).

use crate::support::{fds_exclusive, fds_shared, open_fds, wait_until, LoopThread, CALL_TIMEOUT};
use simkern::poller::LinuxSys;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WAKES: u64 = 20_000;
const RUNS_PER_SENDER: u64 = 5_000;

/// xorshift64 (Marsaglia 2003): deterministic, good enough to scatter timings.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// A pause of a random kind: usually a short spin, sometimes a yield, sometimes a real sleep.
fn random_pause(rng: &mut XorShift) {
    let r = rng.next();
    match r % 16 {
        0 => std::thread::sleep(Duration::from_micros(10 + (r >> 8) % 60)),
        1..=3 => std::thread::yield_now(),
        _ => {
            for _ in 0..(r >> 16) % 2_000 {
                std::hint::spin_loop();
            }
        }
    }
}

#[test]
fn twenty_thousand_remote_wakes_are_all_observed_with_at_most_one_eventfd_write_per_sleep() {
    let _fds = fds_shared();
    let (lt, ()) = LoopThread::start("waker", LinuxSys, |_| ());
    let remote = lt.remote();
    let waker = std::thread::Builder::new()
        .name("waker".into())
        .spawn(move || {
            let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
            for _ in 0..WAKES {
                remote.wake();
                random_pause(&mut rng);
            }
        })
        .expect("spawn the waker thread");
    waker.join().expect("the waker thread panicked");

    wait_until("the loop observes every wake", CALL_TIMEOUT, || {
        let s = lt.stats();
        (s.wakes_observed == WAKES)
            .then_some(())
            .ok_or(format!("{s:?}"))
    });
    let s = lt.stats();
    assert_eq!(s.wakes_requested, WAKES, "{s:?}");
    assert_eq!(s.wakes_observed, WAKES, "{s:?}");
    assert!(
        s.eventfd_writes >= 1,
        "the loop slept, so some wake had to write: {s:?}"
    );
    assert!(
        s.eventfd_writes <= s.sleeps,
        "the eventfd is written at most once per sleep (the pending flag): {s:?}"
    );
    // ~1,250 of the pauses are sleeps of 10-70 us, each long enough for the loop to go back to
    // epoll_wait; 10 is a floor that only a loop that never sleeps (spins) would miss.
    assert!(
        s.sleeps >= 10,
        "the loop hardly slept: the test did not exercise sleep: {s:?}"
    );
    lt.stop();
}

#[test]
fn closures_sent_with_remote_run_run_on_the_loop_thread_in_each_senders_order() {
    let _fds = fds_shared();
    let (lt, loop_thread) =
        LoopThread::start("remote-run", LinuxSys, |_| std::thread::current().id());
    let ran: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
    let senders: Vec<_> = (0..2u64)
        .map(|sender| {
            let remote = lt.remote();
            let ran = ran.clone();
            std::thread::Builder::new()
                .name(format!("run-sender-{sender}"))
                .spawn(move || {
                    let mut rng = XorShift(0x2545_F491_4F6C_DD1D + sender);
                    for i in 0..RUNS_PER_SENDER {
                        let ran = ran.clone();
                        remote.run(move |_h| {
                            assert_eq!(
                                std::thread::current().id(),
                                loop_thread,
                                "a RemoteHandle::run closure ran off the loop thread"
                            );
                            ran.lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push((sender, i));
                        });
                        if rng.next() & 7 == 0 {
                            random_pause(&mut rng);
                        }
                    }
                })
                .expect("spawn a sender")
        })
        .collect();
    for s in senders {
        s.join().expect("a sender panicked");
    }
    // Queued before this closure, so all have run once it answers.
    lt.call(|_| ());
    let ran = ran.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert_eq!(
        ran.len() as u64,
        2 * RUNS_PER_SENDER,
        "closures lost or duplicated"
    );
    for sender in 0..2 {
        let order: Vec<u64> = ran.iter().filter(|r| r.0 == sender).map(|r| r.1).collect();
        let first_out_of_order = order.iter().enumerate().find(|(k, &i)| *k as u64 != i);
        assert!(
            first_out_of_order.is_none(),
            "sender {sender}: closure {first_out_of_order:?} (position, index) ran out of order"
        );
    }
    lt.stop();
}

/// The counter of eventfd `fd` as `/proc/self/fdinfo` shows it (`eventfd-count:`, in hex).
fn eventfd_count(fd: i32) -> Result<u64, String> {
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}"))
        .map_err(|e| format!("read /proc/self/fdinfo/{fd}: {e}"))?;
    let line = info
        .lines()
        .find_map(|l| l.strip_prefix("eventfd-count:"))
        .ok_or(format!(
            "fd {fd} has no eventfd-count in its fdinfo:\n{info}"
        ))?;
    u64::from_str_radix(line.trim(), 16).map_err(|e| format!("eventfd-count {line:?}: {e}"))
}

#[test]
fn an_idle_loop_has_read_every_eventfd_write_it_was_woken_by() {
    // Exclusive: the loop's eventfd is found as the one eventfd that starting it opened.
    let _fds = fds_exclusive();
    let before = open_fds();
    let (lt, ()) = LoopThread::start("waker-drain", LinuxSys, |_| ());
    let eventfds: Vec<i32> = open_fds()
        .into_iter()
        .filter(|(fd, target)| !before.contains_key(fd) && target == "anon_inode:[eventfd]")
        .map(|(fd, _)| fd)
        .collect();
    let [eventfd] = eventfds[..] else {
        panic!("starting a loop opened eventfds {eventfds:?}, not exactly one");
    };
    let remote = lt.remote();
    const SLEEPY_WAKES: u64 = 50;
    for _ in 0..SLEEPY_WAKES {
        remote.wake();
        // Long enough for the loop to go back to epoll_wait, so most wakes write.
        std::thread::sleep(Duration::from_millis(1));
    }
    wait_until("the loop observes every wake", CALL_TIMEOUT, || {
        let s = lt.stats();
        (s.wakes_observed == SLEEPY_WAKES)
            .then_some(())
            .ok_or(format!("{s:?}"))
    });
    let s = lt.stats();
    assert!(s.eventfd_writes >= 1, "no wake wrote the eventfd: {s:?}");
    wait_until(
        "the idle loop's eventfd counter is zero",
        CALL_TIMEOUT,
        || match eventfd_count(eventfd)? {
            0 => Ok(()),
            n => Err(format!("counter {n} after {} writes", s.eventfd_writes)),
        },
    );
    lt.stop();
}
