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
    let c = k.socket(Domain::Inet).unwrap();
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
    let c = k.socket(Domain::Inet).unwrap();
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
    let c = k.socket(Domain::Inet).unwrap();
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
    let c = k.socket(Domain::Inet).unwrap();
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
    let first = k.socket(Domain::Inet).unwrap();
    k.connect(first, addr(5000), 0, ch).unwrap_err();
    run_until(&mut k, SEC / 2, ch);
    assert_eq!(k.so_error(first), Ok(None));
    let ep = k.epoll_create().unwrap();
    let c = k.socket(Domain::Inet).unwrap();
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
    let c = k.socket(Domain::Inet).unwrap();
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
    let c = k.socket(Domain::Inet).unwrap();
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
    let c2 = k.socket(Domain::Inet).unwrap();
    let now = k.clock();
    k.connect(c2, addr(7400), now, ch).unwrap_err();
    settle(&mut k, ch);
    assert_eq!(
        k.so_error(c2),
        Ok(Some(Errno::ECONNREFUSED)),
        "the port is free"
    );
}
