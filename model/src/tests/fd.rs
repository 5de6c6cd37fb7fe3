//! The fd table and open file descriptions.

use super::*;
use crate::errno::{EBADF, EMFILE};

#[test]
fn fds_are_allocated_lowest_free_and_reused_after_close() {
    let mut m = model();
    let a = new_fd(&mut m, Op::Socket);
    let b = new_fd(&mut m, Op::EpollCreate);
    let c = new_fd(
        &mut m,
        Op::EventFd {
            init: 0,
            semaphore: false,
        },
    );
    assert_eq!(
        (a, b, c),
        (Fd(3), Fd(4), Fd(5)),
        "fds 0-2 belong to the harness"
    );
    ok(&mut m, Op::Close { fd: b });
    assert_eq!(
        new_fd(&mut m, Op::Socket),
        Fd(4),
        "the lowest free number comes back first"
    );
    assert_eq!(m.open_fds(), vec![Fd(3), Fd(4), Fd(5)]);
}

#[test]
fn closing_an_fd_that_is_not_open_is_ebadf() {
    let mut m = model();
    assert_eq!(errno(&mut m, Op::Close { fd: Fd(3) }), EBADF);
    assert_eq!(errno(&mut m, Op::Close { fd: Fd(-1) }), EBADF);
    let fd = new_fd(&mut m, Op::Socket);
    ok(&mut m, Op::Close { fd });
    assert_eq!(errno(&mut m, Op::Close { fd }), EBADF, "a double close");
    assert_eq!(errno(&mut m, Op::Dup { fd }), EBADF);
}

#[test]
fn dup_shares_the_open_file_so_the_file_outlives_either_fd() {
    let mut m = model();
    let (r, w) = pipe(&mut m);
    let w2 = new_fd(&mut m, Op::Dup { fd: w });
    ok(&mut m, Op::Close { fd: w });
    // The write end is still open through the dup: an empty read is EAGAIN, not EOF.
    assert_eq!(
        errno(&mut m, Op::Read { fd: r, len: 1 }),
        crate::errno::EAGAIN
    );
    assert_eq!(bytes(&mut m, Op::Write { fd: w2, len: 3 }), 3);
    ok(&mut m, Op::Close { fd: w2 });
    assert_eq!(bytes(&mut m, Op::Read { fd: r, len: 10 }), 3);
    assert_eq!(
        bytes(&mut m, Op::Read { fd: r, len: 10 }),
        0,
        "EOF once the last writer closed"
    );
}

#[test]
fn every_fd_creating_call_fails_with_emfile_at_the_fd_limit() {
    let mut m = Model::new(Config {
        fd_limit: 5,
        ..Config::default()
    });
    let a = new_fd(&mut m, Op::Socket);
    assert_eq!(
        errno(&mut m, Op::Pipe),
        EMFILE,
        "pipe2 needs two fds and takes neither"
    );
    assert_eq!(new_fd(&mut m, Op::EpollCreate), Fd(4));
    assert_eq!(errno(&mut m, Op::Socket), EMFILE);
    assert_eq!(errno(&mut m, Op::EpollCreate), EMFILE);
    assert_eq!(
        errno(
            &mut m,
            Op::EventFd {
                init: 0,
                semaphore: false
            }
        ),
        EMFILE
    );
    assert_eq!(errno(&mut m, Op::Dup { fd: a }), EMFILE);
    ok(&mut m, Op::Close { fd: a });
    assert_eq!(new_fd(&mut m, Op::Dup { fd: Fd(4) }), Fd(3));
}

#[test]
fn ops_on_the_harness_fds_are_outside_the_model() {
    let m = model();
    let err = m.check(&Op::Close { fd: Fd(1) }).unwrap_err();
    assert!(
        matches!(err, crate::Disagreement::Unsupported { .. }),
        "{err}"
    );
    assert!(m.check(&Op::Close { fd: Fd(3) }).is_ok());
}
