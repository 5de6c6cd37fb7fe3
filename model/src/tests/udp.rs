//! UDP: datagrams arrive whole or not yet, FIFO per destination; the ICMP answer to a
//! connected sender; readiness; the errnos of each call.

use super::*;
use crate::errno::*;
use crate::event::{EPOLLERR, EPOLLIN, EPOLLOUT};
use crate::SockOptGet;

fn bound(m: &mut Model, port: u16) -> Fd {
    let u = new_fd(m, Op::UdpSocket);
    ok(
        m,
        Op::Bind {
            fd: u,
            port: Port(port),
        },
    );
    u
}

fn send(m: &mut Model, fd: Fd, len: usize, to: Option<u16>) -> usize {
    bytes(
        m,
        Op::SendTo {
            fd,
            len,
            to: to.map(Port),
        },
    )
}

fn recv(fd: Fd, len: usize) -> Op {
    Op::RecvFrom {
        fd,
        len,
        peek: false,
        trunc: false,
    }
}

#[test]
fn before_settle_a_datagram_may_not_have_arrived_and_after_it_has_whole() {
    let mut m = model();
    let r = bound(&mut m, 0);
    let s = bound(&mut m, 1);
    assert_eq!(send(&mut m, s, 10, Some(0)), 10);
    let got = Outcome::Datagram {
        len: 4,
        from: Some(Port(1)),
    };
    assert!(allows(&m, &recv(r, 4), &Outcome::Err(EAGAIN)));
    assert!(allows(&m, &recv(r, 4), &got));
    ok(&mut m, Op::Settle);
    assert_eq!(
        run(&mut m, recv(r, 4)),
        got,
        "truncated, the rest discarded"
    );
    assert_eq!(run(&mut m, recv(r, 4)), Outcome::Err(EAGAIN));
}

#[test]
fn datagrams_to_one_destination_stay_in_order_but_not_across_destinations() {
    let mut m = model();
    let a = bound(&mut m, 0);
    let b = bound(&mut m, 1);
    let s = new_fd(&mut m, Op::UdpSocket);
    send(&mut m, s, 1, Some(0));
    send(&mut m, s, 2, Some(0));
    send(&mut m, s, 3, Some(1));
    let from = None; // an ephemeral sender
    assert!(
        !allows(&m, &recv(a, 8), &Outcome::Datagram { len: 2, from }),
        "the second datagram never overtakes the first"
    );
    observe(&mut m, recv(b, 8), Outcome::Datagram { len: 3, from });
    assert!(
        allows(&m, &recv(a, 8), &Outcome::Err(EAGAIN)),
        "later, to b, came first"
    );
}

#[test]
fn a_connected_socket_hears_econnrefused_from_a_port_nobody_holds() {
    let mut m = model();
    let c = new_fd(&mut m, Op::UdpSocket);
    ok(
        &mut m,
        Op::Connect {
            fd: c,
            port: Port(3),
        },
    );
    let ep = new_fd(&mut m, Op::EpollCreate);
    let add = Op::EpollCtl {
        epfd: ep,
        op: Ctl::Add,
        fd: c,
        events: EPOLLIN,
        data: 7,
    };
    ok(&mut m, add);
    assert_eq!(send(&mut m, c, 1, None), 1);
    ok(&mut m, Op::Settle);
    let wait = Op::EpollWait {
        epfd: ep,
        maxevents: 4,
    };
    let err = Outcome::Events(vec![Event::new(7, EPOLLERR)]);
    assert!(allows(&m, &wait, &err), "EPOLLERR wakes an EPOLLIN entry");
    assert!(!allows(&m, &wait, &Outcome::Events(vec![])));
    observe(&mut m, wait, err);
    assert_eq!(
        errno(
            &mut m,
            Op::SendTo {
                fd: c,
                len: 1,
                to: None
            }
        ),
        ECONNREFUSED
    );
    assert_eq!(send(&mut m, c, 1, None), 1, "reported once");
    // An unconnected sender hears nothing.
    let u = new_fd(&mut m, Op::UdpSocket);
    send(&mut m, u, 1, Some(3));
    ok(&mut m, Op::Settle);
    assert_eq!(run(&mut m, Op::SoError { fd: u }), Outcome::SoError(0));
    let error = Op::GetSockOpt {
        fd: c,
        opt: SockOptGet::Error,
    };
    assert_eq!(run(&mut m, error.clone()), Outcome::Int(ECONNREFUSED));
    assert_eq!(
        run(&mut m, error),
        Outcome::Int(0),
        "taken by the first read"
    );
}

