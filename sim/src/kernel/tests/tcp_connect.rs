//! TCP connection setup: accept, refusal, retransmission and timeout, repeated connect.

use super::*;
use crate::kernel::XorShift;
use simkern_poller::sys::epoll::{EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT};

#[test]
fn accept4_returns_the_clients_address_and_eagain_when_empty() {
    let mut k = kernel();
    let ch = &mut zero();
    let l = listener(&mut k, 9000, 8);
    assert_eq!(k.accept4(l), Err(Errno::EAGAIN));
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(k.connect(c, addr(9000), 0, ch), Err(Errno::EINPROGRESS));
    assert_eq!(k.poll(c), Ok(0), "SYN_SENT polls nothing");
    settle(&mut k, ch);
    assert_eq!(k.poll(l), Ok(EPOLLIN));
    let (_, peer) = k.accept4(l).unwrap();
    assert_eq!(Ok(peer), k.getsockname(c));
}

#[test]
fn connecting_to_a_closed_port_is_econnrefused_through_so_error() {
    let mut k = kernel();
    let ch = &mut zero();
    let ep = k.epoll_create().unwrap();
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(k.connect(c, addr(9), 0, ch), Err(Errno::EINPROGRESS));
    watch(&mut k, ep, c, EPOLLOUT | EPOLLET);
    assert!(harvest(&mut k, ep, ch).is_empty());
    settle(&mut k, ch);
    assert_eq!(
        harvest(&mut k, ep, ch),
        vec![(c, EPOLLOUT | EPOLLERR | EPOLLHUP, c.0 as u64)]
    );
    assert_eq!(k.poll(c), Ok(DEAD | EPOLLERR));
    assert_eq!(k.so_error(c), Ok(Some(Errno::ECONNREFUSED)));
    assert_eq!(k.so_error(c), Ok(None), "reading SO_ERROR clears it");
    assert_eq!(k.poll(c), Ok(DEAD));
    let now = k.clock();
    assert_eq!(
        k.connect(c, addr(9), now, ch),
        Err(Errno::ECONNABORTED),
        "the failure was already taken"
    );
    assert_eq!(
        k.connect(c, addr(9), now, ch),
        Err(Errno::EINPROGRESS),
        "reusable"
    );
}

#[test]
fn a_failed_connect_reports_its_error_to_the_next_connect_call() {
    let mut k = kernel();
    let ch = &mut zero();
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    k.connect(c, addr(9), 0, ch).unwrap_err();
    settle(&mut k, ch);
    let now = k.clock();
    assert_eq!(k.connect(c, addr(9), now, ch), Err(Errno::ECONNREFUSED));
    assert_eq!(k.so_error(c), Ok(None));
}

#[test]
fn connect_again_is_ealready_then_zero_once_then_eisconn() {
    let mut k = kernel();
    let ch = &mut zero();
    let _l = listener(&mut k, 7000, 4);
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(k.connect(c, addr(7000), 0, ch), Err(Errno::EINPROGRESS));
    assert_eq!(k.connect(c, addr(7000), 0, ch), Err(Errno::EALREADY));
    settle(&mut k, ch);
    let now = k.clock();
    assert_eq!(k.connect(c, addr(7000), now, ch), Ok(()));
    assert_eq!(k.connect(c, addr(7000), now, ch), Err(Errno::EISCONN));
}

