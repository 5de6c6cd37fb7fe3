//! Pipes through the model: capacity, atomicity, EOF, EPIPE, readiness.

use super::*;
use crate::errno::{EAGAIN, EBADF, EINVAL, EPIPE};
use crate::event::{EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT};

#[test]
fn a_pipe_holds_65536_bytes_in_sixteen_pages() {
    let mut m = model();
    let (r, w) = pipe(&mut m);
    assert_eq!(bytes(&mut m, Op::Write { fd: w, len: 65536 }), 65536);
    assert_eq!(errno(&mut m, Op::Write { fd: w, len: 1 }), EAGAIN);
    assert_eq!(
        bytes(
            &mut m,
            Op::Read {
                fd: r,
                len: 100_000
            }
        ),
        65536
    );
    assert_eq!(errno(&mut m, Op::Read { fd: r, len: 1 }), EAGAIN);
}

#[test]
fn small_writes_are_atomic_and_large_writes_take_the_pages_that_fit() {
    let mut m = model();
    let (r, w) = pipe(&mut m);
    for _ in 0..16 {
        assert_eq!(
            bytes(&mut m, Op::Write { fd: w, len: 4000 }),
            4000,
            "a page each"
        );
    }
    // 64000 bytes: 1536 bytes are free, but no page takes 200 bytes whole.
    assert_eq!(errno(&mut m, Op::Write { fd: w, len: 200 }), EAGAIN);
    assert_eq!(
        bytes(&mut m, Op::Write { fd: w, len: 96 }),
        96,
        "fills the last page"
    );
    assert_eq!(
        errno(&mut m, Op::Write { fd: w, len: 5000 }),
        EAGAIN,
        "no free page"
    );
    assert_eq!(bytes(&mut m, Op::Read { fd: r, len: 4000 }), 4000);
    assert_eq!(
        bytes(&mut m, Op::Write { fd: w, len: 5000 }),
        4096,
        "a short write"
    );
    assert_eq!(
        bytes(
            &mut m,
            Op::Read {
                fd: r,
                len: 100_000
            }
        ),
        64192
    );
}

#[test]
fn reading_after_the_write_end_closed_drains_then_returns_zero() {
    let mut m = model();
    let (r, w) = pipe(&mut m);
    assert_eq!(bytes(&mut m, Op::Write { fd: w, len: 5 }), 5);
    ok(&mut m, Op::Close { fd: w });
    assert_eq!(bytes(&mut m, Op::Read { fd: r, len: 3 }), 3);
    assert_eq!(bytes(&mut m, Op::Read { fd: r, len: 3 }), 2);
    assert_eq!(bytes(&mut m, Op::Read { fd: r, len: 3 }), 0);
}

#[test]
fn writing_after_the_read_end_closed_is_epipe() {
    let mut m = model();
    let (r, w) = pipe(&mut m);
    ok(&mut m, Op::Close { fd: r });
    assert_eq!(errno(&mut m, Op::Write { fd: w, len: 1 }), EPIPE);
    assert_eq!(
        bytes(&mut m, Op::Write { fd: w, len: 0 }),
        0,
        "null writes succeed first"
    );
}

#[test]
fn each_end_is_open_for_one_direction_only() {
    let mut m = model();
    let (r, w) = pipe(&mut m);
    assert_eq!(errno(&mut m, Op::Write { fd: r, len: 1 }), EBADF);
    assert_eq!(errno(&mut m, Op::Read { fd: w, len: 1 }), EBADF);
    let ep = new_fd(&mut m, Op::EpollCreate);
    assert_eq!(
        errno(&mut m, Op::Read { fd: ep, len: 1 }),
        EINVAL,
        "epoll has no read"
    );
}

#[test]
fn pipe_readiness_shows_data_space_hangup_and_error() {
    let mut m = model();
    let (r, w) = pipe(&mut m);
    let ep = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(ep, r, EPOLLIN));
    ok(&mut m, add(ep, w, EPOLLOUT));
    assert_eq!(ready(&m, ep, 8), vec![(4, vec![EPOLLOUT], true)]);
    bytes(&mut m, Op::Write { fd: w, len: 1 });
    assert_eq!(ready(&m, ep, 8).len(), 2);
    ok(&mut m, Op::Close { fd: w });
    // EPOLLHUP is reported although not asked for; the entry for the closed fd is gone.
    assert_eq!(ready(&m, ep, 8), vec![(3, vec![EPOLLIN | EPOLLHUP], true)]);
    let (r2, w2) = pipe(&mut m);
    ok(&mut m, add(ep, w2, EPOLLOUT));
    ok(&mut m, Op::Close { fd: r2 });
    let list = ready(&m, ep, 8);
    assert!(list.contains(&(
        u64::try_from(w2.0).unwrap(),
        vec![EPOLLOUT | EPOLLERR],
        true
    )));
}
