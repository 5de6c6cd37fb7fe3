//! TCP sockets on loopback, after `Settle` (so each answer is the one Linux gives once the
//! network is quiet). The network's freedoms before `Settle` are in `network.rs`.

use super::*;
use crate::errno::*;
use crate::event::{EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP};
use crate::Shut;

#[test]
fn a_nonblocking_connect_is_einprogress_then_so_error_zero_and_accept_returns_the_peer() {
    let mut m = model();
    let (l, c, s) = connected(&mut m, 0);
    assert_eq!((l, c, s), (Fd(3), Fd(4), Fd(5)));
    assert_eq!(run(&mut m, Op::SoError { fd: c }), Outcome::SoError(0));
    // The second connect reports completion once, then the socket is connected.
    ok(
        &mut m,
        Op::Connect {
            fd: c,
            port: Port(0),
        },
    );
    assert_eq!(
        errno(
            &mut m,
            Op::Connect {
                fd: c,
                port: Port(0)
            }
        ),
        EISCONN
    );
    assert_eq!(
        errno(
            &mut m,
            Op::Connect {
                fd: s,
                port: Port(0)
            }
        ),
        EISCONN
    );
    assert_eq!(
        errno(&mut m, Op::Accept { fd: l }),
        EAGAIN,
        "nothing else queued"
    );
}

#[test]
fn connecting_where_nothing_listens_is_refused_via_so_error() {
    let mut m = model();
    let c = new_fd(&mut m, Op::Socket);
    assert_eq!(
        errno(
            &mut m,
            Op::Connect {
                fd: c,
                port: Port(7)
            }
        ),
        EINPROGRESS
    );
    ok(&mut m, Op::Settle);
    let ep = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(ep, c, EPOLLIN | EPOLLOUT | EPOLLRDHUP));
    let all = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLERR | EPOLLHUP;
    assert_eq!(ready(&m, ep, 4), vec![(3, vec![all], true)]);
    assert_eq!(
        run(&mut m, Op::SoError { fd: c }),
        Outcome::SoError(ECONNREFUSED)
    );
    assert_eq!(
        run(&mut m, Op::SoError { fd: c }),
        Outcome::SoError(0),
        "read once"
    );
    assert_eq!(bytes(&mut m, Op::Read { fd: c, len: 1 }), 0);
}

#[test]
fn a_second_connect_after_a_refusal_reports_the_error_and_a_third_is_outside_the_model() {
    let mut m = model();
    let c = new_fd(&mut m, Op::Socket);
    errno(
        &mut m,
        Op::Connect {
            fd: c,
            port: Port(7),
        },
    );
    ok(&mut m, Op::Settle);
    assert_eq!(
        errno(
            &mut m,
            Op::Connect {
                fd: c,
                port: Port(7)
            }
        ),
        ECONNREFUSED
    );
    assert!(m
        .check(&Op::Connect {
            fd: c,
            port: Port(7)
        })
        .is_err());
}

#[test]
fn binding_a_port_in_use_is_eaddrinuse_and_binding_twice_is_einval() {
    let mut m = model();
    let a = new_fd(&mut m, Op::Socket);
    let b = new_fd(&mut m, Op::Socket);
    ok(
        &mut m,
        Op::Bind {
            fd: a,
            port: Port(0),
        },
    );
    assert_eq!(
        errno(
            &mut m,
            Op::Bind {
                fd: b,
                port: Port(0)
            }
        ),
        EADDRINUSE
    );
    assert_eq!(
        errno(
            &mut m,
            Op::Bind {
                fd: a,
                port: Port(1)
            }
        ),
        EINVAL
    );
    ok(&mut m, Op::Close { fd: a });
    ok(
        &mut m,
        Op::Bind {
            fd: b,
            port: Port(0),
        },
    );
}

