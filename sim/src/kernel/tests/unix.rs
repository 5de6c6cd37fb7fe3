//! Unix-domain sockets: the kernel-side behaviours the shared body (`tests/real/unix_body.rs`,
//! run on Linux and on `SimSys`) does not reach — edge-triggered wakeups, an embryo's data
//! and close, reconnect purges, the inet calls on a Unix socket, `EMFILE`, the send charge.

use super::{harvest, kernel, kernel_with, rd, watch, zero};
use crate::kernel::{unix_truesize, MAX_DGRAM_QLEN};
use simkern_poller::sys::epoll::{EPOLLET, EPOLLIN, EPOLLOUT};
use simkern_poller::sys::{Domain, Errno, Fd, MsgFlags, SockType, UnixAddr};

fn path(s: &str) -> UnixAddr {
    UnixAddr::Path(s.as_bytes().to_vec())
}

fn wr(k: &mut super::Kernel, fd: Fd, buf: &[u8]) -> simkern_poller::sys::SysResult<usize> {
    let now = k.clock();
    k.write(fd, buf, now, &mut zero())
}

fn close(k: &mut super::Kernel, fd: Fd) {
    let now = k.clock();
    k.close(fd, now, &mut zero())
        .unwrap_or_else(|e| panic!("close {fd}: {e}\n{}", k.describe()));
}

#[test]
fn a_drained_stream_wakes_an_edge_triggered_writer_once_writable() {
    let mut k = kernel();
    let (x, y) = k.socketpair(SockType::Stream).unwrap();
    let ep = k.epoll_create().unwrap();
    watch(&mut k, ep, x, EPOLLOUT | EPOLLET);
    watch(&mut k, ep, y, EPOLLIN | EPOLLET);
    assert_eq!(
        harvest(&mut k, ep, &mut zero()),
        vec![(x, EPOLLOUT, x.0 as u64)]
    );
    let chunk = vec![1u8; 65_536];
    while wr(&mut k, x, &chunk).is_ok() {}
    assert_eq!(
        harvest(&mut k, ep, &mut zero()),
        vec![(y, EPOLLIN, y.0 as u64)]
    );
    let mut buf = vec![0u8; 40_000];
    assert_eq!(rd(&mut k, y, &mut buf), Ok(40_000), "{}", k.describe());
    assert_eq!(
        harvest(&mut k, ep, &mut zero()),
        vec![],
        "one skb freed leaves the charge above a quarter of sndbuf\n{}",
        k.describe()
    );
    let mut big = vec![0u8; 1 << 20];
    while rd(&mut k, y, &mut big).is_ok() {}
    assert_eq!(
        harvest(&mut k, ep, &mut zero()),
        vec![(x, EPOLLOUT, x.0 as u64)]
    );
}

#[test]
fn data_written_to_an_embryo_is_read_after_accept_even_if_the_client_closed() {
    let mut k = kernel();
    let l = k.socket(Domain::Unix, SockType::Stream).unwrap();
    k.bind_unix(l, &path("/l")).unwrap();
    k.listen(l, 4).unwrap();
    let c = k.socket(Domain::Unix, SockType::Stream).unwrap();
    k.connect_unix(c, &path("/l")).unwrap();
    assert_eq!(wr(&mut k, c, b"early"), Ok(5));
    close(&mut k, c);
    let (s, peer) = k.accept4_unix(l).unwrap();
    assert_eq!(peer, UnixAddr::Unnamed);
    let mut buf = [0u8; 16];
    assert_eq!(rd(&mut k, s, &mut buf), Ok(5), "{}", k.describe());
    assert_eq!(rd(&mut k, s, &mut buf), Ok(0));
    assert_eq!(
        k.so_error(s),
        Ok(None),
        "the client read nothing of ours: no reset"
    );
}

#[test]
fn reconnecting_a_datagram_socket_drops_its_queue_and_resets_the_old_peer() {
    let mut k = kernel();
    let [u, v, w] = ["/u", "/v", "/w"].map(|p| {
        let fd = k.socket(Domain::Unix, SockType::Dgram).unwrap();
        k.bind_unix(fd, &path(p)).unwrap();
        fd
    });
    k.connect_unix(u, &path("/v")).unwrap();
    k.connect_unix(v, &path("/u")).unwrap();
    assert_eq!(wr(&mut k, v, b"1"), Ok(1));
    k.connect_unix(u, &path("/w")).unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(
        rd(&mut k, u, &mut buf),
        Err(Errno::EAGAIN),
        "{}",
        k.describe()
    );
    assert_eq!(k.so_error(v), Ok(Some(Errno::ECONNRESET)));
    assert_eq!(k.unix_name(u, true), Ok(path("/w")));
    let _ = w;
}

