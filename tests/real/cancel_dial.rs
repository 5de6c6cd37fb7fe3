//! Cancel-during-wait on the real kernel: the netpoll `FDOperator` race, replayed on Linux.
//!
//! A dial to a blackholed loopback listener waits for `EPOLLOUT`; its deadline (or
//! `JoinHandle::abort`) drops it, which must `EPOLL_CTL_DEL`, then `close`, then free the
//! operator. The very next `socket` on the loop gets the same fd number (Linux hands out the
//! lowest free fd) and, `slotmap`'s free list being LIFO, the same operator slot with a new
//! version: exactly the reuse under which netpoll delivered a late event to the wrong
//! operator. The new connection then echoes through a server on the same loop, and the
//! `Traced` log proves every event reached the operator registered for its fd.
//!
//! Blackhole, loopback only: a listener whose backlog is set to 0 and that never accepts
//! holds one connection in its accept queue; Linux then drops every further SYN
//! (`tcp_conn_request`: `sk_acceptq_is_full`), so a dial to it stays in `SYN_SENT` with no
//! event until its 1 s SYN retransmit, far beyond the 50 ms deadline.
//!
//! These tests hold `fds_exclusive`: predicting that two sockets share an fd number is only
//! sound while no other thread of the process opens or closes fds.

use crate::support::{fds_exclusive, start_echo_server, LoopThread};
use crate::traced::{check_delivery, dump, Entry, Traced};
use simkern::poller::errno_policy::{classify, Call};
use simkern::poller::{Errno, Fd, Handle, Probe, Sys, TcpStream};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::Duration;

const DIAL_DEADLINE: Duration = Duration::from_millis(50);
const MARK: &str = "cancel-dial: the dial starts here";
const MSG: &[u8] = b"the new connection on the dial's old fd echoes this";

/// A loopback address that accepts no connection: listener, the connections filling its
/// queue (kept open), address.
fn blackhole() -> (std::net::TcpListener, Vec<std::net::TcpStream>, SocketAddr) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the blackhole");
    let addr = listener.local_addr().expect("blackhole address");
    // listen(2) on a listening socket only updates the backlog.
    // SAFETY: a valid listening fd; no pointers.
    let ret = unsafe { libc::listen(listener.as_raw_fd(), 0) };
    assert_eq!(ret, 0, "listen(blackhole, 0)");
    let mut fillers = Vec::new();
    for _ in 0..4 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => fillers.push(s),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return (listener, fillers, addr),
            Err(e) => panic!("filling the blackhole's accept queue: {e}"),
        }
    }
    panic!(
        "{} connections to {addr} (backlog 0) all completed: the kernel does not drop SYNs on a \
         full accept queue here, so there is no loopback blackhole",
        fillers.len()
    );
}

/// What the loop saw: the dial's result, the new stream's fd and handle, the echo.
struct Outcome {
    /// `None`: the dial was aborted and has no result.
    dial: Option<Result<Fd, Errno>>,
    new_fd: Fd,
    new_handle: u64,
    echoed: Vec<u8>,
}

/// Connects to the echo server on the loop and echoes `MSG` (every step must succeed).
async fn echo_on_new_connection(h: &Handle<Traced>, echo_addr: SocketAddr) -> (Fd, u64, Vec<u8>) {
    let stream = TcpStream::connect(h, echo_addr)
        .await
        .unwrap_or_else(|e| panic!("connect to the echo server {echo_addr}: {e}"));
    let fd = stream.fd();
    let handle = stream.io().key().to_data();
    stream
        .write_all(MSG)
        .await
        .expect("write to the echo server");
    let mut back = vec![0u8; MSG.len()];
    stream.read_exact(&mut back).await.expect("read the echo");
    (fd, handle, back)
}