#[test]
fn a_dial_into_a_full_accept_queue_is_blackholed_until_etimedout() {
    // backlog 0 admits one connection (backlog + 1); the second dial's SYNs are dropped and
    // retransmitted at 1, 3, 7, 15, 31, 63 s; it fails at 127 s (tcp_syn_retries = 6).
    let mut k = kernel();
    let ch = &mut XorShift::new(11);
    let _l = listener(&mut k, 5000, 0);
    let first = k.socket(Domain::Inet, SockType::Stream).unwrap();
    k.connect(first, addr(5000), 0, ch).unwrap_err();
    run_until(&mut k, SEC / 2, ch);
    assert_eq!(k.so_error(first), Ok(None));
    let ep = k.epoll_create().unwrap();
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    let t0 = k.clock();
    assert_eq!(k.connect(c, addr(5000), t0, ch), Err(Errno::EINPROGRESS));
    watch(&mut k, ep, c, EPOLLOUT | EPOLLET);
    run_until(&mut k, t0 + 2 * SEC, ch);
    assert_eq!(
        k.poll(c),
        Ok(0),
        "still connecting after 2 s\n{}",
        k.describe()
    );
    assert!(harvest(&mut k, ep, ch).is_empty());
    assert_eq!(
        k.connect(c, addr(5000), k.clock(), ch),
        Err(Errno::EALREADY)
    );
    run_until(&mut k, t0 + 127 * SEC - 1, ch);
    assert_eq!(
        k.so_error(c),
        Ok(None),
        "still connecting just before 127 s"
    );
    run_until(&mut k, t0 + 127 * SEC, ch);
    assert_eq!(
        harvest(&mut k, ep, ch),
        vec![(c, EPOLLOUT | EPOLLERR | EPOLLHUP, c.0 as u64)]
    );
    assert_eq!(k.so_error(c), Ok(Some(Errno::ETIMEDOUT)));
}

#[test]
fn a_dial_to_a_non_loopback_address_times_out() {
    let mut k = kernel_with(|c| {
        c.syn_retries = 2;
        c.syn_rto_initial_ns = SEC;
    });
    let ch = &mut zero();
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    let far = "10.1.2.3:80".parse().unwrap();
    assert_eq!(k.connect(c, far, 0, ch), Err(Errno::EINPROGRESS));
    run_until(&mut k, 7 * SEC - 1, ch);
    assert_eq!(k.so_error(c), Ok(None));
    run_until(&mut k, 7 * SEC, ch);
    assert_eq!(k.so_error(c), Ok(Some(Errno::ETIMEDOUT)));
    assert_eq!(k.next_event_time(), None);
}

#[test]
fn closing_a_listener_resets_connections_still_in_its_queue() {
    let mut k = kernel();
    let ch = &mut zero();
    let l = listener(&mut k, 7400, 4);
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    k.connect(c, addr(7400), 0, ch).unwrap_err();
    settle(&mut k, ch);
    assert_eq!(k.so_error(c), Ok(None));
    let now = k.clock();
    k.close(l, now, ch).unwrap();
    settle(&mut k, ch);
    assert_eq!(
        k.so_error(c),
        Ok(Some(Errno::ECONNRESET)),
        "{}",
        k.describe()
    );
    let c2 = k.socket(Domain::Inet, SockType::Stream).unwrap();
    let now = k.clock();
    k.connect(c2, addr(7400), now, ch).unwrap_err();
    settle(&mut k, ch);
    assert_eq!(
        k.so_error(c2),
        Ok(Some(Errno::ECONNREFUSED)),
        "the port is free"
    );
}

/// Entering CLOSE gives back a port the kernel chose (`inet_put_port` without
/// `SOCK_BINDPORT_LOCK`): a refused socket may `bind` again, and `getsockname` still shows the
/// old port, as Linux 6.18 does (found by the conformance tests); a port `bind` named stays.
#[test]
fn a_refused_socket_gives_its_autobound_port_back_and_may_bind_again() {
    let mut k = kernel();
    let ch = &mut zero();
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(k.connect(c, addr(9), 0, ch), Err(Errno::EINPROGRESS));
    let autobound = k.getsockname(c).unwrap();
    settle(&mut k, ch);
    assert_eq!(
        k.getsockname(c),
        Ok(autobound),
        "the old name stays visible"
    );
    assert_eq!(
        k.bind(c, addr(9100)),
        Ok(()),
        "the port went back: bind again"
    );
    assert_eq!(k.getsockname(c), Ok(addr(9100)));
    let other = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(
        k.bind(other, autobound),
        Ok(()),
        "nobody holds the old port"
    );
    // A named port stays through a refusal.
    let named = k.socket(Domain::Inet, SockType::Stream).unwrap();
    k.bind(named, addr(9200)).unwrap();
    let now = k.clock();
    assert_eq!(k.connect(named, addr(9), now, ch), Err(Errno::EINPROGRESS));
    settle(&mut k, ch);
    assert_eq!(k.bind(named, addr(9201)), Err(Errno::EINVAL), "still bound");
    let third = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(k.bind(third, addr(9200)), Err(Errno::EADDRINUSE));
}