#[test]
fn a_listener_holds_backlog_plus_one_connections() {
    let mut m = model();
    let l = new_fd(&mut m, Op::Socket);
    ok(
        &mut m,
        Op::Bind {
            fd: l,
            port: Port(0),
        },
    );
    ok(&mut m, Op::Listen { fd: l, backlog: 0 });
    let c1 = new_fd(&mut m, Op::Socket);
    let c2 = new_fd(&mut m, Op::Socket);
    errno(
        &mut m,
        Op::Connect {
            fd: c1,
            port: Port(0),
        },
    );
    errno(
        &mut m,
        Op::Connect {
            fd: c2,
            port: Port(0),
        },
    );
    ok(&mut m, Op::Settle);
    // Backlog 0 admits one (`sk_acceptq_is_full` is `>`); the other SYN or final ACK was
    // dropped and Linux retries after a second, so it may or may not have arrived yet.
    assert_eq!(new_fd(&mut m, Op::Accept { fd: l }), Fd(6));
    assert!(allows(&m, &Op::Accept { fd: l }, &Outcome::Err(EAGAIN)));
    assert!(allows(&m, &Op::Accept { fd: l }, &Outcome::Fd(Fd(7))));
    observe(&mut m, Op::Accept { fd: l }, Outcome::Err(EAGAIN));
}

#[test]
fn bytes_flow_both_ways_and_reads_return_at_most_what_is_there() {
    let mut m = model();
    let (_, c, s) = connected(&mut m, 0);
    assert_eq!(bytes(&mut m, Op::Write { fd: c, len: 10 }), 10);
    ok(&mut m, Op::Settle);
    assert_eq!(bytes(&mut m, Op::Read { fd: s, len: 4 }), 4);
    assert_eq!(bytes(&mut m, Op::Read { fd: s, len: 100 }), 6);
    assert_eq!(errno(&mut m, Op::Read { fd: s, len: 100 }), EAGAIN);
    assert_eq!(
        bytes(&mut m, Op::Read { fd: s, len: 0 }),
        0,
        "zero-length reads return 0"
    );
    assert_eq!(bytes(&mut m, Op::Write { fd: s, len: 5 }), 5);
    ok(&mut m, Op::Settle);
    assert_eq!(bytes(&mut m, Op::Read { fd: c, len: 5 }), 5);
}

#[test]
fn shutdown_wr_gives_the_peer_eof_and_keeps_the_other_direction() {
    let mut m = model();
    let (_, c, s) = connected(&mut m, 0);
    ok(
        &mut m,
        Op::Shutdown {
            fd: c,
            how: Shut::Wr,
        },
    );
    assert_eq!(errno(&mut m, Op::Write { fd: c, len: 1 }), EPIPE);
    ok(&mut m, Op::Settle);
    let ep = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(ep, s, EPOLLIN | EPOLLOUT | EPOLLRDHUP));
    assert_eq!(
        ready(&m, ep, 4),
        vec![(5, vec![EPOLLIN | EPOLLOUT | EPOLLRDHUP], true)]
    );
    assert_eq!(bytes(&mut m, Op::Read { fd: s, len: 10 }), 0);
    assert_eq!(bytes(&mut m, Op::Write { fd: s, len: 3 }), 3);
    ok(&mut m, Op::Settle);
    assert_eq!(bytes(&mut m, Op::Read { fd: c, len: 10 }), 3);
}

#[test]
fn shutdown_rd_makes_reads_return_zero_once_the_buffer_is_empty() {
    let mut m = model();
    let (_, c, s) = connected(&mut m, 0);
    bytes(&mut m, Op::Write { fd: c, len: 3 });
    ok(&mut m, Op::Settle);
    ok(
        &mut m,
        Op::Shutdown {
            fd: s,
            how: Shut::Rd,
        },
    );
    assert_eq!(
        bytes(&mut m, Op::Read { fd: s, len: 10 }),
        3,
        "buffered data stays"
    );
    assert_eq!(bytes(&mut m, Op::Read { fd: s, len: 10 }), 0);
}

#[test]
fn closing_with_unread_data_resets_the_peer() {
    let mut m = model();
    let (_, c, s) = connected(&mut m, 0);
    bytes(&mut m, Op::Write { fd: c, len: 5 });
    ok(&mut m, Op::Settle);
    ok(&mut m, Op::Close { fd: s });
    ok(&mut m, Op::Settle);
    assert_eq!(errno(&mut m, Op::Read { fd: c, len: 1 }), ECONNRESET);
    assert_eq!(bytes(&mut m, Op::Read { fd: c, len: 1 }), 0, "then EOF");
    assert_eq!(errno(&mut m, Op::Write { fd: c, len: 1 }), EPIPE);
}

