//! TCP errnos: unconnected sockets, shutdown, bind and listen rules, fd exhaustion.

use super::*;
use simkern_poller::sys::{Shutdown, SockOpt};

#[test]
fn an_unconnected_socket_reads_enotconn_and_writes_epipe() {
    let mut k = kernel();
    let ch = &mut zero();
    let s = k.socket(Domain::Inet, SockType::Stream).unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(rd(&mut k, s, &mut buf), Err(Errno::ENOTCONN));
    assert_eq!(
        rd(&mut k, s, &mut []),
        Ok(0),
        "a zero-length read succeeds first"
    );
    assert_eq!(k.write(s, b"x", 0, ch), Err(Errno::EPIPE));
    assert_eq!(k.shutdown(s, Shutdown::Write, 0, ch), Err(Errno::ENOTCONN));
    let l = listener(&mut k, 4000, 1);
    assert_eq!(rd(&mut k, l, &mut buf), Err(Errno::ENOTCONN));
    assert_eq!(k.write(l, b"x", 0, ch), Err(Errno::EPIPE));
    assert_eq!(k.accept4(s), Err(Errno::EINVAL), "not listening");
}

#[test]
fn a_connecting_socket_reads_and_writes_eagain() {
    let mut k = kernel();
    let ch = &mut zero();
    let _l = listener(&mut k, 4001, 1);
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    k.connect(c, addr(4001), 0, ch).unwrap_err();
    let mut buf = [0u8; 4];
    assert_eq!(rd(&mut k, c, &mut buf), Err(Errno::EAGAIN));
    assert_eq!(k.write(c, b"x", 0, ch), Err(Errno::EAGAIN));
    // shutdown aborts the attempt: ECONNRESET pending, then a fresh socket.
    assert_eq!(k.shutdown(c, Shutdown::Both, 0, ch), Ok(()));
    assert_eq!(k.so_error(c), Ok(Some(Errno::ECONNRESET)));
    settle(&mut k, ch);
    assert_eq!(
        rd(&mut k, c, &mut buf),
        Err(Errno::ENOTCONN),
        "{}",
        k.describe()
    );
}

#[test]
fn socket_calls_on_other_files_are_enotsock_and_ipv6_is_eafnosupport() {
    let mut k = kernel();
    let ch = &mut zero();
    let e = k.eventfd(0, false).unwrap();
    assert_eq!(k.bind(e, addr(1)), Err(Errno::ENOTSOCK));
    assert_eq!(k.listen(e, 1), Err(Errno::ENOTSOCK));
    assert_eq!(k.accept4(e), Err(Errno::ENOTSOCK));
    assert_eq!(k.connect(e, addr(1), 0, ch), Err(Errno::ENOTSOCK));
    assert_eq!(k.so_error(e), Err(Errno::ENOTSOCK));
    assert_eq!(k.getsockname(e), Err(Errno::ENOTSOCK));
    assert_eq!(k.shutdown(e, Shutdown::Both, 0, ch), Err(Errno::ENOTSOCK));
    assert_eq!(
        k.setsockopt(e, SockOpt::NoDelay(true)),
        Err(Errno::ENOTSOCK)
    );
    assert_eq!(
        k.socket(Domain::Inet6, SockType::Stream),
        Err(Errno::EAFNOSUPPORT)
    );
    let s = k.socket(Domain::Inet, SockType::Stream).unwrap();
    let v6 = "[::1]:80".parse().unwrap();
    assert_eq!(k.bind(s, v6), Err(Errno::EAFNOSUPPORT));
    assert_eq!(k.connect(s, v6, 0, ch), Err(Errno::EAFNOSUPPORT));
}

