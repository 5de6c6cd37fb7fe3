//! Unit tests of the kernel objects, one file per area. Failure messages dump `describe()`.
//!
//! Shared helpers: a kernel with default or small buffers, a loopback listener, a connected
//! pair, running the network until quiet, and harvesting into `(source fd, events, data)`.

mod determinism;
mod epoll;
mod eventfd;
mod fd;
mod pipe;
mod process;
mod random_ops;
mod tcp;
mod tcp_connect;
mod tcp_errors;
mod udp;
mod unix;

use super::{Choices, Config, Kernel, Zero};
use simkern_poller::sys::{Domain, EpollEvent, EpollOp, Errno, Fd, SockType};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

/// One second of virtual time.
const SEC: u64 = 1_000_000_000;

/// What a socket whose connection is over polls (plus `EPOLLERR` while an error is pending).
const DEAD: u32 = simkern_poller::sys::epoll::EPOLLIN
    | simkern_poller::sys::epoll::EPOLLOUT
    | simkern_poller::sys::epoll::EPOLLRDHUP
    | simkern_poller::sys::epoll::EPOLLHUP;

fn kernel() -> Kernel {
    Kernel::new(Config::default())
}

fn kernel_with(f: impl FnOnce(&mut Config)) -> Kernel {
    let mut config = Config::default();
    f(&mut config);
    Kernel::new(config)
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))
}

/// Applies network events until none is pending (connects in progress run to their end).
fn settle(k: &mut Kernel, ch: &mut dyn Choices) {
    while let Some(t) = k.next_event_time() {
        k.advance(t, ch);
    }
}

/// Applies network events due by `until`, then moves the clock there.
fn run_until(k: &mut Kernel, until: u64, ch: &mut dyn Choices) {
    k.advance(until, ch);
}

/// A listening socket on 127.0.0.1:`port`.
fn listener(k: &mut Kernel, port: u16, backlog: i32) -> Fd {
    let l = k.socket(Domain::Inet, SockType::Stream).unwrap();
    k.bind(l, addr(port)).unwrap();
    k.listen(l, backlog).unwrap();
    l
}

/// `(client, server)` connected through a listener on `port` (left open), network settled.
fn pair(k: &mut Kernel, port: u16, ch: &mut dyn Choices) -> (Fd, Fd, Fd) {
    let l = listener(k, port, 16);
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    let now = k.clock();
    assert_eq!(k.connect(c, addr(port), now, ch), Err(Errno::EINPROGRESS));
    settle(k, ch);
    let (s, _) = k
        .accept4(l)
        .unwrap_or_else(|e| panic!("accept4: {e}\n{}", k.describe()));
    assert_eq!(k.so_error(c), Ok(None), "{}", k.describe());
    (c, s, l)
}

/// Harvests up to 64 events as `(source fd, events, data)`.
fn harvest(k: &mut Kernel, ep: Fd, ch: &mut dyn Choices) -> Vec<(Fd, u32, u64)> {
    let mut events = [EpollEvent::zeroed(); 64];
    let mut sources = Vec::new();
    let n = k
        .epoll_harvest(ep, &mut events, &mut sources, ch)
        .unwrap_or_else(|e| panic!("harvest: {e}\n{}", k.describe()));
    assert_eq!(n, sources.len(), "one source per event");
    (0..n)
        .map(|i| (sources[i], events[i].events(), events[i].data()))
        .collect()
}

/// `epoll_ctl(ADD)` with `events` and data = the fd number.
fn watch(k: &mut Kernel, ep: Fd, fd: Fd, events: u32) {
    let ev = EpollEvent::new(events, fd.0 as u64);
    k.epoll_ctl(ep, EpollOp::Add, fd, Some(ev))
        .unwrap_or_else(|e| panic!("epoll_ctl ADD {fd}: {e}\n{}", k.describe()));
}

/// `read` at the kernel's clock; a window update it sends takes the least latency.
fn rd(k: &mut Kernel, fd: Fd, buf: &mut [u8]) -> simkern_poller::sys::SysResult<usize> {
    let now = k.clock();
    k.read(fd, buf, now, &mut Zero)
}

/// `Zero`, for brevity.
fn zero() -> Zero {
    Zero
}
