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

    /// More messages than one `writev` takes and more bytes than a socket buffer holds, to a
    /// real peer reading on its own thread: every byte arrives, in order, and the queue ends
    /// empty. 12 MB is more than loopback's buffers take at once (`tcp_wmem`'s and `tcp_rmem`'s
    /// maxima are 4 and 6 MB by default), so some `writev` stops inside a message and the next
    /// one starts where it stopped.
    #[test]
    fn flush_writes_every_message_in_order_and_empties_the_queue() {
        use crate::sys::linux::LinuxSys;
        use crate::Runtime;
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("local_addr");
        let messages: Vec<Vec<u8>> = (0..3 * WRITEV_MAX)
            .map(|i| vec![i as u8; 64_000 + i])
            .collect();
        let expected = messages.concat();
        let reader = std::thread::Builder::new()
            .spawn(move || {
                let (mut peer, _) = listener.accept().expect("accept");
                let mut got = Vec::new();
                peer.read_to_end(&mut got).expect("read");
                got
            })
            .expect("spawn the reader");
        let rt = Runtime::new(LinuxSys).expect("a loop");
        let h = rt.handle().clone();
        let left = rt
            .block_on(async move {
                let stream = TcpStream::connect(&h, addr).await.expect("connect");
                let mut q = SendQueue::new();
                for m in messages {
                    q.push(m);
                }
                q.flush(&stream).await.expect("flush");
                (q.len(), q.bytes())
            })
            .expect("the loop ran");
        assert_eq!(left, (0, 0), "messages left after flush");
        let got = reader.join().expect("the reader");
        assert!(
            got == expected,
            "{} bytes arrived of {}",
            got.len(),
            expected.len()
        );
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
