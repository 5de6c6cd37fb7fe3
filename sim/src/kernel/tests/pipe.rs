//! Pipes: capacity, PIPE_BUF atomicity, EPIPE/EPOLLERR, EOF/EPOLLHUP, wakeups.

use super::*;
use crate::kernel::{PIPE_BUF, PIPE_CAPACITY};
use simkern_poller::sys::epoll::{EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT};
use std::io::IoSlice;

#[test]
fn a_pipe_holds_65536_bytes_then_refuses_with_eagain() {
    let mut k = kernel();
    let ch = &mut zero();
    let (r, w) = k.pipe2().unwrap();
    let big = vec![7u8; PIPE_CAPACITY + 100];
    assert_eq!(
        k.write(w, &big, 0, ch),
        Ok(PIPE_CAPACITY),
        "large writes may be partial"
    );
    assert_eq!(k.poll(w), Ok(0), "full: not writable");
    assert_eq!(k.write(w, b"x", 0, ch), Err(Errno::EAGAIN));
    let mut buf = vec![0u8; PIPE_CAPACITY + 10];
    assert_eq!(
        rd(&mut k, r, &mut buf),
        Ok(PIPE_CAPACITY),
        "a read takes all that is queued"
    );
    assert_eq!(rd(&mut k, r, &mut buf), Err(Errno::EAGAIN));
}

#[test]
fn writes_up_to_pipe_buf_are_atomic_and_larger_ones_may_be_partial() {
    let mut k = kernel();
    let ch = &mut zero();
    let (r, w) = k.pipe2().unwrap();
    // 15 full pages and one page holding 100 bytes: one page buffer is in use by those.
    k.write(w, &vec![1u8; 15 * 4096], 0, ch).unwrap();
    k.write(w, &[2u8; 100], 0, ch).unwrap();
    assert_eq!(k.poll(w), Ok(0), "16 page buffers in use");
    // 4000 bytes do not fit in the last page's 3996 free bytes and no page is free: an
    // atomic write is all or nothing, so EAGAIN.
    assert_eq!(k.write(w, &[3u8; 4000], 0, ch), Err(Errno::EAGAIN));
    // 3996 bytes fit in the last page exactly.
    assert_eq!(k.write(w, &[3u8; 3996], 0, ch), Ok(3996));
    let mut page = vec![0u8; 4096];
    assert_eq!(rd(&mut k, r, &mut page), Ok(4096));
    assert_eq!(k.poll(w), Ok(EPOLLOUT), "a page buffer freed");
    // More than PIPE_BUF with one free page: partial.
    assert_eq!(k.write(w, &vec![4u8; PIPE_BUF + 10], 0, ch), Ok(4096));
    let mut all = vec![0u8; PIPE_CAPACITY];
    let n = rd(&mut k, r, &mut all).unwrap();
    assert_eq!(n, 15 * 4096 + 100 + 3996);
    assert_eq!(all[14 * 4096 - 1], 1);
    assert_eq!(all[14 * 4096], 2);
    assert_eq!(all[14 * 4096 + 100], 3, "the merged bytes follow in order");
    assert_eq!(all[15 * 4096], 4);
}

#[test]
fn writing_after_the_read_end_closed_is_epipe_and_epollerr() {
    let mut k = kernel();
    let ch = &mut zero();
    let (r, w) = k.pipe2().unwrap();
    assert_eq!(k.write(w, b"", 0, ch), Ok(0));
    k.close(r, 0, ch).unwrap();
    assert_eq!(k.poll(w), Ok(EPOLLOUT | EPOLLERR));
    assert_eq!(k.write(w, b"x", 0, ch), Err(Errno::EPIPE));
    assert_eq!(
        k.write(w, b"", 0, ch),
        Ok(0),
        "a null write succeeds before any check"
    );
    let mut buf = [0u8; 1];
    assert_eq!(
        rd(&mut k, w, &mut buf),
        Err(Errno::EBADF),
        "write end is not readable"
    );
}

#[test]
fn after_the_write_end_closes_the_reader_drains_then_reads_zero_with_epollhup() {
    let mut k = kernel();
    let ch = &mut zero();
    let (r, w) = k.pipe2().unwrap();
    k.write(w, b"tail", 0, ch).unwrap();
    k.close(w, 0, ch).unwrap();
    assert_eq!(k.poll(r), Ok(EPOLLIN | EPOLLHUP));
    let mut buf = [0u8; 16];
    assert_eq!(rd(&mut k, r, &mut buf), Ok(4));
    assert_eq!(&buf[..4], b"tail");
    assert_eq!(rd(&mut k, r, &mut buf), Ok(0));
    assert_eq!(k.poll(r), Ok(EPOLLHUP));
    assert_eq!(
        k.write(r, b"x", 0, ch),
        Err(Errno::EBADF),
        "read end is not writable"
    );
}

#[test]
fn every_pipe_write_is_a_new_edge_for_the_reader() {
    let mut k = kernel();
    let ch = &mut zero();
    let ep = k.epoll_create().unwrap();
    let (r, w) = k.pipe2().unwrap();
    watch(&mut k, ep, r, EPOLLIN | EPOLLET);
    watch(&mut k, ep, w, EPOLLOUT | EPOLLET);
    assert_eq!(harvest(&mut k, ep, ch), vec![(w, EPOLLOUT, w.0 as u64)]);
    k.write(w, b"a", 0, ch).unwrap();
    assert_eq!(harvest(&mut k, ep, ch), vec![(r, EPOLLIN, r.0 as u64)]);
    k.write(w, b"b", 0, ch).unwrap(); // not empty before: still an edge (since 5.14)
    assert_eq!(harvest(&mut k, ep, ch), vec![(r, EPOLLIN, r.0 as u64)]);
    // Fill it: the writer gets an EPOLLOUT edge only from a read of a full pipe.
    k.write(w, &vec![0u8; PIPE_CAPACITY], 0, ch).unwrap();
    harvest(&mut k, ep, ch);
    let mut buf = [0u8; 4096];
    rd(&mut k, r, &mut buf).unwrap();
    assert_eq!(harvest(&mut k, ep, ch), vec![(w, EPOLLOUT, w.0 as u64)]);
    rd(&mut k, r, &mut buf).unwrap();
    assert!(
        harvest(&mut k, ep, ch).is_empty(),
        "not full before that read: no edge"
    );
}

#[test]
fn a_pipe_writev_is_one_write() {
    let mut k = kernel();
    let ch = &mut zero();
    let (r, w) = k.pipe2().unwrap();
    let parts = [IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cde")];
    assert_eq!(k.writev(w, &parts, usize::MAX, 0, ch), Ok(5));
    let mut buf = [0u8; 8];
    assert_eq!(rd(&mut k, r, &mut buf), Ok(5));
    assert_eq!(&buf[..5], b"abcde");
}
