//! `SendQueue`: a connection's pending outgoing messages, flushed with `writev`.
//!
//! Cap'n Proto's bug was a queue kept as a chain of promises, each owning the next: dropping
//! the head dropped the chain recursively, one stack frame per message, until the stack
//! overflowed. Here the queue is a `VecDeque` of owned buffers, so dropping it (on disconnect)
//! is a loop over a contiguous array whatever its length: stack depth is constant.

use crate::net::TcpStream;
use crate::sys::{Sys, SysResult};
use std::collections::VecDeque;
use std::io::IoSlice;

/// Most buffers handed to one `writev` (well under Linux's `UIO_MAXIOV` of 1024).
pub const WRITEV_MAX: usize = 64;

/// Pending outgoing messages of one connection.
#[derive(Default)]
pub struct SendQueue {
    messages: VecDeque<Vec<u8>>,
    /// Bytes of the front message already written.
    head_written: usize,
    bytes: usize,
}

impl SendQueue {
    pub fn new() -> Self {
        SendQueue::default()
    }

    pub fn push(&mut self, message: Vec<u8>) {
        self.bytes += message.len();
        self.messages.push_back(message);
    }

    /// Messages not yet fully written.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Bytes not yet written.
    pub fn bytes(&self) -> usize {
        self.bytes - self.head_written
    }

    /// Drops every pending message (iteratively); returns how many there were.
    pub fn clear(&mut self) -> usize {
        let n = self.messages.len();
        self.messages.clear();
        self.head_written = 0;
        self.bytes = 0;
        n
    }

    /// Writes until the queue is empty.
    pub async fn flush<S: Sys>(&mut self, stream: &TcpStream<S>) -> SysResult<()> {
        while !self.is_empty() {
            let written = {
                let mut slices: [IoSlice<'_>; WRITEV_MAX] = [IoSlice::new(&[]); WRITEV_MAX];
                let mut count = 0;
                for (i, message) in self.messages.iter().take(WRITEV_MAX).enumerate() {
                    let start = if i == 0 { self.head_written } else { 0 };
                    slices[i] = IoSlice::new(&message[start..]);
                    count += 1;
                }
                stream.writev(&slices[..count]).await?
            };
            self.consume(written);
        }
        Ok(())
    }

    fn consume(&mut self, mut written: usize) {
        assert!(
            written <= self.bytes(),
            "writev reported {written} bytes of {} queued",
            self.bytes()
        );
        while written > 0 {
            let front_left = self
                .messages
                .front()
                .expect("bytes queued without messages")
                .len()
                - self.head_written;
            if written < front_left {
                self.head_written += written;
                return;
            }
            written -= front_left;
            let done = self.messages.pop_front().expect("checked above");
            self.bytes -= done.len();
            self.head_written = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consume_splits_across_message_boundaries() {
        let mut q = SendQueue::new();
        q.push(vec![1; 10]);
        q.push(vec![2; 5]);
        q.consume(12);
        assert_eq!((q.len(), q.bytes()), (1, 3));
        q.consume(3);
        assert!(q.is_empty());
        assert_eq!(q.bytes(), 0);
    }

    #[test]
    fn clear_drops_every_message_and_says_how_many() {
        let mut q = SendQueue::new();
        for m in [vec![1; 10], vec![2; 5], vec![3; 7]] {
            q.push(m);
        }
        q.consume(4);
        assert_eq!(
            q.clear(),
            3,
            "a partly written head is still a pending message"
        );
        assert!(q.is_empty());
        assert_eq!(q.bytes(), 0);
        assert_eq!(q.clear(), 0, "an empty queue had messages to clear");
    }

    #[test]
    fn dropping_a_million_messages_uses_constant_stack() {
        // A 64 KiB stack overflows after a few thousand frames of a recursive drop; the queue
        // of a million messages must drop within it.
        let t = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(|| {
                let mut q = SendQueue::new();
                for i in 0..1_000_000u32 {
                    q.push(i.to_le_bytes().to_vec());
                }
                assert_eq!(q.len(), 1_000_000);
                drop(q);
            })
            .expect("spawn");
        t.join()
            .expect("dropping the queue overflowed a 64 KiB stack");
    }
}