#[test]
fn a_connected_socket_takes_only_its_peers_datagrams() {
    let mut m = model();
    let c = bound(&mut m, 0);
    ok(
        &mut m,
        Op::Connect {
            fd: c,
            port: Port(1),
        },
    );
    let peer = bound(&mut m, 1);
    let other = bound(&mut m, 2);
    send(&mut m, other, 5, Some(0));
    send(&mut m, peer, 6, Some(0));
    ok(&mut m, Op::Settle);
    let from_peer = Outcome::Datagram {
        len: 6,
        from: Some(Port(1)),
    };
    assert_eq!(run(&mut m, recv(c, 8)), from_peer);
    assert_eq!(run(&mut m, recv(c, 8)), Outcome::Err(EAGAIN));
    assert_eq!(
        run(&mut m, Op::SoError { fd: other }),
        Outcome::SoError(0),
        "the refused sender was not connected"
    );
}

#[test]
fn udp_calls_answer_with_linuxs_errnos_and_readiness() {
    let mut m = model();
    let u = new_fd(&mut m, Op::UdpSocket);
    assert_eq!(
        errno(
            &mut m,
            Op::SendTo {
                fd: u,
                len: 1,
                to: None
            }
        ),
        EDESTADDRREQ
    );
    assert_eq!(errno(&mut m, Op::Listen { fd: u, backlog: 1 }), EOPNOTSUPP);
    assert_eq!(errno(&mut m, Op::Accept { fd: u }), EOPNOTSUPP);
    let nodelay = Op::SetSockOpt {
        fd: u,
        opt: crate::SockOpt::NoDelay(true),
    };
    assert_eq!(errno(&mut m, nodelay), ENOPROTOOPT);
    assert_eq!(
        errno(
            &mut m,
            Op::Bind {
                fd: u,
                port: Port(0)
            }
        ),
        EINVAL,
        "autobound"
    );
    let t = bound(&mut m, 0);
    let dup = new_fd(&mut m, Op::UdpSocket);
    assert_eq!(
        errno(
            &mut m,
            Op::Bind {
                fd: dup,
                port: Port(0)
            }
        ),
        EADDRINUSE
    );
    let tcp = new_fd(&mut m, Op::Socket);
    ok(
        &mut m,
        Op::Bind {
            fd: tcp,
            port: Port(0),
        },
    );
    let ty = |fd| Op::GetSockOpt {
        fd,
        opt: SockOptGet::Type,
    };
    assert_eq!(run(&mut m, ty(t)), Outcome::Int(2));
    assert_eq!(run(&mut m, ty(tcp)), Outcome::Int(1));
    let rcvbuf = Op::GetSockOpt {
        fd: t,
        opt: SockOptGet::RcvBuf,
    };
    assert_eq!(run(&mut m, rcvbuf), Outcome::Int(212_992));
    let nodelay = |fd| Op::GetSockOpt {
        fd,
        opt: SockOptGet::NoDelay,
    };
    assert_eq!(
        run(&mut m, nodelay(tcp)),
        Outcome::Int(0),
        "Nagle by default"
    );
    let set = crate::SockOpt::NoDelay(true);
    ok(&mut m, Op::SetSockOpt { fd: tcp, opt: set });
    assert_eq!(run(&mut m, nodelay(tcp)), Outcome::Int(1), "as set");
    assert_eq!(errno(&mut m, nodelay(t)), EOPNOTSUPP, "not a UDP option");
    assert_eq!(
        errno(
            &mut m,
            Op::Shutdown {
                fd: t,
                how: crate::Shut::Wr
            }
        ),
        ENOTCONN
    );
    assert_eq!(
        errno(
            &mut m,
            Op::SendTo {
                fd: t,
                len: 1,
                to: Some(Port(0))
            }
        ),
        EPIPE
    );
    assert_eq!(bytes(&mut m, Op::Read { fd: t, len: 0 }), 0);
    let ep = new_fd(&mut m, Op::EpollCreate);
    let add = Op::EpollCtl {
        epfd: ep,
        op: Ctl::Add,
        fd: dup,
        events: EPOLLIN | EPOLLOUT,
        data: 1,
    };
    ok(&mut m, add);
    let wait = Op::EpollWait {
        epfd: ep,
        maxevents: 4,
    };
    let out = Outcome::Events(vec![Event::new(1, EPOLLOUT)]);
    assert!(allows(&m, &wait, &out), "a UDP socket is always writable");
    observe(&mut m, wait, out);
}

#[test]
fn truesize_matches_the_drops_measured_on_linux_6_18() {
    // rmem_default / truesize datagrams fit: 256 of up to 192 bytes, 92 of 1,000, 25 of 4,000.
    for (len, fit) in [(1, 256), (192, 256), (200, 166), (1000, 92), (4000, 25)] {
        assert_eq!(
            212_992 / crate::udp_truesize(len),
            fit,
            "{len}-byte datagrams"
        );
    }
}
