//! The mechanism behind simulated threads, measured: a stackful coroutine switch (corosensei,
//! what `sim` uses) against handing a baton between two OS threads (the alternative: one OS
//! thread per simulated thread, only one allowed to run at a time).
//!
//! Both measure one handoff: control passing from one simulated thread to another and back is
//! two handoffs. Lower is better; the ratio is baton / coroutine.

use crate::report::{Entry, Report};
use crate::Options;
use corosensei::Coroutine;
use std::hint::black_box;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

/// Ns per coroutine switch: `n` resume/suspend pairs, two switches each.
fn coroutine_ns(n: u64) -> f64 {
    let mut co = Coroutine::new(|yielder, ()| loop {
        yielder.suspend(());
    });
    let start = Instant::now();
    for _ in 0..n {
        black_box(co.resume(()));
    }
    start.elapsed().as_nanos() as f64 / (2 * n) as f64
}

/// Ns per baton handoff between two OS threads (mutex + condvar, as a run loop would do it).
fn baton_ns(n: u64) -> f64 {
    let baton = Arc::new((Mutex::new(0u64), Condvar::new()));
    let other = baton.clone();
    let t = std::thread::Builder::new()
        .spawn(move || {
            let (m, c) = &*other;
            let mut turn = m.lock().unwrap();
            for i in 0..n {
                while *turn != 2 * i + 1 {
                    turn = c.wait(turn).unwrap();
                }
                *turn += 1;
                c.notify_one();
            }
        })
        .expect("spawn");
    let (m, c) = &*baton;
    let start = Instant::now();
    let mut turn = m.lock().unwrap();
    for i in 0..n {
        *turn = 2 * i + 1;
        c.notify_one();
        while *turn != 2 * i + 2 {
            turn = c.wait(turn).unwrap();
        }
    }
    drop(turn);
    let ns = start.elapsed().as_nanos() as f64 / (2 * n) as f64;
    t.join().expect("baton thread");
    ns
}

pub fn run(report: &mut Report, opts: &Options, bench_mode: bool) {
    if !opts.wants("switch") {
        return;
    }
    let (co_n, baton_n) = if bench_mode {
        (20_000_000, 20_000)
    } else {
        (100_000, 200)
    };
    let co = coroutine_ns(co_n);
    let baton = baton_ns(baton_n);
    report.push(Entry::cost(
        "thread_handoff",
        "ns_per_handoff",
        co,
        "os_thread_baton",
        baton,
    ));
}
