//! `go-netpoll-wakeup`: a netpoller woken through an eventfd ("break fd") and a wake-pending
//! flag, written directly on `Sys`; other threads queue jobs for it and wait for each.
//!
//! The seed: Go's runtime netpoll wakes a thread blocked in `epoll_wait` by writing its break
//! fd, and keeps a flag (`netpollWakeSig`) so that only one write is in flight. The write-up
//! blames two mechanisms (its history of Go is partly conjecture; the mechanisms are real):
//! a flag reset racing a concurrent wakeup, so the loop misjudges whether it will be woken;
//! and `epoll_wait`'s errno handled too strictly, so a retryable `EINTR` kills the loop.
//!
//! Here: `submitters` threads each queue `jobs` jobs, one at a time; a job is queued, the
//! loop is woken (`sched_point`; swap the flag; write the eventfd only if it was clear), and
//! the submitter waits on its own eventfd for the loop to say the job is done. The loop sleeps
//! in `epoll_wait` with a housekeeping tick of `TICK_MS`.
//! - `buggy`: the loop clears the flag *after* its last look at the queue, before sleeping. A
//!   submitter whose job was just finished queues its next one in between: it sees the flag
//!   still set, skips the write, and the loop sleeps a whole tick with the job queued
//!   (`lost_wakeup`).
//! - `buggy-eintr`: the wakeup protocol is right, but `EINTR` from `epoll_wait` is treated as
//!   fatal (`errno`). `EINTR` comes from the fault plan, so run it with `--faults default` (or
//!   `swarm`): with `--faults none` no signal ever interrupts the loop and it passes.
//! - `fixed`: the poller's protocol (`simkern_poller::waker`): clear the flag, then look at the
//!   queue once more and skip the sleep if work arrived; `EINTR` is retried.
//!
//! The race: the submitter must run its whole next submission in the window between the
//! loop's last look and its clearing of the flag; whether it does is the scheduler's choice.

use super::support::retry_eintr;
use simkern_poller::sys::epoll::EPOLLIN;
use simkern_poller::sys::{EpollEvent, EpollOp, ErrnoAction};
use simkern_poller::{Errno, Fd, Probe, Sys, SysResult};
use simkern_sim::scenario::{Param, Scenario, Setup};
use simkern_sim::SimSys;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

/// The loop's housekeeping tick: how long it sleeps when nothing wakes it (Go's netpoller
/// sleeps until its next timer). Well above the lost-wakeup oracle's bound, so a lost wakeup
/// is named when the tick ends.
pub const TICK_MS: i32 = 1000;
/// Attempts at creating an fd while the fault plan fails `epoll_create`/`eventfd`/`epoll_ctl`.
pub const SETUP_ATTEMPTS_MAX: u32 = 100;

pub const SCENARIO: Scenario = Scenario {
    name: "go-netpoll-wakeup",
    about: "threads wake a netpoller via eventfd + wake-pending flag; buggy loses a wakeup, buggy-eintr dies on EINTR (needs --faults default)",
    variants: &["fixed", "buggy", "buggy-eintr"],
    params: &[
        Param { name: "submitters", default: 2, min: 1, max: 64, about: "threads queueing jobs for the loop" },
        Param { name: "jobs", default: 2, min: 1, max: 100_000, about: "jobs each submitter queues, one at a time" },
        Param { name: "think_steps", default: 2, min: 0, max: 100_000, about: "scheduling points a submitter passes between two jobs" },
    ],
    kernel: &[],
    build,
};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Variant {
    Fixed,
    LostWakeup,
    FatalEintr,
}

fn build(setup: &Setup) -> Box<dyn FnOnce()> {
    let variant = match setup.variant.as_str() {
        "buggy" => Variant::LostWakeup,
        "buggy-eintr" => Variant::FatalEintr,
        _ => Variant::Fixed,
    };
    let submitters = setup.param("submitters").max(1) as usize;
    let jobs = setup.param("jobs");
    let think = setup.param("think_steps");
    Box::new(move || root(variant, submitters, jobs, think))
}

