//! Pieces the seed-bug scenarios share: a poller server thread that runs until told to stop,
//! `EINTR` retries and millisecond timeouts for code written directly on `Sys`, and the opt-in
//! to the fd-leak oracle.

use simkern_poller::{race, Errno, Handle, Notify, Probe, Sys, SysResult, TcpListener};
use simkern_sim::oracles::EXPECT_NO_FDS_AT_END;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

/// Attempts at binding a listener when the fault plan fails `socket`/`epoll_ctl`.
pub const BIND_ATTEMPTS_MAX: u32 = 100;
/// Pause between those attempts.
pub const BIND_RETRY_PAUSE: Duration = Duration::from_millis(1);

/// Promises the fd-leak oracle that the scenario closes every fd it opens.
pub fn expect_no_fds_at_end<S: Sys>(sys: &S) {
    sys.probe(Probe::User {
        name: EXPECT_NO_FDS_AT_END,
        a: 0,
        b: 0,
    });
}

/// Binds `addr` with `backlog`, retrying while the fault plan fails the setup.
pub async fn bind<S: Sys>(handle: &Handle<S>, addr: SocketAddr, backlog: i32) -> TcpListener<S> {
    let mut last = None;
    for _ in 0..BIND_ATTEMPTS_MAX {
        match TcpListener::bind_with_backlog(handle, addr, backlog) {
            Ok(l) => return l,
            Err(e) => last = Some(e),
        }
        handle.sleep(BIND_RETRY_PAUSE).await;
    }
    panic!("could not listen on {addr} in {BIND_ATTEMPTS_MAX} attempts: last error {last:?}")
}

/// A server thread started by `spawn_server`, and the way to stop it.
pub struct Server<S: Sys> {
    stop: Notify<S>,
    thread: S::Thread,
    sys: S,
}

impl<S: Sys> Server<S> {
    /// Tells the server to stop and waits until its thread has ended.
    pub fn stop(self) {
        self.stop.notify();
        self.sys.join(self.thread);
    }
}

/// Spawns thread `server` running `server_thread` until `Server::stop`.
pub fn spawn_server<S, F, Fut>(sys: S, addr: SocketAddr, backlog: i32, serve: F) -> Server<S>
where
    S: Sys,
    F: FnOnce(Handle<S>, TcpListener<S>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let stop = Notify::new(sys.clone());
    let thread = {
        let (stop, sys2) = (stop.clone(), sys.clone());
        sys.spawn("server", move || {
            server_thread(sys2, addr, backlog, stop, serve)
        })
        .expect("spawn server")
    };
    Server { stop, thread, sys }
}

/// Runs a poller loop on this thread: `serve(handle, listener)` until `stop` is notified.
pub fn server_thread<S, F, Fut>(sys: S, addr: SocketAddr, backlog: i32, stop: Notify<S>, serve: F)
where
    S: Sys,
    F: FnOnce(Handle<S>, TcpListener<S>) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let rt = super::echo::runtime_with_retry(sys);
    let handle = rt.handle().clone();
    rt.block_on(async move {
        let listener = bind(&handle, addr, backlog).await;
        race(serve(handle.clone(), listener), stop.notified()).await;
    })
    .expect("server loop failed");
}

/// Calls `f` until it returns anything but `EINTR` (for code written directly on `Sys`).
pub fn retry_eintr<T>(mut f: impl FnMut() -> SysResult<T>) -> SysResult<T> {
    loop {
        match f() {
            Err(Errno::EINTR) => continue,
            other => return other,
        }
    }
}

/// `Duration` as whole milliseconds for an `epoll_wait` timeout, rounded up (waking early
/// would spin), at least 0.
pub fn timeout_ms(left: Duration) -> i32 {
    left.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32
}