/// Finds the dial in the log and checks its life: created for the socket right after `MARK`,
/// waited (`connect` said `EINPROGRESS`), never got an event, left epoll before its fd was
/// closed and its fd closed before its slot was freed; then the next socket reused its fd.
fn check_dial_lifecycle(log: &[Entry], outcome: &Outcome) -> Result<(), String> {
    let after = |i: usize, pred: &dyn Fn(&Entry) -> bool| {
        log.iter().skip(i + 1).position(pred).map(|p| p + i + 1)
    };
    let mark = log
        .iter()
        .position(|e| matches!(e, Entry::Probe(Probe::User { name, .. }) if *name == MARK))
        .ok_or("no MARK probe")?;
    let s = after(mark, &|e| matches!(e, Entry::Socket(_))).ok_or("no socket after MARK")?;
    let Entry::Socket(fd) = log[s] else {
        unreachable!()
    };
    let c = after(
        s,
        &|e| matches!(e, Entry::Probe(Probe::OperatorCreated { fd: f, .. }) if *f == fd),
    )
    .ok_or(format!("the dial's {fd:?} was never registered"))?;
    let Entry::Probe(Probe::OperatorCreated { handle, .. }) = log[c] else {
        unreachable!()
    };
    let in_progress = Entry::Probe(Probe::ErrnoHandled {
        call: Call::Connect.name(),
        errno: Errno::EINPROGRESS,
        action: classify(Call::Connect, Errno::EINPROGRESS),
    });
    after(c, &|e| *e == in_progress)
        .ok_or("connect never said EINPROGRESS: the dial did not wait")?;
    let del = after(c, &|e| {
        *e == Entry::Probe(Probe::OperatorDeregistered { handle, fd })
    })
    .ok_or(format!(
        "the dial's {fd:?} (handle {handle:#x}) never left epoll"
    ))?;
    let close = after(c, &|e| *e == Entry::Close(fd)).ok_or(format!("{fd:?} never closed"))?;
    let free = after(c, &|e| {
        *e == Entry::Probe(Probe::OperatorFreed { handle, fd })
    })
    .ok_or(format!("handle {handle:#x} never freed"))?;
    if !(del < close && close < free) {
        return Err(format!(
            "order must be DEL < close < free, got {del} {close} {free}"
        ));
    }
    let delivered_to_dial = log.iter().any(
        |e| matches!(e, Entry::Probe(Probe::EventDelivered { handle: h, .. }) if *h == handle),
    );
    if delivered_to_dial {
        return Err(format!(
            "an event reached the dial (handle {handle:#x}): not blackholed"
        ));
    }
    let next = after(free, &|e| matches!(e, Entry::Socket(_) | Entry::Accept(_)))
        .ok_or("no fd allocated after the dial was freed")?;
    if log[next] != Entry::Socket(outcome.new_fd) || outcome.new_fd != fd {
        return Err(format!(
            "the first fd after the dial's free is {:?}, the new stream has {:?}, the dial had \
             {fd:?}: Linux's lowest-free allocation should give the dial's fd back",
            log[next], outcome.new_fd
        ));
    }
    if outcome.new_handle == handle {
        return Err(format!(
            "the new operator got the dial's very handle {handle:#x}"
        ));
    }
    // slotmap's `as_ffi` is `version << 32 | index`; LIFO reuse puts the new operator in the
    // dial's slot. Same index, new version: the stale-handle case the generation exists for.
    if outcome.new_handle & 0xffff_ffff != handle & 0xffff_ffff {
        return Err(format!(
            "new handle {:#x} is not in the dial's slot (handle {handle:#x}): not the reuse case",
            outcome.new_handle
        ));
    }
    Ok(())
}

/// Runs `dial` (which cancels a blackholed dial its own way and returns its result, if it
/// has one) then the echo on a new connection, and checks everything the module docs promise.
fn cancelled_dial_scenario<F, Fut>(name: &str, expect: Option<Result<Fd, Errno>>, dial: F)
where
    F: FnOnce(Handle<Traced>, SocketAddr) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Option<Result<Fd, Errno>>> + 'static,
{
    let _fds = fds_exclusive();
    let (_blackhole, _fillers, hole) = blackhole();
    let sys = Traced::default();
    let (lt, echo_addr): (LoopThread<Traced>, SocketAddr) = start_echo_server(name, sys.clone());
    let outcome = lt.run_task(move |h| async move {
        h.sys().probe(Probe::User {
            name: MARK,
            a: 0,
            b: 0,
        });
        let dial = dial(h.clone(), hole).await;
        let (new_fd, new_handle, echoed) = echo_on_new_connection(&h, echo_addr).await;
        Outcome {
            dial,
            new_fd,
            new_handle,
            echoed,
        }
    });
    let stats = lt.stats();
    lt.stop();
    let log = sys.log();
    let state = || {
        format!(
            "{stats:?}\ntrace (probes and fds, loop thread):\n{}",
            dump(&log)
        )
    };
    assert_eq!(outcome.dial, expect, "the blackholed dial\n{}", state());
    assert_eq!(
        outcome.echoed,
        MSG,
        "echo on the dial's old fd\n{}",
        state()
    );
    if let Err(e) = check_dial_lifecycle(&log, &outcome) {
        panic!("{e}\n{}", state());
    }
    if let Err(e) = check_delivery(&log) {
        panic!("{e}\n{}", state());
    }
    // DEL came before close, so the kernel never reported the dead dial at all: the
    // generational check had nothing to drop. A non-zero count means an event for a freed
    // operator was collected, i.e. an fd stayed in epoll after its operator died.
    assert_eq!(stats.stale_events_dropped, 0, "{}", state());
    assert!(
        stats.events >= 2,
        "the echo needs writable and readable events\n{}",
        state()
    );
}

#[test]
fn dial_cancelled_by_its_deadline_frees_its_fd_for_the_next_connection_without_stray_events() {
    let timed_out = Some(Err(Errno::ETIMEDOUT));
    cancelled_dial_scenario("cancel-dial-deadline", timed_out, |h, hole| async move {
        let t0 = h.sys().monotonic_now();
        let result = TcpStream::connect_timeout(&h, hole, DIAL_DEADLINE).await;
        let waited = h.sys().monotonic_now() - t0;
        assert!(
            waited >= DIAL_DEADLINE,
            "ETIMEDOUT after {waited:?}, before the deadline"
        );
        Some(result.map(|s| s.fd()))
    });
}

#[test]
fn dial_cancelled_by_abort_frees_its_fd_for_the_next_connection_without_stray_events() {
    cancelled_dial_scenario("cancel-dial-abort", None, |h, hole| async move {
        let dial = h.spawn({
            let h = h.clone();
            async move { TcpStream::connect(&h, hole).await.map(|s| s.fd()) }
        });
        // Long enough for the dial task to run and park on EPOLLOUT (the log checks it did).
        h.sleep(DIAL_DEADLINE).await;
        assert!(!dial.is_finished(), "a dial to the blackhole finished");
        dial.abort();
        None
    });
}
