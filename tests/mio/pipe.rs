//! `unix::pipe` and `SourceFd` through `simkern::mio`.

use crate::support::{both_kernels, wait_for, would_block};
use simkern::mio::unix::{pipe, SourceFd};
use simkern::mio::{Events, Interest, Poll, Token};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;

both_kernels!(
    a_dropped_sender_reads_as_closed_after_the_data,
    sender_dropped
);
both_kernels!(a_raw_fd_registers_through_source_fd, source_fd);

fn sender_dropped() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let (mut tx, mut rx) = pipe::new().unwrap();
    poll.registry()
        .register(&mut rx, Token(1), Interest::READABLE)
        .unwrap();
    let mut buf = [0u8; 8];
    assert!(would_block(&rx.read(&mut buf)), "an empty pipe would block");
    tx.write_all(b"bye").unwrap();
    drop(tx);
    wait_for(&mut poll, &mut events, Token(1), |e| e.is_read_closed());
    assert_eq!(rx.read(&mut buf).unwrap(), 3);
    assert_eq!(rx.read(&mut buf).unwrap(), 0, "end of file once drained");
}

fn source_fd() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let (mut tx, rx) = pipe::new().unwrap();
    let fd = rx.as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&fd), Token(3), Interest::READABLE)
        .unwrap();
    tx.write_all(b"!").unwrap();
    wait_for(&mut poll, &mut events, Token(3), |e| e.is_readable());
    poll.registry().deregister(&mut SourceFd(&fd)).unwrap();
}