#[test]
fn bind_follows_linux_address_rules() {
    let mut k = kernel();
    let a = k.socket(Domain::Inet, SockType::Stream).unwrap();
    let b = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(
        k.bind(a, "10.0.0.1:80".parse().unwrap()),
        Err(Errno::EADDRNOTAVAIL)
    );
    k.bind(a, addr(4100)).unwrap();
    assert_eq!(k.bind(a, addr(4101)), Err(Errno::EINVAL), "already bound");
    assert_eq!(k.bind(b, addr(4100)), Err(Errno::EADDRINUSE));
    assert_eq!(
        k.bind(b, "0.0.0.0:4100".parse().unwrap()),
        Err(Errno::EADDRINUSE),
        "the wildcard overlaps"
    );
    k.bind(b, "127.0.0.2:4100".parse().unwrap()).unwrap();
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    k.bind(c, "0.0.0.0:0".parse().unwrap()).unwrap();
    let port = k.getsockname(c).unwrap().port();
    assert!(
        (crate::kernel::EPHEMERAL_PORT_MIN..=crate::kernel::EPHEMERAL_PORT_MAX).contains(&port)
    );
}

#[test]
fn so_reuseaddr_shares_a_port_until_the_second_socket_listens() {
    let mut k = kernel();
    let a = k.socket(Domain::Inet, SockType::Stream).unwrap();
    let b = k.socket(Domain::Inet, SockType::Stream).unwrap();
    for s in [a, b] {
        k.setsockopt(s, SockOpt::ReuseAddr(true)).unwrap();
        k.bind(s, addr(4200)).unwrap();
    }
    k.listen(a, 8).unwrap();
    assert_eq!(k.listen(b, 8), Err(Errno::EADDRINUSE));
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    k.setsockopt(c, SockOpt::ReuseAddr(true)).unwrap();
    assert_eq!(
        k.bind(c, addr(4200)),
        Err(Errno::EADDRINUSE),
        "a listener holds it"
    );
}

#[test]
fn so_reuseaddr_lets_a_new_listener_bind_while_old_connections_live() {
    // The server-restart case: connections accepted from the old listener keep the port.
    let mut k = kernel();
    let ch = &mut zero();
    let l = k.socket(Domain::Inet, SockType::Stream).unwrap();
    k.setsockopt(l, SockOpt::ReuseAddr(true)).unwrap();
    k.bind(l, addr(4300)).unwrap();
    k.listen(l, 8).unwrap();
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    k.connect(c, addr(4300), 0, ch).unwrap_err();
    settle(&mut k, ch);
    let (_s, _) = k.accept4(l).unwrap();
    let now = k.clock();
    k.close(l, now, ch).unwrap();
    let plain = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(k.bind(plain, addr(4300)), Err(Errno::EADDRINUSE));
    let l2 = k.socket(Domain::Inet, SockType::Stream).unwrap();
    k.setsockopt(l2, SockOpt::ReuseAddr(true)).unwrap();
    assert_eq!(k.bind(l2, addr(4300)), Ok(()));
    assert_eq!(k.listen(l2, 8), Ok(()));
}

#[test]
fn listen_on_a_connected_socket_is_einval() {
    let mut k = kernel();
    let ch = &mut zero();
    let (c, s, _l) = pair(&mut k, 4400, ch);
    assert_eq!(k.listen(c, 1), Err(Errno::EINVAL));
    assert_eq!(k.listen(s, 1), Err(Errno::EINVAL));
    let fresh = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(
        k.listen(fresh, -1),
        Ok(()),
        "listen autobinds an ephemeral port"
    );
    assert_ne!(k.getsockname(fresh).unwrap().port(), 0);
}

#[test]
fn accept4_at_the_fd_limit_is_emfile_and_the_connection_waits() {
    let mut k = kernel_with(|c| c.rlimit_nofile = 3);
    let ch = &mut zero();
    let l = listener(&mut k, 4500, 4);
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    k.connect(c, addr(4500), 0, ch).unwrap_err();
    settle(&mut k, ch);
    let filler = k.eventfd(0, false).unwrap();
    assert_eq!(k.accept4(l), Err(Errno::EMFILE));
    assert_eq!(
        k.accept4(filler),
        Err(Errno::EMFILE),
        "EMFILE comes before ENOTSOCK"
    );
    let now = k.clock();
    k.close(filler, now, ch).unwrap();
    assert!(k.accept4(l).is_ok(), "{}", k.describe());
}