#[test]
fn writing_to_a_closed_peer_succeeds_once_then_fails_with_epipe() {
    let mut m = model();
    let (_, c, s) = connected(&mut m, 0);
    ok(&mut m, Op::Close { fd: s });
    ok(&mut m, Op::Settle);
    assert_eq!(bytes(&mut m, Op::Read { fd: c, len: 1 }), 0, "FIN: EOF");
    assert_eq!(
        bytes(&mut m, Op::Write { fd: c, len: 3 }),
        3,
        "CLOSE_WAIT may still send"
    );
    ok(&mut m, Op::Settle);
    // The closed socket answered the data with RST; in CLOSE_WAIT that is EPIPE.
    assert_eq!(errno(&mut m, Op::Write { fd: c, len: 3 }), EPIPE);
    assert_eq!(errno(&mut m, Op::Write { fd: c, len: 3 }), EPIPE);
    assert_eq!(run(&mut m, Op::SoError { fd: c }), Outcome::SoError(0));
}

#[test]
fn a_socket_that_never_connected_answers_enotconn_epipe_and_einval() {
    let mut m = model();
    let a = new_fd(&mut m, Op::Socket);
    assert_eq!(errno(&mut m, Op::Read { fd: a, len: 1 }), ENOTCONN);
    assert_eq!(errno(&mut m, Op::Write { fd: a, len: 1 }), EPIPE);
    assert_eq!(errno(&mut m, Op::Accept { fd: a }), EINVAL);
    assert_eq!(
        errno(
            &mut m,
            Op::Shutdown {
                fd: a,
                how: Shut::Wr
            }
        ),
        ENOTCONN
    );
    let ep = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(ep, a, EPOLLIN | EPOLLOUT));
    // A fresh socket polls EPOLLOUT|EPOLLHUP (tcp_poll: state CLOSE).
    assert_eq!(ready(&m, ep, 4), vec![(3, vec![EPOLLOUT | EPOLLHUP], true)]);
    let (r, _) = pipe(&mut m);
    assert_eq!(errno(&mut m, Op::Accept { fd: r }), ENOTSOCK);
    assert_eq!(
        errno(
            &mut m,
            Op::Bind {
                fd: r,
                port: Port(0)
            }
        ),
        ENOTSOCK
    );
}

#[test]
fn a_listener_rejects_connect_and_io() {
    let mut m = model();
    let l = new_fd(&mut m, Op::Socket);
    ok(&mut m, Op::Listen { fd: l, backlog: 4 });
    assert_eq!(
        errno(
            &mut m,
            Op::Connect {
                fd: l,
                port: Port(0)
            }
        ),
        EISCONN
    );
    assert_eq!(errno(&mut m, Op::Read { fd: l, len: 1 }), ENOTCONN);
    assert_eq!(errno(&mut m, Op::Write { fd: l, len: 1 }), EPIPE);
    ok(&mut m, Op::Listen { fd: l, backlog: 8 });
}

#[test]
fn closing_a_listener_resets_the_connections_it_had_not_accepted() {
    let mut m = model();
    let l = new_fd(&mut m, Op::Socket);
    ok(
        &mut m,
        Op::Bind {
            fd: l,
            port: Port(0),
        },
    );
    ok(&mut m, Op::Listen { fd: l, backlog: 4 });
    let c = new_fd(&mut m, Op::Socket);
    errno(
        &mut m,
        Op::Connect {
            fd: c,
            port: Port(0),
        },
    );
    ok(&mut m, Op::Settle);
    ok(&mut m, Op::Close { fd: l });
    ok(&mut m, Op::Settle);
    assert_eq!(errno(&mut m, Op::Read { fd: c, len: 1 }), ECONNRESET);
}