/// `shutdown` of a socket whose `connect` failed makes it `SS_DISCONNECTING`
/// (`inet_shutdown`): the failure is no longer reported by `connect`, which is `EINVAL`, as
/// `listen` is (Linux 6.18, found by the conformance tests).
#[test]
fn shutdown_after_a_refused_connect_makes_connect_and_listen_einval() {
    let mut k = kernel();
    let ch = &mut zero();
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(k.connect(c, addr(9), 0, ch), Err(Errno::EINPROGRESS));
    settle(&mut k, ch);
    let now = k.clock();
    assert_eq!(
        k.shutdown(c, simkern_poller::sys::Shutdown::Both, now, ch),
        Err(Errno::ENOTCONN)
    );
    assert_eq!(k.connect(c, addr(9), now, ch), Err(Errno::EINVAL));
    assert_eq!(k.listen(c, 1), Err(Errno::EINVAL));
    assert_eq!(
        k.so_error(c),
        Ok(Some(Errno::ECONNREFUSED)),
        "still pending"
    );
}

/// Once both FINs are in, both ends are CLOSE (`shutdown` is then `ENOTCONN`); an accepted
/// socket gives the listener's port back (its `SOCK_BINDPORT_LOCK` is not inherited), and
/// the end that closed first leaves a TIME_WAIT entry that keeps `bind` off the address for
/// 60 s unless both set `SO_REUSEADDR` (Linux 6.18, found by the conformance tests).
#[test]
fn both_fins_in_close_both_ends_and_the_first_closer_leaves_time_wait() {
    use simkern_poller::sys::{Shutdown, SockOpt};
    let mut k = kernel();
    let ch = &mut zero();
    let (c, s, l) = pair(&mut k, 9300, ch);
    let now = k.clock();
    k.shutdown(s, Shutdown::Write, now, ch).unwrap(); // the server closes first
    settle(&mut k, ch);
    let now = k.clock();
    k.shutdown(c, Shutdown::Write, now, ch).unwrap();
    settle(&mut k, ch);
    let now = k.clock();
    assert_eq!(
        k.shutdown(s, Shutdown::Write, now, ch),
        Err(Errno::ENOTCONN)
    );
    assert_eq!(
        k.shutdown(c, Shutdown::Write, now, ch),
        Err(Errno::ENOTCONN)
    );
    assert_eq!(k.close(l, now, ch), Ok(()));
    assert_eq!(
        k.bind(s, addr(9301)),
        Ok(()),
        "the child gave port 9300 back"
    );
    let fresh = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(
        k.bind(fresh, addr(9300)),
        Err(Errno::EADDRINUSE),
        "TIME_WAIT"
    );
    k.setsockopt(fresh, SockOpt::ReuseAddr(true)).unwrap();
    assert_eq!(
        k.bind(fresh, addr(9300)),
        Err(Errno::EADDRINUSE),
        "the entry's socket had no SO_REUSEADDR"
    );
    let later = k.clock() + crate::kernel::TCP_TIMEWAIT_LEN_NS;
    k.advance(later, ch);
    assert_eq!(k.bind(fresh, addr(9300)), Ok(()), "TIME_WAIT is over");
}

