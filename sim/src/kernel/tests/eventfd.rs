//! eventfd: counter semantics, limits, semaphore mode, readiness.

use super::*;
use crate::kernel::EVENTFD_MAX;
use simkern_poller::sys::epoll::{EPOLLIN, EPOLLOUT};
use std::io::IoSlice;

#[test]
fn eventfd_reads_return_and_reset_the_counter() {
    let mut k = kernel();
    let ch = &mut zero();
    let e = k.eventfd(2, false).unwrap();
    assert_eq!(k.poll(e), Ok(EPOLLIN | EPOLLOUT));
    k.write(e, &3u64.to_ne_bytes(), 0, ch).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(rd(&mut k, e, &mut buf), Ok(8));
    assert_eq!(u64::from_ne_bytes(buf[..8].try_into().unwrap()), 5);
    assert_eq!(rd(&mut k, e, &mut buf), Err(Errno::EAGAIN), "counter 0");
    assert_eq!(k.poll(e), Ok(EPOLLOUT));
}

#[test]
fn eventfd_semaphore_reads_one_at_a_time() {
    let mut k = kernel();
    let e = k.eventfd(2, true).unwrap();
    let mut buf = [0u8; 8];
    for _ in 0..2 {
        assert_eq!(rd(&mut k, e, &mut buf), Ok(8));
        assert_eq!(u64::from_ne_bytes(buf), 1);
    }
    assert_eq!(rd(&mut k, e, &mut buf), Err(Errno::EAGAIN));
}

#[test]
fn eventfd_rejects_short_buffers_and_the_max_value_and_overflow() {
    let mut k = kernel();
    let ch = &mut zero();
    let e = k.eventfd(0, false).unwrap();
    let mut short = [0u8; 7];
    assert_eq!(rd(&mut k, e, &mut short), Err(Errno::EINVAL));
    assert_eq!(
        k.write(e, &[1, 0, 0, 0, 0, 0, 0], 0, ch),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        k.write(e, &u64::MAX.to_ne_bytes(), 0, ch),
        Err(Errno::EINVAL)
    );
    assert_eq!(k.write(e, &EVENTFD_MAX.to_ne_bytes(), 0, ch), Ok(8));
    assert_eq!(k.poll(e), Ok(EPOLLIN), "at the maximum: not writable");
    assert_eq!(k.write(e, &1u64.to_ne_bytes(), 0, ch), Err(Errno::EAGAIN));
    assert_eq!(
        k.write(e, &0u64.to_ne_bytes(), 0, ch),
        Ok(8),
        "adding 0 always fits"
    );
    // A writev gathers its 8 bytes across slices.
    let mut buf = [0u8; 8];
    rd(&mut k, e, &mut buf).unwrap();
    let bytes = 9u64.to_ne_bytes();
    let parts = [IoSlice::new(&bytes[..3]), IoSlice::new(&bytes[3..])];
    assert_eq!(k.writev(e, &parts, usize::MAX, 0, ch), Ok(8));
    rd(&mut k, e, &mut buf).unwrap();
    assert_eq!(u64::from_ne_bytes(buf), 9);
}