#[test]
fn time_wait_keeps_the_port_busy_when_the_server_side_closes_first() {
    let mut m = model();
    let (l, c, s) = connected(&mut m, 0);
    ok(&mut m, Op::Close { fd: l });
    ok(&mut m, Op::Close { fd: s });
    ok(&mut m, Op::Settle);
    ok(&mut m, Op::Close { fd: c });
    ok(&mut m, Op::Settle);
    let again = new_fd(&mut m, Op::Socket);
    assert_eq!(
        errno(
            &mut m,
            Op::Bind {
                fd: again,
                port: Port(0)
            }
        ),
        EADDRINUSE
    );
}

#[test]
fn the_port_is_free_again_when_the_client_closes_first() {
    let mut m = model();
    let (l, c, s) = connected(&mut m, 0);
    ok(&mut m, Op::Close { fd: c });
    ok(&mut m, Op::Settle);
    ok(&mut m, Op::Close { fd: s });
    ok(&mut m, Op::Close { fd: l });
    ok(&mut m, Op::Settle);
    let again = new_fd(&mut m, Op::Socket);
    ok(
        &mut m,
        Op::Bind {
            fd: again,
            port: Port(0),
        },
    );
}

#[test]
fn with_so_reuseaddr_only_a_listener_keeps_the_port_busy() {
    let mut m = Model::new(Config {
        reuse_addr: true,
        ..Config::default()
    });
    let (l, c, s) = connected(&mut m, 0);
    ok(&mut m, Op::Close { fd: s });
    ok(&mut m, Op::Settle);
    ok(&mut m, Op::Close { fd: c });
    ok(&mut m, Op::Settle);
    let again = new_fd(&mut m, Op::Socket);
    assert_eq!(
        errno(
            &mut m,
            Op::Bind {
                fd: again,
                port: Port(0)
            }
        ),
        EADDRINUSE
    );
    ok(&mut m, Op::Close { fd: l });
    ok(
        &mut m,
        Op::Bind {
            fd: again,
            port: Port(0),
        },
    );
}

#[test]
fn accept_without_a_free_fd_is_emfile_and_the_connection_stays_queued() {
    let mut m = Model::new(Config {
        fd_limit: 6,
        ..Config::default()
    });
    let l = new_fd(&mut m, Op::Socket);
    ok(
        &mut m,
        Op::Bind {
            fd: l,
            port: Port(0),
        },
    );
    ok(&mut m, Op::Listen { fd: l, backlog: 4 });
    let c = new_fd(&mut m, Op::Socket);
    errno(
        &mut m,
        Op::Connect {
            fd: c,
            port: Port(0),
        },
    );
    let filler = new_fd(
        &mut m,
        Op::EventFd {
            init: 0,
            semaphore: false,
        },
    );
    ok(&mut m, Op::Settle);
    assert_eq!(errno(&mut m, Op::Accept { fd: l }), EMFILE);
    ok(&mut m, Op::Close { fd: filler });
    assert_eq!(new_fd(&mut m, Op::Accept { fd: l }), Fd(5));
}

#[test]
fn a_write_near_the_buffer_bounds_may_take_any_prefix_or_fail_with_eagain() {
    let mut m = Model::new(Config {
        stream_buf_min: 100,
        stream_buf_max: 1000,
        ..Config::default()
    });
    let (_, c, s) = connected(&mut m, 0);
    assert_eq!(bytes(&mut m, Op::Write { fd: c, len: 60 }), 60);
    let write = Op::Write { fd: c, len: 100 };
    let allowed = m.allowed(&write).unwrap();
    assert_eq!(allowed.expects(), &[Expect::Bytes { min: 40, max: 100 }]);
    observe(&mut m, write, Outcome::Bytes(70));
    let write = Op::Write { fd: c, len: 5000 };
    assert!(allows(&m, &write, &Outcome::Err(EAGAIN)));
    assert!(allows(&m, &write, &Outcome::Bytes(1)));
    assert!(
        !allows(&m, &write, &Outcome::Bytes(871)),
        "at most 1000 unacknowledged"
    );
    observe(&mut m, write, Outcome::Bytes(870));
    assert_eq!(errno(&mut m, Op::Write { fd: c, len: 1 }), EAGAIN);
    // The peer reads: once the window update arrives the space is back.
    ok(&mut m, Op::Settle);
    observe(&mut m, Op::Read { fd: s, len: 1000 }, Outcome::Bytes(1000));
    ok(&mut m, Op::Settle);
    assert_eq!(bytes(&mut m, Op::Write { fd: c, len: 100 }), 100);
}