/// `shutdown(SHUT_RD)` of a listener is `tcp_disconnect`, which clears `sk_shutdown`: an
/// earlier `SHUT_RD` is forgotten and `read` is `ENOTCONN` (Linux 6.18, found by the
/// conformance tests).
#[test]
fn shutting_a_listener_down_forgets_earlier_shutdowns() {
    use simkern_poller::sys::Shutdown;
    let mut k = kernel();
    let ch = &mut zero();
    let s = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(k.shutdown(s, Shutdown::Read, 0, ch), Err(Errno::ENOTCONN));
    let mut buf = [0u8; 1];
    assert_eq!(rd(&mut k, s, &mut buf), Ok(0), "RCV_SHUTDOWN");
    k.listen(s, 1).unwrap();
    assert_eq!(k.shutdown(s, Shutdown::Read, 0, ch), Ok(()));
    assert_eq!(rd(&mut k, s, &mut buf), Err(Errno::ENOTCONN));
}

/// The `connect` that reports a failure disconnects the socket (`tcp_disconnect`): unless
/// `bind` named an address, the source address goes back to 0.0.0.0, and `getsockname` shows
/// it with the old port (Linux 6.18, found by the conformance tests).
#[test]
fn reporting_a_refusal_resets_the_source_address_unless_bind_named_it() {
    let mut k = kernel();
    let ch = &mut zero();
    for named in [false, true] {
        let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
        if named {
            k.bind(c, addr(0)).unwrap();
        }
        let now = k.clock();
        assert_eq!(k.connect(c, addr(9), now, ch), Err(Errno::EINPROGRESS));
        let port = k.getsockname(c).unwrap().port();
        settle(&mut k, ch);
        let now = k.clock();
        assert_eq!(k.connect(c, addr(9), now, ch), Err(Errno::ECONNREFUSED));
        let ip = if named {
            Ipv4Addr::LOCALHOST
        } else {
            Ipv4Addr::UNSPECIFIED
        };
        let expected = SocketAddr::V4(SocketAddrV4::new(ip, port));
        assert_eq!(k.getsockname(c), Ok(expected), "named: {named}");
    }
}

/// A listener's children inherit its shutdown bits: `SHUT_WR` before `listen` makes each
/// child send its FIN at once (the client reads EOF), `SHUT_RD` makes it read EOF until data
/// comes (Linux 6.18, found by the conformance tests).
#[test]
fn children_inherit_the_listeners_shutdown_bits() {
    use simkern_poller::sys::Shutdown;
    let mut k = kernel();
    let ch = &mut zero();
    for (port, how) in [(9400, Shutdown::Write), (9401, Shutdown::Read)] {
        let l = k.socket(Domain::Inet, SockType::Stream).unwrap();
        k.bind(l, addr(port)).unwrap();
        let now = k.clock();
        assert_eq!(k.shutdown(l, how, now, ch), Err(Errno::ENOTCONN));
        k.listen(l, 1).unwrap();
        let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
        assert_eq!(k.connect(c, addr(port), now, ch), Err(Errno::EINPROGRESS));
        settle(&mut k, ch);
        let (s, _) = k.accept4(l).unwrap();
        let mut buf = [0u8; 4];
        let now = k.clock();
        if how == Shutdown::Write {
            assert_eq!(rd(&mut k, c, &mut buf), Ok(0), "the child's FIN");
            assert_eq!(k.write(s, b"x", now, ch), Err(Errno::EPIPE));
        } else {
            assert_eq!(rd(&mut k, s, &mut buf), Ok(0), "RCV_SHUTDOWN inherited");
            assert_eq!(k.write(c, b"x", now, ch), Ok(1));
            settle(&mut k, ch);
            assert_eq!(rd(&mut k, s, &mut buf), Ok(1), "data still comes");
        }
    }
}

/// The `connect` that reports a failure disconnects the socket, and `tcp_disconnect` ends
/// with `sk_error_report`: an edge-triggered entry is reported again, `EPOLLHUP` (Linux 6.18,
/// found by the conformance tests).
#[test]
fn reporting_a_failed_connect_wakes_edge_triggered_entries() {
    let mut k = kernel();
    let ch = &mut zero();
    let ep = k.epoll_create().unwrap();
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(k.connect(c, addr(9), 0, ch), Err(Errno::EINPROGRESS));
    watch(&mut k, ep, c, EPOLLIN | EPOLLET);
    settle(&mut k, ch);
    assert_eq!(harvest(&mut k, ep, ch).len(), 1, "the refusal");
    assert!(harvest(&mut k, ep, ch).is_empty());
    let now = k.clock();
    assert_eq!(k.connect(c, addr(9), now, ch), Err(Errno::ECONNREFUSED));
    assert_eq!(harvest(&mut k, ep, ch), vec![(c, EPOLLHUP, c.0 as u64)]);
}

