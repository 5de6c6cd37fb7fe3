//! The cross-thread waker: an eventfd plus a wake-pending flag, and the queue it guards.
//!
//! Protocol (the fix for the race behind Go's netpoll break-fd bugs):
//! - `pending == true` means "the loop will look at the queue without being woken": it is
//!   awake, or an eventfd write is already on its way.
//! - A waker pushes its work, then `pending.swap(true)`; only the one that saw `false` writes
//!   the eventfd. So the eventfd is written at most once per declared sleep.
//! - Before sleeping the loop stores `pending = false`, then looks at the queue once more; if
//!   it is non-empty it does not block. A waker that pushed before that look is seen by it; one
//!   that pushed after it sees `false` and writes. No interleaving loses a wakeup.
//! - After `epoll_wait` returns the loop sets `pending = true` again and, when the eventfd is
//!   reported readable, reads it to reset the counter.
//! - A push from the loop's own thread (a task woken by the reactor, a timer, another task)
//!   skips the flag: the loop is running, so it will look at the queue before it sleeps. It
//!   also skips the lock: it goes to a queue only the loop's thread touches (`local`), unless
//!   other threads' work is waiting (`queued`), in which case it joins that work behind the
//!   lock so the loop still takes all work in the order it was pushed. The loop's own pushes
//!   are the per-event path (every readiness event wakes a task), so they cost no atomic
//!   read-modify-write here.
//!
//! `Sys::sched_point` stands before each atomic step, so the simulator explores every
//! interleaving of wakers and loop.
//!
//! Lifetime: the eventfd belongs to the `Remote`, not to the loop. A waker may outlive the
//! loop (a `RemoteHandle` kept by another thread); its wakes then go to an eventfd that nobody
//! reads, which is harmless, and the fd closes when the last handle drops.

use crate::sys::{Fd, Probe, Sys};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

/// Code another thread runs on a loop.
pub(crate) type RemoteFn<S> = Box<dyn FnOnce(&crate::runtime::Handle<S>) + Send>;

/// Work another thread (or a task waker) hands to a loop.
pub(crate) enum Work<S: Sys> {
    /// Poll this task.
    Task(crate::executor::TaskKey),
    /// Run this closure on the loop thread.
    Run(RemoteFn<S>),
    /// A bare wakeup (counted, nothing to run).
    Wake,
}

/// The state shared between a loop and everyone who can wake it.
pub(crate) struct Remote<S: Sys> {
    sys: S,
    loop_id: u64,
    /// `Sys::thread_token` of the loop's own thread: its pushes skip the protocol, since the
    /// loop is running (it is the pusher) and will look at the queue before it sleeps.
    owner: u64,
    eventfd: Fd,
    pending: AtomicBool,
    /// Work from other threads, and the loop's own work pushed while such work waits.
    queue: Mutex<Vec<Work<S>>>,
    /// `queue` is non-empty. Written only with the lock held, so it is exact whenever the lock
    /// is free; read without the lock by the loop's thread.
    queued: AtomicBool,
    /// Work the loop's own thread pushed while `queue` was empty. Invariant: everything here
    /// was pushed before everything in `queue`, so taking `local` first keeps push order.
    local: LoopLocal<Vec<Work<S>>>,
    pub(crate) eventfd_writes: AtomicU64,
    pub(crate) wakes_requested: AtomicU64,
}

/// A value in the shared `Remote` that only the loop's own thread ever touches, so it needs
/// no lock. Access is `unsafe`: the caller vouches that it runs on the loop's thread.
struct LoopLocal<T>(UnsafeCell<T>);

// SAFETY: `Remote` is shared (`Arc`) with every thread that can wake the loop, but the one
// `LoopLocal` in it is reached only through `Remote::local`, whose callers run on the loop's
// thread: `push` after checking `Sys::thread_token` against the loop's, `take` and
// `has_work` from the loop itself (`Runtime` and `Handle` are `!Send`, so they stay on the
// thread that created the loop, whose token `owner` is). So no two threads ever reach the
// value, and `T: Send` lets it be dropped on whichever thread drops the last `Arc`.
unsafe impl<T: Send> Sync for LoopLocal<T> {}

impl<S: Sys> Remote<S> {
    pub(crate) fn new(sys: S, loop_id: u64, eventfd: Fd) -> Self {
        Remote {
            owner: sys.thread_token(),
            sys,
            loop_id,
            eventfd,
            // The loop starts awake.
            pending: AtomicBool::new(true),
            queue: Mutex::new(Vec::new()),
            queued: AtomicBool::new(false),
            local: LoopLocal(UnsafeCell::new(Vec::new())),
            eventfd_writes: AtomicU64::new(0),
            wakes_requested: AtomicU64::new(0),
        }
    }

