//! Shared helpers: a loop on its own thread, the test echo server, fd-table snapshots and the
//! lock that keeps them meaningful, bounded waits, and the Python client runner.
//!
//! fd accounting in one process with parallel tests: every test takes `fds_shared()` for its
//! whole run, and a test that counts `/proc/self/fd` or predicts fd numbers takes
//! `fds_exclusive()` instead, so while it runs no other test opens or closes an fd (libtest
//! itself opens none). Without this, "back to the count it started at" and "the new socket
//! gets the dial's old fd number" would both be races with the neighbouring tests.

use simkern::poller::{
    Handle, LinuxSys, RemoteHandle, Runtime, Stats, Sys, TcpListener, TcpStream,
};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::task::{Poll, Waker};
use std::time::Duration;

/// How long the test thread waits for the loop thread to answer one request. Generous: a
/// loaded 2-core machine running the whole binary in parallel answers in milliseconds.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a Python client may run before the test kills it (its own bound is 40 s).
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(50);

static FD_TABLE: RwLock<()> = RwLock::new(());

/// Held by every test for its whole run: this test opens and closes fds.
pub fn fds_shared() -> RwLockReadGuard<'static, ()> {
    FD_TABLE
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Held by a test that counts or predicts fd numbers: nobody else touches the fd table.
pub fn fds_exclusive() -> RwLockWriteGuard<'static, ()> {
    FD_TABLE
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The poller's own clock (`CLOCK_MONOTONIC`); `Instant::now` is banned crate-wide.
pub fn now() -> Duration {
    LinuxSys.monotonic_now()
}

/// Polls `check` every 10 ms until it passes; panics with its last state after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut check: impl FnMut() -> Result<(), String>) {
    let deadline = now() + limit;
    loop {
        match check() {
            Ok(()) => return,
            Err(state) if now() >= deadline => {
                panic!("{what}: still false after {limit:?}; last state:\n{state}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Raises `RLIMIT_NOFILE`'s soft limit to the hard limit; panics if that is below `need`.
pub fn raise_nofile(need: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit to write into.
    let ret = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    assert_eq!(ret, 0, "getrlimit(RLIMIT_NOFILE) failed");
    if lim.rlim_cur < lim.rlim_max {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: `lim` is a valid rlimit; raising soft up to hard needs no privilege.
        let ret = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
        assert_eq!(
            ret, 0,
            "setrlimit(RLIMIT_NOFILE, soft = hard = {})",
            lim.rlim_max
        );
    }
    assert!(
        lim.rlim_cur >= need,
        "RLIMIT_NOFILE hard limit is {}, this test needs {need} fds: raise it (ulimit -Hn)",
        lim.rlim_max
    );
}

/// This process's open fds and what each points to (`socket:[inode]`, `anon_inode:[eventfd]`…),
/// without the directory fd the listing itself uses.
pub fn open_fds() -> BTreeMap<i32, String> {
    let own_dir = format!("/proc/{}/fd", std::process::id());
    let mut fds = BTreeMap::new();
    for entry in std::fs::read_dir("/proc/self/fd").expect("read /proc/self/fd") {
        let entry = entry.expect("entry of /proc/self/fd");
        let Ok(fd) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue; // closed while we looked
        };
        let target = target.to_string_lossy().into_owned();
        if target != own_dir {
            fds.insert(fd, target);
        }
    }
    fds
}

/// `Ok` when the fd tables match; otherwise the difference, one fd a line.
pub fn same_fds(
    before: &BTreeMap<i32, String>,
    after: &BTreeMap<i32, String>,
) -> Result<(), String> {
    let mut diff = String::new();
    for (fd, target) in before {
        if after.get(fd) != Some(target) {
            diff += &format!("  closed: fd {fd} -> {target}\n");
        }
    }
    for (fd, target) in after {
        if before.get(fd) != Some(target) {
            diff += &format!("  opened: fd {fd} -> {target}\n");
        }
    }
    if diff.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} fds before, {} after:\n{diff}",
            before.len(),
            after.len()
        ))
    }
}