/// Makes an fd, retrying while the fault plan fails the call.
fn create(what: &str, mut f: impl FnMut() -> SysResult<Fd>) -> Fd {
    let mut last = None;
    for _ in 0..SETUP_ATTEMPTS_MAX {
        match f() {
            Ok(fd) => return fd,
            Err(e) => last = Some(e),
        }
    }
    panic!("{what} failed {SETUP_ATTEMPTS_MAX} times: last error {last:?}")
}

/// An epoll watching one eventfd for `EPOLLIN` (level-triggered), with data 0.
fn epoll_on_eventfd<S: Sys>(sys: &S) -> (Fd, Fd) {
    let epfd = create("epoll_create", || sys.epoll_create());
    let efd = create("eventfd", || sys.eventfd(0, false));
    let event = EpollEvent::new(EPOLLIN, 0);
    for _ in 0..SETUP_ATTEMPTS_MAX {
        if retry_eintr(|| sys.epoll_ctl(epfd, EpollOp::Add, efd, Some(event))).is_ok() {
            return (epfd, efd);
        }
    }
    panic!("epoll_ctl ADD of an eventfd kept failing")
}

/// The state the loop shares with its submitters.
struct Netpoll<S: Sys> {
    sys: S,
    loop_id: u64,
    epfd: Fd,
    /// The break fd.
    eventfd: Fd,
    /// Wake-pending: true while the loop is awake or an eventfd write is on its way.
    pending: AtomicBool,
    /// Queued jobs: the index of the submitter to tell when each is done.
    queue: Mutex<VecDeque<usize>>,
    /// Each submitter's (epoll, done eventfd).
    done: Vec<(Fd, Fd)>,
}

impl<S: Sys> Netpoll<S> {
    /// A submitter queues a job and makes sure the loop will see it (`netpollBreak`).
    fn submit(&self, submitter: usize) {
        self.sys.probe(Probe::WakeRequested {
            loop_id: self.loop_id,
        });
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(submitter);
        self.sys.sched_point();
        if !self.pending.swap(true, SeqCst) {
            self.sys.probe(Probe::WakerWrite {
                loop_id: self.loop_id,
            });
            write_eventfd(&self.sys, self.eventfd);
        }
    }

    fn queue_is_empty(&self) -> bool {
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
    }

    /// The loop: run queued jobs until `total` are done.
    fn run(&self, variant: Variant, total: u64) {
        let mut done = 0;
        let mut events = [EpollEvent::zeroed(); 4];
        loop {
            // Take and run everything queued.
            loop {
                let job = self
                    .queue
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .pop_front();
                let Some(submitter) = job else { break };
                self.sys.probe(Probe::WakeObserved {
                    loop_id: self.loop_id,
                });
                write_eventfd(&self.sys, self.done[submitter].1);
                done += 1;
            }
            if done == total {
                return;
            }
            // Declare the sleep: from now on a submitter must write the eventfd.
            self.sys.sched_point();
            self.pending.store(false, SeqCst);
            let mut timeout = TICK_MS;
            match variant {
                // THE BUG: the flag is cleared after the last look at the queue. A submitter that
                // queued since that look saw the flag still set and skipped the write; its job
                // waits out the whole tick.
                Variant::LostWakeup => {}
                // The fix: look at the queue once more after clearing the flag. A submitter that
                // queued before this look is seen by it; one that queues after it sees the flag
                // clear and writes the eventfd.
                Variant::Fixed | Variant::FatalEintr => {
                    self.sys.sched_point();
                    if !self.queue_is_empty() {
                        self.pending.store(true, SeqCst);
                        timeout = 0;
                    }
                }
            }
            self.sys.probe(Probe::LoopSleep {
                loop_id: self.loop_id,
                timeout_ms: timeout,
            });
            let result = self.sys.epoll_wait(self.epfd, &mut events, timeout);
            self.sys.probe(Probe::LoopWoke {
                loop_id: self.loop_id,
            });
            self.pending.store(true, SeqCst);
            match result {
                Ok(n) => {
                    if n > 0 {
                        drain_eventfd(&self.sys, self.eventfd);
                    }
                }
                Err(Errno::EINTR) if variant == Variant::FatalEintr => {
                    // THE BUG: a retryable errno ends the loop ("fatal error: netpoll failed").
                    self.sys.probe(Probe::ErrnoHandled {
                        call: "epoll_wait",
                        errno: Errno::EINTR,
                        action: ErrnoAction::Fatal,
                    });
                    return;
                }
                Err(Errno::EINTR) => self.sys.probe(Probe::ErrnoHandled {
                    call: "epoll_wait",
                    errno: Errno::EINTR,
                    action: ErrnoAction::Retry,
                }),
                Err(e) => panic!("netpoll epoll_wait failed: {e}"),
            }
        }
    }
}