    /// Queues `work` and makes sure the loop will see it.
    pub(crate) fn push(&self, work: Work<S>) {
        if matches!(work, Work::Wake) {
            self.wakes_requested.fetch_add(1, SeqCst);
            self.sys.probe(Probe::WakeRequested {
                loop_id: self.loop_id,
            });
        }
        if self.sys.thread_token() == self.owner {
            if self.queued.load(SeqCst) {
                // Behind other threads' work, in order (see `local`).
                self.lock_queue().push(work);
            } else {
                // SAFETY: on the loop's thread (the token says so), and `local` is not in use:
                // nothing else on this thread holds it across a call.
                unsafe { self.local() }.push(work);
            }
            return;
        }
        {
            let mut queue = self.lock_queue();
            queue.push(work);
            self.queued.store(true, SeqCst);
        }
        self.sys.sched_point();
        if !self.pending.swap(true, SeqCst) {
            self.write_eventfd();
        }
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Vec<Work<S>>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The loop-local queue.
    ///
    /// # Safety
    /// Only on the loop's own thread, and the reference must be dropped before anything that
    /// could call back into this `Remote` (push, take, has_work) runs.
    #[allow(clippy::mut_from_ref)]
    unsafe fn local(&self) -> &mut Vec<Work<S>> {
        // SAFETY: the caller's contract: only the loop's thread, one reference at a time.
        unsafe { &mut *self.local.0.get() }
    }

    fn write_eventfd(&self) {
        self.eventfd_writes.fetch_add(1, SeqCst);
        self.sys.probe(Probe::WakerWrite {
            loop_id: self.loop_id,
        });
        // EAGAIN means the counter is saturated: the loop is already woken. EINTR cannot
        // happen on a nonblocking eventfd write but is retried like everywhere else.
        let one = 1u64.to_ne_bytes();
        match crate::errno_policy::retry_eintr(&self.sys, crate::errno_policy::Call::Write, || {
            self.sys.write(self.eventfd, &one)
        }) {
            Ok(_) | Err(crate::sys::Errno::EAGAIN) => {}
            Err(e) => panic!(
                "waker eventfd {:?} write failed with {e:?}: the loop's eventfd is gone",
                self.eventfd
            ),
        }
    }

    /// The loop is about to sleep. Returns true when there is work and it must not block.
    ///
    /// Work already queued is seen before the sleep is declared, so no waker writes for it.
    /// A waker that pushes in the instant between declaring the sleep and the re-check sees
    /// `pending == false` and writes; the loop then does not block, and that one write is
    /// drained on the next turn: one extra wakeup, never a lost one.
    pub(crate) fn prepare_sleep(&self) -> bool {
        if self.has_work() {
            return true;
        }
        self.pending.store(false, SeqCst);
        // The one interleaving that decides whether a wakeup can be lost: a waker between
        // declaring the sleep and the re-check. (Before the store, the step of the loop's
        // previous syscall already lets other threads run.)
        self.sys.sched_point();
        if self.has_work() {
            self.pending.store(true, SeqCst);
            return true;
        }
        false
    }

    /// Whether any work is queued. On the loop's thread only.
    ///
    /// `queued` is read without the lock: a waker stores it (`SeqCst`, with the lock held)
    /// before its `pending.swap`, and the loop reads it after its `pending.store(false)`, so
    /// either this read sees the work or the waker sees `false` and writes the eventfd (the
    /// same store-then-load pairing the lock gave).
    fn has_work(&self) -> bool {
        // SAFETY: called by `prepare_sleep`, which only the loop's thread calls (`Handle::turn`);
        // the reference ends within the expression.
        let local = !unsafe { self.local() }.is_empty();
        local || self.queued.load(SeqCst)
    }

    /// The loop is awake again.
    pub(crate) fn woke(&self) {
        // No scheduling point: a waker that runs between `epoll_wait` returning and this store
        // sees `false` and writes once more, which costs a wakeup and loses none; the
        // `epoll_wait` step before it already gives other threads their turn.
        self.pending.store(true, SeqCst);
    }

    /// Resets the eventfd counter after epoll reported it readable.
    pub(crate) fn drain_eventfd(&self) {
        let mut buf = [0u8; 8];
        match crate::errno_policy::retry_eintr(&self.sys, crate::errno_policy::Call::Read, || {
            self.sys.read(self.eventfd, &mut buf)
        }) {
            Ok(_) | Err(crate::sys::Errno::EAGAIN) => {}
            Err(e) => panic!("waker eventfd {:?} read failed with {e:?}", self.eventfd),
        }
    }

    /// Takes all queued work, in push order, into `into` (empty). On the loop's thread only.
    pub(crate) fn take(&self, into: &mut Vec<Work<S>>) {
        assert!(into.is_empty(), "take into a batch that still holds work");
        // SAFETY: called by `Handle::run_batch`, on the loop's thread; the reference ends here.
        std::mem::swap(unsafe { self.local() }, into);
        if self.queued.load(SeqCst) {
            let mut queue = self.lock_queue();
            // The loop-local work was all pushed before this (see `local`), so it goes first.
            if into.is_empty() {
                std::mem::swap(&mut *queue, into);
            } else {
                into.append(&mut queue);
            }
            self.queued.store(false, SeqCst);
        }
    }
}

/// The eventfd lives as long as anyone can write it. Closing it with the loop (as this code
/// once did) let a `RemoteHandle` that outlived its loop write a closed fd: `EBADF`, or, once
/// the number was reused, a stray 8 bytes into someone else's file. Found by the nightly
/// search (`capnp-chain-teardown`, fixed variant, pct:5 under swarm faults: the server loop
/// ended on an accept error while the root still held its stop `Notify`).
impl<S: Sys> Drop for Remote<S> {
    fn drop(&mut self) {
        let _ = self.sys.close(self.eventfd);
    }
}

/// A `Send + Sync` handle that wakes a loop or runs code on it from any thread.
pub struct RemoteHandle<S: Sys> {
    pub(crate) remote: Arc<Remote<S>>,
}

impl<S: Sys> Clone for RemoteHandle<S> {
    fn clone(&self) -> Self {
        RemoteHandle {
            remote: self.remote.clone(),
        }
    }
}

impl<S: Sys> RemoteHandle<S> {
    /// Wakes the loop; it counts the wakeup in `Stats::wakes_observed` when it sees it.
    pub fn wake(&self) {
        self.remote.push(Work::Wake);
    }