/// Both ends shut for writing at the same instant: each gets the other's FIN while its own is
/// still on its way, so each is CLOSING (`shutdown` still 0), then TIME_WAIT once its own
/// arrives (both ports stay busy for `bind`), as Linux's simultaneous close does (found by
/// the conformance tests, with a FIN held back behind data).
#[test]
fn a_simultaneous_close_goes_through_closing_to_time_wait_on_both_ends() {
    use simkern_poller::sys::Shutdown;
    let mut k = kernel();
    let ch = &mut zero();
    let (c, s, l) = pair(&mut k, 9500, ch);
    let now = k.clock();
    k.shutdown(c, Shutdown::Write, now, ch).unwrap();
    k.shutdown(s, Shutdown::Write, now, ch).unwrap();
    settle(&mut k, ch);
    let now = k.clock();
    assert_eq!(
        k.shutdown(c, Shutdown::Write, now, ch),
        Err(Errno::ENOTCONN)
    );
    assert_eq!(
        k.shutdown(s, Shutdown::Write, now, ch),
        Err(Errno::ENOTCONN)
    );
    k.close(l, now, ch).unwrap();
    let fresh = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(
        k.bind(fresh, addr(9500)),
        Err(Errno::EADDRINUSE),
        "the server's TIME_WAIT"
    );
}

/// `linux::LISTEN_AFTER_CONNECT`: 6.18.44 refuses `listen` on a socket that once attempted a
/// connection, after taking an ephemeral port (a `bind` then is `EINVAL`); older kernels
/// listen. The target kernel picks one.
#[test]
fn listen_after_a_refused_connect_follows_the_target_kernel() {
    use simkern_model::linux::{Behaviours, Version};
    for (version, refused) in [("6.18.44", true), ("5.10", false)] {
        let mut k = kernel_with(|c| c.linux = Behaviours::of(version.parse::<Version>().unwrap()));
        let ch = &mut zero();
        let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
        assert_eq!(k.connect(c, addr(9), 0, ch), Err(Errno::EINPROGRESS));
        settle(&mut k, ch);
        let now = k.clock();
        assert_eq!(k.connect(c, addr(9), now, ch), Err(Errno::ECONNREFUSED));
        if refused {
            assert_eq!(k.listen(c, 1), Err(Errno::EINVAL), "on {version}");
            assert_eq!(
                k.bind(c, addr(0)),
                Err(Errno::EINVAL),
                "the port stays taken"
            );
            assert_eq!(k.listen(c, 1), Err(Errno::EINVAL), "for good");
        } else {
            assert_eq!(k.listen(c, 1), Ok(()), "on {version}");
        }
    }
}

/// `linux::CONNECT_AFTER_LISTEN`: 6.18.44 refuses `connect` from a socket that once listened
/// (stopped by `SHUT_RD`); older kernels connect.
#[test]
fn connect_after_listening_follows_the_target_kernel() {
    use simkern_model::linux::{Behaviours, Version};
    use simkern_poller::sys::Shutdown;
    for (version, refused) in [("6.18.44", true), ("5.10", false)] {
        let mut k = kernel_with(|c| c.linux = Behaviours::of(version.parse::<Version>().unwrap()));
        let ch = &mut zero();
        let l = listener(&mut k, 9000, 1);
        assert_eq!(k.shutdown(l, Shutdown::Read, 0, ch), Ok(()));
        let expect = if refused {
            Errno::EINVAL
        } else {
            Errno::EINPROGRESS
        };
        assert_eq!(k.connect(l, addr(9), 0, ch), Err(expect), "on {version}");
    }
}