/// Completes once `trigger` has been called; how the test thread ends a loop's `block_on`.
#[derive(Default)]
struct Stop {
    flag: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Stop {
    fn trigger(&self) {
        self.flag.store(true, SeqCst);
        if let Some(w) = self.waker.lock().unwrap_or_else(|p| p.into_inner()).take() {
            w.wake();
        }
    }

    async fn wait(self: Arc<Self>) {
        poll_fn(|cx| {
            *self.waker.lock().unwrap_or_else(|p| p.into_inner()) = Some(cx.waker().clone());
            if self.flag.load(SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

/// An event loop running `block_on` on its own OS thread until stopped. Dropping it stops the
/// loop (dropping the `Runtime`, which closes every fd it owns) and joins the thread.
pub struct LoopThread<S: Sys> {
    name: String,
    remote: RemoteHandle<S>,
    stop: Arc<Stop>,
    thread: RefCell<Option<std::thread::JoinHandle<()>>>,
    /// The loop thread, for `pthread_kill`.
    pub pthread: libc::pthread_t,
    /// The loop thread's kernel id, for `/proc/self/task/<tid>/…`.
    pub tid: libc::pid_t,
}

impl<S: Sys> LoopThread<S> {
    /// Starts a loop on `sys`; `setup` runs on the loop thread before `block_on` (spawn tasks,
    /// bind listeners there) and its result comes back to the caller.
    pub fn start<T: Send + 'static>(
        name: &str,
        sys: S,
        setup: impl FnOnce(&Handle<S>) -> T + Send + 'static,
    ) -> (Self, T) {
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(Stop::default());
        let stop_loop = stop.clone();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let rt = Runtime::new(sys).unwrap_or_else(|e| panic!("Runtime::new: {e}"));
                let handle = rt.handle().clone();
                let out = setup(&handle);
                // SAFETY: neither call has preconditions.
                let ids = unsafe { (libc::pthread_self(), libc::gettid()) };
                tx.send((handle.remote(), ids, out))
                    .expect("the test thread waits for the loop to start");
                if let Err(e) = rt.block_on(stop_loop.wait()) {
                    panic!("block_on failed with {e}: epoll_wait surfaced an errno");
                }
            })
            .expect("spawn a loop thread");
        let mut this_thread = Some(thread);
        let (remote, (pthread, tid), out) = match rx.recv_timeout(CALL_TIMEOUT) {
            Ok(started) => started,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let thread = this_thread.take().expect("set above");
                match thread.join() {
                    Err(panic) => std::panic::resume_unwind(panic),
                    Ok(()) => panic!("loop thread {name} ended without starting"),
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("loop thread {name} did not start within {CALL_TIMEOUT:?}: setup stuck")
            }
        };
        let lt = LoopThread {
            name: name.to_owned(),
            remote,
            stop,
            thread: RefCell::new(this_thread),
            pthread,
            tid,
        };
        (lt, out)
    }

    pub fn remote(&self) -> RemoteHandle<S> {
        self.remote.clone()
    }

    /// Runs `f` on the loop thread (through `RemoteHandle::run`) and returns its result.
    pub fn call<R: Send + 'static>(&self, f: impl FnOnce(&Handle<S>) -> R + Send + 'static) -> R {
        let (tx, rx) = mpsc::sync_channel(1);
        self.remote.run(move |h| {
            let _ = tx.send(f(h));
        });
        self.recv(&rx, "a RemoteHandle::run closure")
    }

    /// Spawns the future `f` builds as a task on the loop and waits for its output.
    pub fn run_task<R, Fut>(&self, f: impl FnOnce(Handle<S>) -> Fut + Send + 'static) -> R
    where
        R: Send + 'static,
        Fut: Future<Output = R> + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        self.remote.run(move |h| {
            let task = f(h.clone());
            h.spawn(async move {
                let _ = tx.send(task.await);
            });
        });
        self.recv(&rx, "a task")
    }

    pub fn stats(&self) -> Stats {
        self.call(|h| h.stats())
    }

    /// Waits for an answer from the loop; re-raises the loop thread's panic if it died.
    pub fn recv<R>(&self, rx: &mpsc::Receiver<R>, what: &str) -> R {
        let deadline = now() + CALL_TIMEOUT;
        loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(r) => return r,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("loop thread {} dropped {what} without answering", self.name)
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            let finished = self
                .thread
                .borrow()
                .as_ref()
                .is_some_and(|t| t.is_finished());
            if finished {
                let thread = self.thread.borrow_mut().take().expect("checked just above");
                match thread.join() {
                    Err(panic) => std::panic::resume_unwind(panic),
                    Ok(()) => panic!("loop thread {} ended while running {what}", self.name),
                }
            }
            assert!(
                now() < deadline,
                "loop thread {} did not finish {what} within {CALL_TIMEOUT:?}: stuck",
                self.name
            );
        }
    }

    /// Stops the loop, drops its `Runtime` and joins the thread; re-raises its panic.
    pub fn stop(mut self) {
        if let Err(panic) = self.shutdown() {
            std::panic::resume_unwind(panic);
        }
    }

    fn shutdown(&mut self) -> std::thread::Result<()> {
        let Some(thread) = self.thread.borrow_mut().take() else {
            return Ok(());
        };
        self.stop.trigger();
        let deadline = now() + CALL_TIMEOUT;
        while !thread.is_finished() {
            if now() >= deadline {
                // Leave it running rather than hang the test binary; the failure says why.
                return Err(Box::new(format!(
                    "loop thread {} did not stop within {CALL_TIMEOUT:?}",
                    self.name
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        thread.join()
    }
}

impl<S: Sys> Drop for LoopThread<S> {
    fn drop(&mut self) {
        let result = self.shutdown();
        if let Err(panic) = result {
            if !std::thread::panicking() {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

/// Accepts forever, one echo task per connection. An accept error is a poller bug here (fd
/// exhaustion backs off inside `accept`, `ECONNABORTED` is retried), so it panics the loop.
pub async fn serve<S: Sys>(handle: Handle<S>, listener: TcpListener<S>) {
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                handle.spawn(echo(stream));
            }
            Err(e) => panic!("accept on the echo listener surfaced {e}"),
        }
    }
}

/// Echoes until EOF or a disconnect (as the example `echo-server` does).
pub async fn echo<S: Sys>(stream: TcpStream<S>) {
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// A loop on `sys` serving echo on a fresh `127.0.0.1:0` listener.
pub fn start_echo_server<S: Sys>(name: &str, sys: S) -> (LoopThread<S>, SocketAddr) {
    LoopThread::start(name, sys, |h| {
        let any: SocketAddr = "127.0.0.1:0".parse().expect("literal address");
        let listener = TcpListener::bind(h, any).unwrap_or_else(|e| panic!("bind {any}: {e}"));
        let addr = listener.local_addr().expect("getsockname of the listener");
        h.spawn(serve(h.clone(), listener));
        addr
    })
}

/// Echoes `msg` through `addr` with a blocking std socket (not the poller); `Err` says how
/// it failed.
pub fn std_echo(addr: SocketAddr, msg: &[u8]) -> Result<(), String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| format!("SO_RCVTIMEO: {e}"))?;
    s.write_all(msg)
        .map_err(|e| format!("write to {addr}: {e}"))?;
    let mut back = vec![0u8; msg.len()];
    s.read_exact(&mut back)
        .map_err(|e| format!("read echo from {addr}: {e}"))?;
    if back != msg {
        return Err(format!(
            "echo from {addr} differs: sent {msg:?}, got {back:?}"
        ));
    }
    Ok(())
}

/// Runs `tests/real/clients/echo_client.py` with `args`; returns its JSON summary, or its
/// exit status, stdout and stderr.
pub fn python_client(args: &[String]) -> Result<serde_json::Value, String> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/real/clients/echo_client.py"
    );
    let child = Command::new("python3")
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawning python3 {script}: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("python-client-wait".into())
        .spawn(move || {
            let _ = tx.send(child.wait_with_output());
        })
        .expect("spawn the client waiter");
    let output = match rx.recv_timeout(CLIENT_TIMEOUT) {
        Ok(out) => out.map_err(|e| format!("waiting for python3: {e}"))?,
        Err(_) => {
            // SAFETY: no pointers. `pid` is our child; the waiter reaps it only once it has
            // exited, so at worst this signals a zombie (kill(2)'s usual reuse race aside).
            unsafe { libc::kill(pid, libc::SIGKILL) };
            return Err(format!(
                "python3 {args:?} still running after {CLIENT_TIMEOUT:?}; killed"
            ));
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!(
            "python3 {args:?} exited with {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            output.status
        ));
    }
    let last = stdout.lines().last().unwrap_or("");
    serde_json::from_str(last).map_err(|e| {
        format!("python3 {args:?} printed {last:?}, not JSON ({e}); stderr:\n{stderr}")
    })
}