/// Adds 1 to an eventfd (`EAGAIN`: the counter is saturated, the reader is woken anyway).
fn write_eventfd<S: Sys>(sys: &S, fd: Fd) {
    match retry_eintr(|| sys.write(fd, &1u64.to_ne_bytes())) {
        Ok(_) | Err(Errno::EAGAIN) => {}
        Err(e) => panic!("eventfd {fd} write failed: {e}"),
    }
}

/// Resets an eventfd's counter (`EAGAIN`: it was already zero).
fn drain_eventfd<S: Sys>(sys: &S, fd: Fd) {
    let mut buf = [0u8; 8];
    match retry_eintr(|| sys.read(fd, &mut buf)) {
        Ok(_) | Err(Errno::EAGAIN) => {}
        Err(e) => panic!("eventfd {fd} read failed: {e}"),
    }
}

/// A submitter: queue a job, wait until the loop says it is done, think, repeat.
fn submitter<S: Sys>(np: &Netpoll<S>, me: usize, jobs: u64, think: u64) {
    let (epfd, efd) = np.done[me];
    let mut events = [EpollEvent::zeroed(); 1];
    for _ in 0..jobs {
        np.submit(me);
        loop {
            match np.sys.epoll_wait(epfd, &mut events, -1) {
                Ok(n) if n > 0 => break,
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => panic!("submitter epoll_wait failed: {e}"),
            }
        }
        drain_eventfd(&np.sys, efd);
        for _ in 0..think {
            np.sys.sched_point();
        }
    }
}

fn root(variant: Variant, submitters: usize, jobs: u64, think: u64) {
    let sys = SimSys;
    super::support::expect_no_fds_at_end(&sys);
    let (epfd, eventfd) = epoll_on_eventfd(&sys);
    let done: Vec<(Fd, Fd)> = (0..submitters).map(|_| epoll_on_eventfd(&sys)).collect();
    let np = Arc::new(Netpoll {
        sys,
        // The poller's convention: a loop's id is its epoll fd number.
        loop_id: epfd.0 as u64,
        epfd,
        eventfd,
        pending: AtomicBool::new(true),
        queue: Mutex::new(VecDeque::new()),
        done,
    });
    let total = submitters as u64 * jobs;
    let netpoller = {
        let np = np.clone();
        sys.spawn("netpoll", move || np.run(variant, total))
            .expect("spawn netpoll")
    };
    let threads: Vec<_> = (0..submitters)
        .map(|me| {
            let np = np.clone();
            sys.spawn(&format!("submitter{me}"), move || {
                submitter(&np, me, jobs, think)
            })
            .expect("spawn submitter")
        })
        .collect();
    // When the buggy-eintr loop dies, the errno oracle has already stopped the run.
    sys.join(netpoller);
    for t in threads {
        sys.join(t);
    }
    for &(e, f) in np.done.iter().chain([&(np.epfd, np.eventfd)]) {
        let _ = sys.close(f);
        let _ = sys.close(e);
    }
}
