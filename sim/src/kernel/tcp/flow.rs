//! One direction of a connection: the bytes in transit and the segments that carry them.
//!
//! The bytes live in one ring (`VecDeque<u8>`) per direction, split in two: the front
//! `delivered` bytes are in the receiver's queue (what `read` returns); the rest are in the
//! sender's buffer, still on their way, each run of them described by a data segment. A write
//! appends to the ring and pushes one small segment descriptor, so sending allocates nothing
//! once the ring has grown to its working size.
//!
//! Invariants (checked after every change): the data segments' lengths sum to the undelivered
//! bytes; segment times never decrease front to back (per-flow FIFO: `push` clamps a new
//! segment's time to the last one's).

use crate::kernel::io::Src;
use std::collections::VecDeque;

/// What a segment is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum SegKind {
    Syn,
    SynAck,
    Ack,
    Data,
    Fin,
    Rst,
}

/// One segment in transit: arrives at `at`; `len` payload bytes for data, else 0.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Seg {
    pub(crate) at: u64,
    pub(crate) len: usize,
    pub(crate) kind: SegKind,
}

/// One direction of a connection.
pub(crate) struct Flow {
    bytes: VecDeque<u8>,
    delivered: usize,
    segs: VecDeque<Seg>,
    /// Arrival time of the last segment pushed: the FIFO floor for the next.
    tail_at: u64,
    /// Time of this flow's one pending delivery event, if any.
    pub(crate) scheduled: Option<u64>,
    /// The front data segment waits for room in the receiver's queue.
    pub(crate) blocked: bool,
    /// The front segment waits for a partition to heal.
    pub(crate) held: bool,
}

impl Flow {
    pub(crate) fn new() -> Flow {
        Flow {
            bytes: VecDeque::new(),
            delivered: 0,
            segs: VecDeque::new(),
            tail_at: 0,
            scheduled: None,
            blocked: false,
            held: false,
        }
    }

    /// Bytes in the receiver's queue.
    #[inline]
    pub(crate) fn readable(&self) -> usize {
        self.delivered
    }

    /// Bytes still in the sender's buffer.
    #[inline]
    pub(crate) fn unsent(&self) -> usize {
        self.bytes.len() - self.delivered
    }

    pub(crate) fn front(&self) -> Option<Seg> {
        self.segs.front().copied()
    }

    pub(crate) fn back(&self) -> Option<Seg> {
        self.segs.back().copied()
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.segs.len()
    }

    /// Queues a segment arriving at `at`, or with the previous segment if that is later.
    /// `data` is the write and how many of its leading bytes this segment carries. Returns the
    /// arrival time.
    pub(crate) fn push(
        &mut self,
        at: u64,
        kind: SegKind,
        data: Option<(&Src<'_, '_>, usize)>,
    ) -> u64 {
        let at = at.max(self.tail_at);
        self.tail_at = at;
        let len = match data {
            Some((src, n)) => {
                src.copy_to(0, n, &mut self.bytes);
                n
            }
            None => 0,
        };
        assert_eq!(
            kind == SegKind::Data,
            len > 0,
            "a {kind:?} segment with {len} payload bytes"
        );
        match self.segs.back_mut() {
            Some(last) if kind == SegKind::Data && last.kind == SegKind::Data && last.at == at => {
                last.len += len;
            }
            _ => self.segs.push_back(Seg { at, len, kind }),
        }
        self.check();
        at
    }

    /// Moves up to `room` bytes of the front data segment into the receiver's queue.
    pub(crate) fn deliver_data(&mut self, room: usize) -> usize {
        let front = self
            .segs
            .front_mut()
            .expect("delivering from an empty flow");
        assert_eq!(
            front.kind,
            SegKind::Data,
            "delivering data from a control segment"
        );
        let n = front.len.min(room);
        front.len -= n;
        if front.len == 0 {
            self.segs.pop_front();
        }
        self.delivered += n;
        self.check();
        n
    }

    /// Removes the front control segment.
    pub(crate) fn pop_control(&mut self) -> Seg {
        let seg = self.segs.pop_front().expect("popping an empty flow");
        assert_ne!(seg.kind, SegKind::Data, "popping a data segment as control");
        seg
    }

    /// Copies up to `buf.len()` received bytes, leaving them queued (`MSG_PEEK`).
    pub(crate) fn peek(&self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.delivered);
        let (a, b) = self.bytes.as_slices();
        let from_a = n.min(a.len());
        buf[..from_a].copy_from_slice(&a[..from_a]);
        buf[from_a..n].copy_from_slice(&b[..n - from_a]);
        n
    }

    /// Copies up to `buf.len()` received bytes out of the receiver's queue.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> usize {
        let n = self.peek(buf);
        self.bytes.drain(..n);
        self.delivered -= n;
        self.check();
        n
    }

    /// Whether the last segment is an RST due by `t` (an RST does not wait for window room).
    pub(crate) fn rst_due(&self, t: u64) -> bool {
        self.segs
            .back()
            .is_some_and(|s| s.kind == SegKind::Rst && s.at <= t)
    }

    /// Drops everything still in transit (`tcp_write_queue_purge`, or data for a receiver
    /// that is gone); an RST at the back survives when `keep_rst`.
    pub(crate) fn discard_in_flight(&mut self, keep_rst: bool) {
        let rst = self
            .segs
            .back()
            .copied()
            .filter(|s| keep_rst && s.kind == SegKind::Rst);
        self.bytes.truncate(self.delivered);
        self.segs.clear();
        self.segs.extend(rst);
        self.blocked = false;
        if self.segs.is_empty() {
            self.scheduled = None; // its pending event, if any, is now dead
        }
        self.check();
    }

    fn check(&self) {
        debug_assert_eq!(
            self.segs
                .iter()
                .filter(|s| s.kind == SegKind::Data)
                .map(|s| s.len)
                .sum::<usize>(),
            self.unsent(),
            "flow: data segments disagree with the undelivered bytes"
        );
        debug_assert!(
            self.segs
                .iter()
                .zip(self.segs.iter().skip(1))
                .all(|(a, b)| a.at <= b.at),
            "flow: a segment overtakes an earlier one (FIFO broken)"
        );
    }
}