#[test]
fn a_read_may_find_less_than_was_sent_once_more_than_surely_fits_is_pending() {
    // Past the receive window the rest of a large transfer waits in the sender's queue,
    // even after the network has settled.
    let mut m = Model::new(Config {
        stream_buf_min: 100,
        stream_buf_max: 1000,
        ..Config::default()
    });
    let (_, c, s) = connected(&mut m, 0);
    observe(&mut m, Op::Write { fd: c, len: 500 }, Outcome::Bytes(500));
    ok(&mut m, Op::Settle);
    let read = Op::Read { fd: s, len: 800 };
    assert!(allows(&m, &read, &Outcome::Bytes(100)));
    assert!(
        !allows(&m, &read, &Outcome::Bytes(99)),
        "100 bytes are surely there"
    );
    assert!(!allows(&m, &read, &Outcome::Err(EAGAIN)));
    observe(&mut m, read, Outcome::Bytes(450));
    assert_eq!(bytes(&mut m, Op::Read { fd: s, len: 800 }), 50);
}

#[test]
fn exact_buffers_leave_no_freedom_in_write_lengths() {
    let mut m = Model::new(Config::exact_buffers(100));
    let (_, c, _) = connected(&mut m, 0);
    assert_eq!(bytes(&mut m, Op::Write { fd: c, len: 150 }), 100);
    assert_eq!(errno(&mut m, Op::Write { fd: c, len: 1 }), EAGAIN);
}

/// An accepted socket holds the listener's port without `SOCK_BINDPORT_LOCK` (`sk_clone_lock`
/// clears it), so in CLOSE it gives the port back and may `bind` again (Linux 6.18, found by
/// the conformance tests); `shutdown` on it is then `ENOTCONN`.
#[test]
fn an_accepted_socket_in_close_gives_the_port_back_and_may_bind_again() {
    let mut m = model();
    let (l, c, s) = connected(&mut m, 0);
    ok(&mut m, Op::Close { fd: c });
    ok(&mut m, Op::Settle);
    ok(
        &mut m,
        Op::Shutdown {
            fd: s,
            how: Shut::RdWr,
        },
    );
    ok(&mut m, Op::Settle);
    assert_eq!(
        errno(
            &mut m,
            Op::Shutdown {
                fd: s,
                how: Shut::Wr
            }
        ),
        ENOTCONN
    );
    let to_listener = Op::Bind {
        fd: s,
        port: Port(0),
    };
    assert_eq!(errno(&mut m, to_listener), EADDRINUSE, "the listener's");
    ok(&mut m, Op::Close { fd: l });
    ok(
        &mut m,
        Op::Bind {
            fd: s,
            port: Port(0),
        },
    );
}

