//! Unix-domain sockets: one answer per op (no network), the send buffer's bound on a stream,
//! names that outlive their sockets (paths) or not (abstract names), peer close.

use super::*;
use crate::errno::*;
use crate::event::{EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP};
use crate::UnixName::{Abstract, Path};

fn pair(m: &mut Model, dgram: bool) -> (Fd, Fd) {
    match run(m, Op::SocketPair { dgram }) {
        Outcome::Pair(a, b) => (a, b),
        other => panic!("socketpair gave {other:?}"),
    }
}

fn recv(fd: Fd, len: usize, peek: bool) -> Op {
    Op::UnixRecvFrom {
        fd,
        len,
        peek,
        trunc: false,
        dontwait: false,
    }
}

#[test]
fn a_stream_write_stops_at_the_send_buffer_and_reading_frees_it() {
    // 212,992 bytes of sndbuf; 36,544-byte skbs charged 33,024 + 4,096 = 37,120 each: the
    // sixth skb is still allocated (5 * 37,120 < 212,992), the seventh is not.
    let mut m = model();
    let (a, b) = pair(&mut m, false);
    assert_eq!(
        bytes(
            &mut m,
            Op::Write {
                fd: a,
                len: 300_000
            }
        ),
        6 * 36_544
    );
    assert_eq!(errno(&mut m, Op::Write { fd: a, len: 1 }), EAGAIN);
    assert_eq!(bytes(&mut m, Op::Read { fd: b, len: 36_544 }), 36_544);
    assert_eq!(bytes(&mut m, Op::Write { fd: a, len: 10 }), 10);
}

#[test]
fn a_path_stays_bound_after_close_until_unlink_and_an_abstract_name_goes() {
    let mut m = model();
    for (name, after_close) in [(Path(0), ECONNREFUSED), (Abstract(0), ECONNREFUSED)] {
        let l = new_fd(&mut m, Op::UnixSocket { dgram: false });
        ok(&mut m, Op::UnixBind { fd: l, name });
        ok(&mut m, Op::Close { fd: l });
        let c = new_fd(&mut m, Op::UnixSocket { dgram: false });
        let refused = errno(&mut m, Op::UnixConnect { fd: c, name });
        assert_eq!(refused, after_close, "{name:?}");
        let rebind = run(&mut m, Op::UnixBind { fd: c, name });
        match name {
            Path(_) => assert_eq!(rebind, Outcome::Err(EADDRINUSE)),
            _ => assert_eq!(rebind, Outcome::Ok),
        }
        ok(&mut m, Op::Close { fd: c });
    }
    ok(&mut m, Op::Unlink { name: Path(0) });
    let c = new_fd(&mut m, Op::UnixSocket { dgram: false });
    assert_eq!(
        errno(
            &mut m,
            Op::UnixConnect {
                fd: c,
                name: Path(0)
            }
        ),
        ENOENT
    );
}

#[test]
fn a_closed_stream_peer_reads_eof_after_the_data_then_refuses_writes() {
    let mut m = model();
    let (a, b) = pair(&mut m, false);
    let ep = new_fd(&mut m, Op::EpollCreate);
    let events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
    let add = Op::EpollCtl {
        epfd: ep,
        op: Ctl::Add,
        fd: b,
        events,
        data: 7,
    };
    ok(&mut m, add);
    assert_eq!(bytes(&mut m, Op::Write { fd: a, len: 5 }), 5);
    ok(&mut m, Op::Close { fd: a });
    // The close shut both directions of `b`: HUP, RDHUP and IN beside the data, OUT still.
    let all = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP;
    let wait = Op::EpollWait {
        epfd: ep,
        maxevents: 4,
    };
    let ready = Outcome::Events(vec![Event::new(7, all)]);
    m.observe(&wait, &ready).unwrap_or_else(|e| panic!("{e}"));
    let peeked = run(&mut m, recv(b, 100, true));
    assert_eq!(
        peeked,
        Outcome::Received {
            len: 5,
            from: crate::UnixName::Unnamed
        }
    );
    assert_eq!(bytes(&mut m, Op::Read { fd: b, len: 100 }), 5);
    assert_eq!(bytes(&mut m, Op::Read { fd: b, len: 100 }), 0);
    assert_eq!(errno(&mut m, Op::Write { fd: b, len: 1 }), EPIPE);
}

#[test]
fn a_datagram_receiver_takes_eleven_from_an_unconnected_sender_then_refuses() {
    let mut m = model();
    let r = new_fd(&mut m, Op::UnixSocket { dgram: true });
    ok(
        &mut m,
        Op::UnixBind {
            fd: r,
            name: Abstract(1),
        },
    );
    let s = new_fd(&mut m, Op::UnixSocket { dgram: true });
    let send = Op::UnixSendTo {
        fd: s,
        len: 3,
        to: Some(Abstract(1)),
        dontwait: true,
    };
    for _ in 0..11 {
        assert_eq!(bytes(&mut m, send.clone()), 3);
    }
    assert_eq!(errno(&mut m, send.clone()), EAGAIN);
    let got = run(&mut m, recv(r, 1, false));
    assert_eq!(
        got,
        Outcome::Received {
            len: 1,
            from: crate::UnixName::Unnamed
        }
    );
    assert_eq!(bytes(&mut m, send), 3);
}
