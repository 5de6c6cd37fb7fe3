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
    let mut long = [0u8; 16];
    long[0] = 1;
    assert_eq!(
        k.write(e, &long, 0, ch),
        Err(Errno::EINVAL),
        "Linux 6.6: exactly 8 bytes"
    );
}

/// eventfd has no `write_iter`: `vfs_writev` writes it slice by slice, each slice a `write`
/// that must be exactly 8 bytes (measured on Linux 6.18: [3, 5] and [0, 8] are EINVAL,
/// [8, 8] adds twice and returns 16, [8, 4] adds once and returns 8, nothing at all is 0).
#[test]
fn eventfd_writev_writes_slice_by_slice_and_never_gathers_the_counter() {
    let mut k = kernel();
    let ch = &mut zero();
    let e = k.eventfd(0, false).unwrap();
    let nine = 9u64.to_ne_bytes();
    let mut v = |k: &mut Kernel, parts: &[&[u8]]| {
        let slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
        k.writev(e, &slices, usize::MAX, 0, ch)
    };
    assert_eq!(v(&mut k, &[&nine[..3], &nine[3..]]), Err(Errno::EINVAL));
    assert_eq!(v(&mut k, &[&[], &nine]), Err(Errno::EINVAL));
    assert_eq!(v(&mut k, &[&[], &[]]), Ok(0), "0 bytes in all: 0");
    assert_eq!(v(&mut k, &[&nine, &nine]), Ok(16));
    assert_eq!(v(&mut k, &[&nine, &nine[..4]]), Ok(8));
    let mut buf = [0u8; 8];
    rd(&mut k, e, &mut buf).unwrap();
    assert_eq!(u64::from_ne_bytes(buf), 27, "three slices of 9 were added");
    assert_eq!(
        k.write(e, &[], 0, ch),
        Err(Errno::EINVAL),
        "a write of 0 is EINVAL"
    );
}

/// `linux::EVENTFD_LONG_WRITE`: since 6.6 a write of more than 8 bytes is `EINVAL`; before, the
/// first 8 bytes are the value and the answer is 8, and `writev` stops at that short slice.
#[test]
fn a_long_eventfd_write_follows_the_target_kernel() {
    use simkern_model::linux::{Behaviours, Version};
    let mut long = [0u8; 16];
    long[..8].copy_from_slice(&2u64.to_ne_bytes());
    for (version, strict) in [("6.6", true), ("6.5.13", false)] {
        let mut k = kernel_with(|c| c.linux = Behaviours::of(version.parse::<Version>().unwrap()));
        let ch = &mut zero();
        let e = k.eventfd(0, false).unwrap();
        let mut buf = [0u8; 8];
        if strict {
            assert_eq!(k.write(e, &long, 0, ch), Err(Errno::EINVAL), "on {version}");
            assert_eq!(rd(&mut k, e, &mut buf), Err(Errno::EAGAIN), "nothing added");
        } else {
            assert_eq!(k.write(e, &long, 0, ch), Ok(8), "on {version}");
            let slices = [IoSlice::new(&long), IoSlice::new(&long[..8])];
            assert_eq!(
                k.writev(e, &slices, usize::MAX, 0, ch),
                Ok(8),
                "stops at the short slice"
            );
            assert_eq!(rd(&mut k, e, &mut buf), Ok(8));
            assert_eq!(
                u64::from_ne_bytes(buf),
                4,
                "two writes of the first 8 bytes"
            );
        }
    }
}
