//! Random syscall sequences: whatever the order, the kernel keeps its invariants (its own
//! assertions fire otherwise) and, once every fd is closed and the network is quiet, nothing
//! is left behind — no socket, connection, pipe, file or epoll.

use super::*;
use crate::kernel::{Choice, Partition, XorShift};
use simkern_poller::sys::epoll::{EPOLLET, EPOLLIN, EPOLLONESHOT, EPOLLOUT, EPOLLRDHUP};
use simkern_poller::sys::{Shutdown, SockOpt};
use std::io::IoSlice;

const PORTS: [u16; 3] = [5001, 5002, 5003];

fn pick(r: &mut XorShift, n: usize) -> usize {
    r.choose(Choice::Latency, n as u64) as usize
}

fn random_fd(k: &Kernel, r: &mut XorShift) -> Fd {
    let open = k.open_fds();
    if open.is_empty() || pick(r, 10) == 0 {
        Fd(pick(r, 12) as i32) // sometimes a closed or never-opened fd
    } else {
        open[pick(r, open.len())]
    }
}

fn step(k: &mut Kernel, r: &mut XorShift, ch: &mut XorShift, t: &mut u64) {
    let fd = random_fd(k, r);
    let other = random_fd(k, r);
    let port = PORTS[pick(r, PORTS.len())];
    let mut buf = [0u8; 3000];
    let data = [0x5au8; 3000];
    let now = *t;
    match pick(r, 25) {
        0 => {
            let _ = k.socket(Domain::Inet, SockType::Stream);
        }
        1 | 22 => {
            // A whole listener, so connections happen often.
            if let Ok(l) = k.socket(Domain::Inet, SockType::Stream) {
                let _ = k.setsockopt(l, SockOpt::ReuseAddr(pick(r, 2) == 0));
                let _ = k.bind(l, addr(port));
                let _ = k.listen(l, pick(r, 3) as i32);
            }
        }
        23 | 24 => {
            // A whole dial, and accepting whatever any listener has.
            if let Ok(c) = k.socket(Domain::Inet, SockType::Stream) {
                let _ = k.connect(c, addr(port), now, ch);
            }
            for fd in k.open_fds() {
                let _ = k.accept4(fd);
            }
        }
        2 => {
            let _ = k.bind(fd, addr(port));
        }
        3 => {
            let _ = k.listen(fd, pick(r, 3) as i32);
        }
        4 | 5 => {
            let _ = k.connect(fd, addr(port), now, ch);
        }
        6 => {
            let _ = k.accept4(fd);
        }
        7 | 8 => {
            let _ = k.read(fd, &mut buf[..pick(r, 3000)], now, ch);
        }
        9 | 10 => {
            let _ = k.write(fd, &data[..pick(r, 3000)], now, ch);
        }
        11 => {
            let parts = [
                IoSlice::new(&data[..pick(r, 100)]),
                IoSlice::new(&data[..pick(r, 2000)]),
            ];
            let _ = k.writev(fd, &parts, pick(r, 3000), now, ch);
        }
        12 => {
            let how = [Shutdown::Read, Shutdown::Write, Shutdown::Both][pick(r, 3)];
            let _ = k.shutdown(fd, how, now, ch);
        }
        13 => {
            let _ = k.close(fd, now, ch);
        }
        14 => {
            let _ = k.dup(fd);
        }
        15 => {
            let _ = [
                k.pipe2().err(),
                k.eventfd(pick(r, 3) as u32, pick(r, 2) == 0).err(),
            ];
        }
        16 => {
            let _ = k.epoll_create();
        }
        17 => {
            let op = [EpollOp::Add, EpollOp::Mod, EpollOp::Del][pick(r, 3)];
            let bits = [EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLET, EPOLLONESHOT];
            let events = bits
                .iter()
                .filter(|_| pick(r, 2) == 0)
                .fold(0, |a, b| a | b);
            let _ = k.epoll_ctl(fd, op, other, Some(EpollEvent::new(events, 0)));
        }
        18 => {
            let mut events = [EpollEvent::zeroed(); 4];
            let mut sources = Vec::new();
            if let Ok(n) = k.epoll_harvest(fd, &mut events, &mut sources, ch) {
                assert_eq!(n, sources.len());
            }
            let _ = k.epoll_is_ready(fd);
        }
        19 => {
            let opt = [SockOpt::Linger(Some(0)), SockOpt::ReuseAddr(true)][pick(r, 2)];
            let _ = k.setsockopt(fd, opt);
        }
        20 => {
            if pick(r, 4) == 0 {
                k.reset_connection(fd, now, ch);
            } else {
                k.set_partition(Partition::Port(port), pick(r, 2) == 0, now);
            }
        }
        _ => {
            *t += pick(r, 2_000_000) as u64;
            k.advance(*t, ch);
        }
    }
    let _ = k.poll(fd);
}

#[test]
fn random_syscall_sequences_keep_invariants_and_leave_nothing_behind() {
    for seed in 0..200 {
        let mut k = kernel_with(|c| {
            c.sndbuf = 4000;
            c.rcvbuf = 5000;
            c.rlimit_nofile = 24;
            c.syn_retries = 2;
        });
        let r = &mut XorShift::new(seed);
        let ch = &mut XorShift::new(seed ^ 0xabcdef);
        let mut t = 0;
        for _ in 0..400 {
            step(&mut k, r, ch, &mut t);
        }
        for fd in k.open_fds() {
            k.close(fd, t, ch).unwrap();
        }
        for port in PORTS {
            k.set_partition(Partition::Port(port), false, t);
        }
        settle(&mut k, ch);
        let leftovers = (
            k.files.len(),
            k.epolls.len(),
            k.sockets.len(),
            k.conns.len(),
            k.pipes.len(),
        );
        assert_eq!(
            leftovers,
            (0, 0, 0, 0, 0),
            "seed {seed}: objects left\n{}",
            k.describe()
        );
    }
}