/// `SO_REUSEADDR` is per socket: a TIME_WAIT entry conflicts unless both the binding socket
/// and the one that left it set it; `SO_LINGER` 0 aborts with RST and leaves none.
#[test]
fn so_reuseaddr_and_so_linger_zero_are_per_socket() {
    let mut m = model();
    let (l, c, s) = connected(&mut m, 0);
    ok(&mut m, Op::Close { fd: l });
    ok(&mut m, Op::Close { fd: s });
    ok(&mut m, Op::Settle);
    ok(&mut m, Op::Close { fd: c });
    ok(&mut m, Op::Settle);
    let reuse = new_fd(&mut m, Op::Socket);
    let on = crate::SockOpt::ReuseAddr(true);
    ok(&mut m, Op::SetSockOpt { fd: reuse, opt: on });
    let bind0 = Op::Bind {
        fd: reuse,
        port: Port(0),
    };
    assert_eq!(
        errno(&mut m, bind0.clone()),
        EADDRINUSE,
        "the entry lacks it"
    );
    // Port 1, with SO_REUSEADDR on the listener (so on its child) and SO_LINGER 0.
    let l1 = new_fd(&mut m, Op::Socket);
    ok(&mut m, Op::SetSockOpt { fd: l1, opt: on });
    ok(
        &mut m,
        Op::Bind {
            fd: l1,
            port: Port(1),
        },
    );
    ok(&mut m, Op::Listen { fd: l1, backlog: 4 });
    let c1 = new_fd(&mut m, Op::Socket);
    assert_eq!(
        errno(
            &mut m,
            Op::Connect {
                fd: c1,
                port: Port(1)
            }
        ),
        EINPROGRESS
    );
    ok(&mut m, Op::Settle);
    let s1 = new_fd(&mut m, Op::Accept { fd: l1 });
    ok(&mut m, Op::Close { fd: s1 });
    ok(&mut m, Op::Settle);
    ok(&mut m, Op::Close { fd: c1 });
    ok(&mut m, Op::Settle);
    ok(&mut m, Op::Close { fd: l1 });
    ok(
        &mut m,
        Op::Bind {
            fd: reuse,
            port: Port(1),
        },
    );
    let plain = new_fd(&mut m, Op::Socket);
    let bind1 = Op::Bind {
        fd: plain,
        port: Port(1),
    };
    assert_eq!(
        errno(&mut m, bind1),
        EADDRINUSE,
        "held by the reusing socket"
    );
    // SO_LINGER 0 on an established socket: RST, the peer reads ECONNRESET.
    let l2 = new_fd(&mut m, Op::Socket);
    ok(
        &mut m,
        Op::Bind {
            fd: l2,
            port: Port(2),
        },
    );
    ok(&mut m, Op::Listen { fd: l2, backlog: 4 });
    let c2 = new_fd(&mut m, Op::Socket);
    assert_eq!(
        errno(
            &mut m,
            Op::Connect {
                fd: c2,
                port: Port(2)
            }
        ),
        EINPROGRESS
    );
    ok(&mut m, Op::Settle);
    let s2 = new_fd(&mut m, Op::Accept { fd: l2 });
    let linger0 = crate::SockOpt::Linger(Some(0));
    ok(
        &mut m,
        Op::SetSockOpt {
            fd: c2,
            opt: linger0,
        },
    );
    ok(&mut m, Op::Close { fd: c2 });
    ok(&mut m, Op::Settle);
    assert_eq!(errno(&mut m, Op::Read { fd: s2, len: 1 }), ECONNRESET);
    let lingering = Op::SetSockOpt {
        fd: s2,
        opt: crate::SockOpt::Linger(Some(5)),
    };
    assert!(
        m.check(&lingering).is_err(),
        "a lingering close would block"
    );
}

/// `shutdown(SHUT_RD)` of a listener is `tcp_disconnect`, which clears `sk_shutdown`: a
/// `SHUT_RD` made before `listen` is forgotten, so `read` is `ENOTCONN`, not EOF (Linux 6.18,
/// found by the conformance tests).
#[test]
fn shutting_a_listener_down_forgets_earlier_shutdowns() {
    let mut m = model();
    let s = new_fd(&mut m, Op::Socket);
    let rd = Op::Shutdown {
        fd: s,
        how: Shut::Rd,
    };
    assert_eq!(errno(&mut m, rd.clone()), ENOTCONN);
    assert_eq!(bytes(&mut m, Op::Read { fd: s, len: 1 }), 0, "RCV_SHUTDOWN");
    ok(&mut m, Op::Listen { fd: s, backlog: 1 });
    ok(&mut m, rd);
    assert_eq!(errno(&mut m, Op::Read { fd: s, len: 1 }), ENOTCONN);
}

