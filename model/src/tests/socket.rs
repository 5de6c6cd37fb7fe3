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