    /// Runs `f` on the loop's thread, inside the loop.
    pub fn run(&self, f: impl FnOnce(&crate::runtime::Handle<S>) + Send + 'static) {
        self.remote.push(Work::Run(Box::new(f)));
    }
}

#[cfg(test)]
mod tests {
    use crate::sys::linux::LinuxSys;
    use crate::Runtime;

    fn is_open(fd: i32) -> bool {
        // SAFETY: F_GETFD only reads the descriptor's flags.
        unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
    }

    /// The pending flag's promise, "at most one eventfd write per sleep", after a sleep that
    /// no waker ended: the loop sleeps on a timer, the timer wakes it, and while it runs a
    /// task another thread wakes it. The loop is awake (it will look at its queue before it
    /// sleeps again), so that wake must not write the eventfd. Deterministic: the other
    /// thread is joined before the task looks at the counters.
    #[test]
    fn a_wake_while_the_loop_runs_after_a_timer_woke_it_writes_no_eventfd() {
        let rt = Runtime::new(LinuxSys).expect("a loop");
        let h = rt.handle().clone();
        let stats = rt
            .block_on(async move {
                h.sleep(std::time::Duration::from_millis(1)).await;
                let remote = h.remote();
                let joined = std::thread::scope(|s| s.spawn(|| remote.wake()).join());
                assert!(joined.is_ok(), "the waking thread panicked");
                h.stats()
            })
            .expect("the loop ran");
        assert!(stats.sleeps >= 1, "the loop never slept: {stats:?}");
        assert_eq!(stats.wakes_requested, 1, "{stats:?}");
        assert_eq!(
            stats.eventfd_writes, 0,
            "a wake while the loop was awake wrote the eventfd: the flag was not set again \
             when epoll_wait returned (Remote::woke): {stats:?}"
        );
    }

    /// On the real kernel: a handle that outlives its loop may still wake it (nothing happens),
    /// and the eventfd closes with the last handle, not with the loop.
    #[test]
    fn a_remote_handle_outliving_its_loop_wakes_harmlessly_and_closes_the_eventfd_last() {
        let rt = Runtime::new(LinuxSys).expect("a loop");
        let remote = rt.handle().remote();
        let eventfd = remote.remote.eventfd.0;
        assert!(is_open(eventfd));
        drop(rt);
        assert!(
            is_open(eventfd),
            "the loop's drop closed a fd its wakers still write"
        );
        let other = std::thread::scope(|s| {
            s.spawn(|| {
                remote.wake();
                remote.wake();
            })
            .join()
        });
        assert!(other.is_ok(), "waking a finished loop panicked");
        drop(remote);
        assert!(
            !is_open(eventfd),
            "the last handle's drop leaked the eventfd"
        );
    }
}