/// A listener's children inherit its shutdown bits (`sk_clone_lock` copies `sk_shutdown`):
/// `SHUT_WR` before `listen` makes every child send its FIN at once, so the client reads EOF
/// right after connecting (Linux 6.18, found by the conformance tests).
#[test]
fn children_inherit_the_listeners_shutdown_bits() {
    let mut m = model();
    let l = new_fd(&mut m, Op::Socket);
    ok(
        &mut m,
        Op::Bind {
            fd: l,
            port: Port(0),
        },
    );
    let wr = Op::Shutdown {
        fd: l,
        how: Shut::Wr,
    };
    assert_eq!(errno(&mut m, wr), ENOTCONN);
    ok(&mut m, Op::Listen { fd: l, backlog: 1 });
    let c = new_fd(&mut m, Op::Socket);
    assert_eq!(
        errno(
            &mut m,
            Op::Connect {
                fd: c,
                port: Port(0)
            }
        ),
        EINPROGRESS
    );
    ok(&mut m, Op::Settle);
    assert_eq!(
        bytes(&mut m, Op::Read { fd: c, len: 1 }),
        0,
        "the child's FIN"
    );
    let s = new_fd(&mut m, Op::Accept { fd: l });
    assert_eq!(errno(&mut m, Op::Write { fd: s, len: 1 }), EPIPE);
    assert_eq!(bytes(&mut m, Op::Write { fd: c, len: 1 }), 1);
    ok(&mut m, Op::Settle);
    assert_eq!(bytes(&mut m, Op::Read { fd: s, len: 2 }), 1);
}

/// The `connect` that reports a failure runs `tcp_disconnect`, which ends with
/// `sk_error_report` (key `EPOLLERR`): an edge-triggered entry is reported again, with
/// `EPOLLHUP` only (Linux 6.18, found by the conformance tests).
#[test]
fn reporting_a_failed_connect_wakes_edge_triggered_entries() {
    use crate::event::EPOLLET;
    let mut m = model();
    let c = new_fd(&mut m, Op::Socket);
    let ep = new_fd(&mut m, Op::EpollCreate);
    assert_eq!(
        errno(
            &mut m,
            Op::Connect {
                fd: c,
                port: Port(3)
            }
        ),
        EINPROGRESS
    );
    ok(&mut m, add(ep, c, EPOLLIN | EPOLLET));
    ok(&mut m, Op::Settle);
    wait(&mut m, ep, 2, &[(3, EPOLLIN | EPOLLERR | EPOLLHUP)]);
    wait(&mut m, ep, 2, &[]);
    let again = Op::Connect {
        fd: c,
        port: Port(3),
    };
    assert_eq!(errno(&mut m, again), ECONNREFUSED);
    assert_eq!(ready(&m, ep, 2), vec![(3, vec![EPOLLHUP], true)]);
}

/// `check` asks every consistent state: here one state has the connection established and
/// another has the attempt abandoned by `shutdown` (the SYN had not arrived yet), where a
/// second `connect` is outside the model. Asking only the first state let the model run it
/// and then trip over its own assertion (found by the conformance tests).
#[test]
fn an_op_outside_the_model_in_any_consistent_state_is_outside_it() {
    let mut m = model();
    let l = new_fd(&mut m, Op::Socket);
    ok(
        &mut m,
        Op::Bind {
            fd: l,
            port: Port(0),
        },
    );
    ok(&mut m, Op::Listen { fd: l, backlog: 1 });
    let c = new_fd(&mut m, Op::Socket);
    assert_eq!(
        errno(
            &mut m,
            Op::Connect {
                fd: c,
                port: Port(0)
            }
        ),
        EINPROGRESS
    );
    // Established or not yet: both give 0 here.
    observe(
        &mut m,
        Op::Shutdown {
            fd: c,
            how: Shut::Rd,
        },
        Outcome::Ok,
    );
    assert!(m
        .check(&Op::Connect {
            fd: c,
            port: Port(0)
        })
        .is_err());
}

