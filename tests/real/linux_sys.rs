//! `LinuxSys` itself, where it does more than pass a call through: the `send`-then-`write`
//! fallback reads `errno` only after a failure, `join` waits for the thread and hands on its
//! panic, and IPv6 addresses come back from the kernel as IPv6.

use simkern::poller::sys::{Domain, MsgFlags, SockType, Sys};
use simkern::poller::{Errno, LinuxSys};
use std::io::IoSlice;
use std::net::{Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A connected UDP pair on loopback: (sender, receiver).
fn udp_pair(sys: &LinuxSys) -> (simkern::poller::sys::Fd, simkern::poller::sys::Fd) {
    let any: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    let rx = sys.socket(Domain::Inet, SockType::Dgram).expect("socket");
    sys.bind(rx, any).expect("bind");
    let tx = sys.socket(Domain::Inet, SockType::Dgram).expect("socket");
    sys.connect(tx, sys.getsockname(rx).expect("getsockname"))
        .expect("connect");
    (tx, rx)
}

/// Datagrams queued on `rx`, each taken.
fn datagrams(sys: &LinuxSys, rx: simkern::poller::sys::Fd) -> usize {
    let mut buf = [0u8; 16];
    let mut n = 0;
    while sys.recvfrom(rx, &mut buf, MsgFlags::EMPTY).is_ok() {
        n += 1;
    }
    n
}

/// `write` on a pipe leaves `errno` at `ENOTSOCK` (its `send` failed before the plain `write`
/// succeeded), and `errno` is only meaningful after a failure: an empty `send` on UDP returns
/// 0 having sent one empty datagram, and reading the stale `ENOTSOCK` then would send it again
/// by `write(2)`. (`writev(2)` of nothing sends nothing, so its fallback could not tell.)
#[test]
fn a_stale_errno_after_a_successful_empty_send_sends_nothing_twice() {
    let _fds = crate::support::fds_shared();
    let sys = LinuxSys;
    let (r, w) = sys.pipe2().expect("pipe2");
    let (tx, rx) = udp_pair(&sys);
    assert_eq!(sys.write(w, b"x"), Ok(1), "write on a pipe");
    assert_eq!(sys.write(tx, b""), Ok(0), "an empty datagram by write");
    assert_eq!(sys.write(w, b"x"), Ok(1), "write on a pipe");
    assert_eq!(
        sys.writev(tx, &[IoSlice::new(b"")]),
        Ok(0),
        "an empty datagram by writev"
    );
    // Loopback delivers in the sending call; the receiver is nonblocking.
    assert_eq!(datagrams(&sys, rx), 2, "one empty datagram per call");
    for fd in [r, w, tx, rx] {
        sys.close(fd).expect("close");
    }
}

#[test]
fn join_waits_for_the_thread_and_hands_on_its_panic() {
    let _fds = crate::support::fds_shared();
    let sys = LinuxSys;
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    let t = sys
        .spawn("late", move || {
            std::thread::sleep(Duration::from_millis(50));
            flag.store(true, Ordering::SeqCst);
        })
        .expect("spawn");
    sys.join(t);
    assert!(
        done.load(Ordering::SeqCst),
        "join returned before the thread ended"
    );
    let t = sys
        .spawn("panics", || panic!("the thread's own panic"))
        .expect("spawn");
    let joined = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sys.join(t)));
    let panic = joined.expect_err("join swallowed the thread's panic");
    assert_eq!(
        panic.downcast_ref::<&str>(),
        Some(&"the thread's own panic")
    );
}

/// `getsockname` of an IPv6 socket is an IPv6 address. A machine without IPv6 (no `::1`)
/// cannot answer; the test says so and checks nothing there.
#[test]
fn an_ipv6_socket_is_named_by_its_ipv6_address() {
    let _fds = crate::support::fds_shared();
    let sys = LinuxSys;
    let fd = match sys.socket(Domain::Inet6, SockType::Dgram) {
        Ok(fd) => fd,
        Err(Errno::EAFNOSUPPORT) => {
            eprintln!("no IPv6 on this machine (EAFNOSUPPORT): not checked");
            return;
        }
        Err(e) => panic!("socket(AF_INET6): {e:?}"),
    };
    let loopback = SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 0);
    match sys.bind(fd, loopback) {
        Ok(()) => {}
        Err(Errno::EADDRNOTAVAIL) => {
            eprintln!("no ::1 on this machine (EADDRNOTAVAIL): not checked");
            sys.close(fd).expect("close");
            return;
        }
        Err(e) => panic!("bind [::1]:0: {e:?}"),
    }
    let name = sys.getsockname(fd).expect("getsockname");
    assert!(
        name.is_ipv6() && name.ip() == loopback.ip() && name.port() != 0,
        "bound to [::1]:0, named {name}"
    );
    sys.close(fd).expect("close");
}
