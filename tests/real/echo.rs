//! Echo over real TCP on 127.0.0.1: the poller serves, Python's sockets are the clients.
//!
//! 1,000 connections are open at once, each echoing a seeded message of 1 B – 32 KiB that the
//! client checks byte by byte (messages larger than the socket buffers make the server meet
//! `EAGAIN` and short writes on the edge-triggered path). Then 100 clients die by RST
//! (`SO_LINGER {1, 0}` + close): before sending, mid-message, and with the server blocked
//! mid-write on a full send buffer. Afterwards every fd the server opened is closed, its
//! operator and task counts are back to their baseline, and it still serves.
//!
//! fd accounting: the test holds `fds_exclusive`, so `/proc/self/fd` changes only with the
//! server's own fds; the clients live in another process.

use crate::support::{
    fds_exclusive, open_fds, python_client, raise_nofile, same_fds, start_echo_server, wait_until,
};
use simkern::poller::runtime::MAX_EVENTS;
use simkern::poller::LinuxSys;
use std::time::Duration;

const CONNS: u64 = 1_000;
const RESETS: u64 = 100;
/// How long the server may take to close everything after the clients are gone.
const SETTLE: Duration = Duration::from_secs(10);

fn field(v: &serde_json::Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("client summary has no integer {key:?}: {v}"))
}

#[test]
fn thousand_concurrent_echoes_and_hundred_abrupt_resets_leave_no_fd_or_operator_behind() {
    // One fd per server-side connection plus the process's own.
    raise_nofile(CONNS + 256);
    let _fds = fds_exclusive();
    let before_server = open_fds();
    let (lt, addr) = start_echo_server("echo-1000", LinuxSys);
    let baseline = lt.stats();
    assert_eq!(
        baseline.operators, 2,
        "a fresh echo server has two operators, its waker eventfd and its listener: {baseline:?}"
    );
    let baseline_fds = open_fds();
    let port = addr.port().to_string();

    let args = |mode: &str, conns: u64, seed: u64| -> Vec<String> {
        let conns = conns.to_string();
        let seed = seed.to_string();
        let list = [mode, "--port", &port, "--conns", &conns, "--seed", &seed];
        list.iter().map(|s| s.to_string()).collect()
    };
    let echoed = python_client(&args("echo", CONNS, 7))
        .unwrap_or_else(|e| panic!("{e}\nserver: {:?}", lt.stats()));
    assert_eq!(field(&echoed, "conns"), CONNS, "{echoed}");
    assert_eq!(
        field(&echoed, "verified"),
        field(&echoed, "bytes"),
        "{echoed}"
    );

    let reset = python_client(&args("reset", RESETS, 11))
        .unwrap_or_else(|e| panic!("{e}\nserver: {:?}", lt.stats()));
    assert_eq!(field(&reset, "conns"), RESETS, "{reset}");
    // Each mid-write client sent until its send() said EAGAIN without reading: the server had
    // stopped reading, because it was blocked writing the echo back. That is "mid-write".
    assert!(field(&reset, "mid_write") > 0, "{reset}");
    assert_eq!(
        field(&reset, "pipes_filled"),
        field(&reset, "mid_write"),
        "every mid-write client must have found the pipes full: {reset}"
    );

    // The server closes each connection when it sees EOF or the RST: asynchronously.
    wait_until("the server is back to its baseline", SETTLE, || {
        let stats = lt.stats();
        let fds = same_fds(&baseline_fds, &open_fds());
        if stats.operators == baseline.operators && stats.tasks == baseline.tasks && fds.is_ok() {
            Ok(())
        } else {
            Err(format!(
                "baseline {baseline:?}\nnow      {stats:?}\nfd table: {}",
                fds.err().unwrap_or_else(|| "unchanged".into())
            ))
        }
    });
    let stats = lt.stats();
    // One event may carry several bits (EPOLLIN | EPOLLOUT on a fresh connection whose data
    // is already there), so the floor is one event per connection, not one per direction.
    assert!(
        stats.events >= CONNS,
        "each of the {CONNS} echoes needs at least one event: {stats:?}"
    );
    // Every close deregistered first, so epoll never reported a dead operator.
    assert_eq!(stats.stale_events_dropped, 0, "{stats:?}");
    // Counters that only count up stay within what the turns could have done: a turn makes at
    // most one `epoll_wait` that sleeps and harvests at most MAX_EVENTS.
    assert!(
        stats.sleeps >= 1 && stats.sleeps <= stats.iterations,
        "sleeps are turns that blocked: {stats:?}"
    );
    assert!(
        stats.events <= stats.iterations * MAX_EVENTS as u64,
        "more events than the turns could harvest: {stats:?}"
    );

    let fresh = python_client(&args("echo", 1, 99))
        .unwrap_or_else(|e| panic!("the server stopped serving: {e}\nserver: {stats:?}"));
    assert_eq!(field(&fresh, "verified"), field(&fresh, "bytes"), "{fresh}");

    lt.stop();
    // Stopping joins the loop thread after its `Runtime` dropped, closing the listener, the
    // epoll fd and the eventfd synchronously: no wait needed.
    if let Err(diff) = same_fds(&before_server, &open_fds()) {
        panic!("fds left open after the server stopped: {diff}");
    }
}