/// The ACK of a FIN that put the peer in CLOSE_WAIT is delayed on Linux (pingpong mode):
/// the FIN's sender leaves FIN_WAIT1 for FIN_WAIT2 later, with a wakeup, so an edge-triggered
/// entry may be reported once more at any later op, even after `Settle` (measured on Linux
/// 6.18: about 10 ms after `shutdown`; found by the conformance tests).
#[test]
fn the_delayed_ack_of_a_fin_may_wake_its_sender_after_settle() {
    use crate::event::EPOLLET;
    let mut m = model();
    let (_l, c, _s) = connected(&mut m, 0);
    let ep = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(ep, c, EPOLLIN | EPOLLOUT | EPOLLET));
    wait(&mut m, ep, 2, &[(4, EPOLLOUT)]);
    ok(
        &mut m,
        Op::Shutdown {
            fd: c,
            how: Shut::Wr,
        },
    );
    ok(&mut m, Op::Settle);
    wait(&mut m, ep, 2, &[(4, EPOLLOUT)]);
    // The ACK may still come: reported again, or not.
    assert!(allows(
        &m,
        &Op::EpollWait {
            epfd: ep,
            maxevents: 2
        },
        &events(&[])
    ));
    wait(&mut m, ep, 2, &[(4, EPOLLOUT)]);
    wait(&mut m, ep, 2, &[]);
}

/// More than `stream_buf_min` bytes written towards a peer that does not read, then an
/// abort: the part the peer's window held back may never leave (`tcp_write_queue_purge`),
/// and the RST overtakes it and the FIN behind it. Linux 6.18 here: the client read part of
/// the data and then `ECONNRESET`, no EOF (found by the conformance tests).
#[test]
fn an_abort_may_overtake_data_held_back_by_the_window_and_the_fin_behind_it() {
    let mut m = model();
    let (_l, c, s) = connected(&mut m, 0);
    observe(
        &mut m,
        Op::Write {
            fd: s,
            len: 143_140,
        },
        Outcome::Bytes(143_140),
    );
    ok(&mut m, Op::Close { fd: s });
    observe(&mut m, Op::Write { fd: c, len: 1 }, Outcome::Bytes(1));
    ok(&mut m, Op::Settle);
    let read = Op::Read {
        fd: c,
        len: 200_000,
    };
    assert!(
        !allows(&m, &read, &Outcome::Bytes(1000)),
        "64 KiB surely came"
    );
    observe(&mut m, read.clone(), Outcome::Bytes(70_000));
    assert!(
        allows(&m, &read, &Outcome::Bytes(73_140)),
        "all of it, in order"
    );
    observe(&mut m, read.clone(), Outcome::Err(ECONNRESET));
    assert_eq!(bytes(&mut m, read), 0, "no EOF came, but reading is over");
}

/// Nagle: a small write while earlier data may be unacknowledged may wait for the peer's ACK
/// (delayed up to 200 ms), so `Settle` does not force it; any segment from the peer carries
/// the ACK. Linux 6.18: 3 bytes written after 48 KB waited until the server's FIN, then
/// reached a server that had shut reading, which aborted (found by the conformance tests).
/// `TCP_NODELAY` turns it off.
#[test]
fn nagle_may_hold_a_small_write_until_the_peer_sends_something() {
    let mut m = model();
    let (_l, c, s) = connected(&mut m, 0);
    bytes(&mut m, Op::Write { fd: c, len: 48_572 });
    bytes(&mut m, Op::Write { fd: c, len: 3 });
    ok(&mut m, Op::Settle);
    let read = Op::Read { fd: s, len: 60_000 };
    assert!(
        allows(&m, &read, &Outcome::Bytes(48_572)),
        "the 3 bytes may wait"
    );
    assert!(allows(&m, &read, &Outcome::Bytes(48_575)));
    observe(&mut m, read, Outcome::Bytes(48_572));
    // The read sends a window update, which is an ACK: the 3 bytes go.
    ok(&mut m, Op::Settle);
    assert_eq!(bytes(&mut m, Op::Read { fd: s, len: 10 }), 3);
    let nodelay = crate::SockOpt::NoDelay(true);
    ok(
        &mut m,
        Op::SetSockOpt {
            fd: c,
            opt: nodelay,
        },
    );
    bytes(&mut m, Op::Write { fd: c, len: 5 });
    bytes(&mut m, Op::Write { fd: c, len: 5 });
    ok(&mut m, Op::Settle);
    assert_eq!(bytes(&mut m, Op::Read { fd: s, len: 100 }), 10, "no Nagle");
}