#[test]
fn the_inet_calls_on_a_unix_socket_answer_as_the_real_backend() {
    let mut k = kernel();
    let l = k.socket(Domain::Unix, SockType::Stream).unwrap();
    k.bind_unix(l, &path("/l")).unwrap();
    k.listen(l, 4).unwrap();
    let inet: std::net::SocketAddr = "127.0.0.1:80".parse().unwrap();
    assert_eq!(k.bind(l, inet), Err(Errno::EINVAL));
    let c = k.socket(Domain::Unix, SockType::Stream).unwrap();
    let now = k.clock();
    assert_eq!(k.connect(c, inet, now, &mut zero()), Err(Errno::EINVAL));
    k.connect_unix(c, &path("/l")).unwrap();
    // accept4 takes the connection, cannot say its address, and closes it.
    assert_eq!(k.accept4(l), Err(Errno::EAFNOSUPPORT));
    let mut buf = [0u8; 4];
    assert_eq!(
        rd(&mut k, c, &mut buf),
        Err(Errno::ECONNRESET),
        "{}",
        k.describe()
    );
    assert_eq!(k.getsockname(l), Err(Errno::EAFNOSUPPORT));
    assert_eq!(k.getpeername(l), Err(Errno::ENOTCONN));
    // A Unix address on an inet socket: short is EINVAL, else EAFNOSUPPORT.
    let t = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(k.bind_unix(t, &path("/s")), Err(Errno::EINVAL));
    assert_eq!(
        k.bind_unix(t, &path("/a/longer/path")),
        Err(Errno::EAFNOSUPPORT)
    );
    assert_eq!(k.unix_name(t, false), Err(Errno::EAFNOSUPPORT));
    // recvfrom of a named datagram through the inet call: taken, then EAFNOSUPPORT.
    let r = k.socket(Domain::Unix, SockType::Dgram).unwrap();
    k.bind_unix(r, &path("/r")).unwrap();
    let s = k.socket(Domain::Unix, SockType::Dgram).unwrap();
    k.bind_unix(s, &path("/s")).unwrap();
    let now = k.clock();
    let to = path("/r");
    assert_eq!(
        k.sendto_unix(s, b"hi", MsgFlags::EMPTY, Some(&to), now, &mut zero()),
        Ok(2)
    );
    assert_eq!(
        k.recvfrom(r, &mut buf, MsgFlags::EMPTY, now, &mut zero()),
        Err(Errno::EAFNOSUPPORT)
    );
    assert_eq!(
        rd(&mut k, r, &mut buf),
        Err(Errno::EAGAIN),
        "the datagram was taken"
    );
}

#[test]
fn socketpair_needs_two_free_fds() {
    let mut k = kernel_with(|c| c.rlimit_nofile = 4);
    let _a = k.eventfd(0, false).unwrap();
    let _b = k.eventfd(0, false).unwrap();
    let _c = k.eventfd(0, false).unwrap();
    assert_eq!(k.socketpair(SockType::Stream), Err(Errno::EMFILE));
    assert_eq!(k.open_fds().len(), 3, "nothing half-made");
}

#[test]
fn a_receiver_full_to_strangers_still_takes_its_connected_peers_datagrams() {
    let mut k = kernel();
    let (a, b) = k.socketpair(SockType::Dgram).unwrap();
    k.bind_unix(b, &UnixAddr::Abstract(b"b".to_vec())).unwrap();
    let s = k.socket(Domain::Unix, SockType::Dgram).unwrap();
    let now = k.clock();
    let to = UnixAddr::Abstract(b"b".to_vec());
    for _ in 0..=MAX_DGRAM_QLEN {
        // b is connected to a: strangers are refused outright.
        assert_eq!(
            k.sendto_unix(s, b"x", MsgFlags::EMPTY, Some(&to), now, &mut zero()),
            Err(Errno::EPERM)
        );
    }
    for i in 0..50 {
        assert_eq!(wr(&mut k, a, b"x"), Ok(1), "datagram {i}\n{}", k.describe());
    }
    assert_eq!(unix_truesize(1, false), 768);
}

#[test]
fn closing_a_datagram_receiver_frees_its_senders_charge() {
    let mut k = kernel();
    let r = k.socket(Domain::Unix, SockType::Dgram).unwrap();
    k.bind_unix(r, &path("/r")).unwrap();
    let s = k.socket(Domain::Unix, SockType::Dgram).unwrap();
    k.connect_unix(s, &path("/r")).unwrap();
    for _ in 0..=MAX_DGRAM_QLEN {
        wr(&mut k, s, &[0u8; 10_000]).unwrap();
    }
    assert_eq!(
        k.poll(s),
        Ok(0),
        "full receiver, large charge\n{}",
        k.describe()
    );
    close(&mut k, r);
    assert_eq!(k.poll(s), Ok(EPOLLOUT), "{}", k.describe());
    assert_eq!(k.unlink(b"/r"), Ok(()));
    assert_eq!(k.unlink(b"/r"), Err(Errno::ENOENT));
}
