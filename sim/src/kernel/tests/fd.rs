//! The fd table and open file descriptions.

use super::*;

#[test]
fn closed_fd_numbers_are_reused_lowest_first() {
    let mut k = kernel();
    let ch = &mut zero();
    let a = k.eventfd(0, false).unwrap();
    let b = k.eventfd(0, false).unwrap();
    let c = k.eventfd(0, false).unwrap();
    assert_eq!((a, b, c), (Fd(0), Fd(1), Fd(2)));
    k.close(c, 0, ch).unwrap();
    k.close(a, 0, ch).unwrap();
    assert_eq!(
        k.socket(Domain::Inet, SockType::Stream),
        Ok(Fd(0)),
        "lowest free first"
    );
    assert_eq!(k.pipe2(), Ok((Fd(2), Fd(3))));
    assert_eq!(k.open_fds(), vec![Fd(0), Fd(1), Fd(2), Fd(3)]);
}

#[test]
fn unknown_fds_are_ebadf_and_double_close_is_ebadf() {
    let mut k = kernel();
    let ch = &mut zero();
    let mut buf = [0u8; 8];
    assert_eq!(rd(&mut k, Fd(7), &mut buf), Err(Errno::EBADF));
    assert_eq!(rd(&mut k, Fd(-1), &mut buf), Err(Errno::EBADF));
    assert_eq!(k.write(Fd(3), b"x", 0, ch), Err(Errno::EBADF));
    let e = k.eventfd(0, false).unwrap();
    k.close(e, 0, ch).unwrap();
    assert_eq!(k.close(e, 0, ch), Err(Errno::EBADF));
    assert_eq!(k.dup(e), Err(Errno::EBADF));
}

#[test]
fn emfile_at_rlimit_nofile_and_nothing_is_created() {
    let mut k = kernel_with(|c| c.rlimit_nofile = 3);
    let ch = &mut zero();
    let a = k.eventfd(0, false).unwrap();
    let _ = k.pipe2().unwrap();
    assert_eq!(k.socket(Domain::Inet, SockType::Stream), Err(Errno::EMFILE));
    assert_eq!(k.dup(a), Err(Errno::EMFILE));
    assert_eq!(k.epoll_create(), Err(Errno::EMFILE));
    k.close(a, 0, ch).unwrap();
    assert_eq!(k.pipe2(), Err(Errno::EMFILE), "pipe2 needs two free fds");
    assert_eq!(k.open_fds(), vec![Fd(1), Fd(2)]);
    assert_eq!(k.eventfd(0, false), Ok(Fd(0)));
}

#[test]
fn dup_shares_one_file_until_the_last_close() {
    let mut k = kernel();
    let ch = &mut zero();
    let e = k.eventfd(0, false).unwrap();
    let d = k.dup(e).unwrap();
    k.write(e, &5u64.to_ne_bytes(), 0, ch).unwrap();
    k.close(e, 0, ch).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(
        rd(&mut k, d, &mut buf),
        Ok(8),
        "the dup still names the file"
    );
    assert_eq!(u64::from_ne_bytes(buf), 5);
}

#[test]
fn closing_a_pipes_write_end_through_one_of_two_fds_keeps_it_open() {
    let mut k = kernel();
    let ch = &mut zero();
    let (r, w) = k.pipe2().unwrap();
    let w2 = k.dup(w).unwrap();
    k.close(w, 0, ch).unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(
        rd(&mut k, r, &mut buf),
        Err(Errno::EAGAIN),
        "a writer is still open"
    );
    k.close(w2, 0, ch).unwrap();
    assert_eq!(
        rd(&mut k, r, &mut buf),
        Ok(0),
        "last writer gone: end of file"
    );
}
