//! `Skb`: one queued unit of a Unix socket's receive queue (a datagram, or a piece of a
//! stream write), and `truesize`, what it charges its sender's send buffer.

use super::socket::UnixKey;
use simkern_poller::sys::UnixAddr;

/// The most bytes one stream skb carries: `SKB_MAX_HEAD(0)` (3,776 on x86_64) plus
/// `UNIX_SKB_FRAGS_SZ` (32 KiB), as `unix_stream_sendmsg` caps it.
pub const STREAM_SKB_MAX: usize = 3_776 + 32 * 1024;
/// `net.unix.max_dgram_qlen`: a receiver is full with more than this many datagrams queued.
pub const MAX_DGRAM_QLEN: usize = 10;

/// `SKB_MAX_HEAD(0)`: the linear head that fits one page with `skb_shared_info`.
const SKB_MAX_HEAD: usize = 3_776;
/// `SKB_MAX_ALLOC` (`SKB_MAX_ORDER(0, 2)`): the head a datagram skb keeps before paging.
const SKB_MAX_ALLOC: usize = 16_384 - 320;
const PAGE: usize = 4_096;
/// `MAX_SKB_FRAGS` (`CONFIG_MAX_SKB_FRAGS`, 17 by default).
const MAX_SKB_FRAGS: usize = 17;

/// `skb->truesize` of an skb of `len` bytes, `stream` or datagram: the 256-byte `sk_buff`,
/// the head (its bytes plus the 320-byte `skb_shared_info`, from a power-of-two kmalloc of at
/// least 512), and the paged part. Fitted to Linux 6.18 on x86_64 (see `unix`).
pub fn truesize(len: usize, stream: bool) -> usize {
    let paged = if stream {
        let over = len.saturating_sub(SKB_MAX_HEAD);
        if over == 0 {
            0
        } else {
            len.min(over.div_ceil(PAGE) * PAGE)
        }
    } else if len > SKB_MAX_ALLOC {
        // `unix_dgram_sendmsg` pages at most `MAX_SKB_FRAGS` pages; the rest stays in the
        // head, a page-order allocation then (found by the conformance suite: a 134,891-byte
        // datagram charges 200,960 bytes on 6.18, not 139,520).
        (len - SKB_MAX_ALLOC)
            .min(MAX_SKB_FRAGS * PAGE)
            .div_ceil(PAGE)
            * PAGE
    } else {
        0
    };
    let head = len.saturating_sub(paged);
    256 + (head + 320).next_power_of_two().max(512) + paged
}

/// One queued skb.
#[derive(Debug)]
pub(crate) struct Skb {
    pub(crate) data: Vec<u8>,
    /// Bytes of a stream skb already read.
    pub(crate) read: usize,
    /// The sending socket, whose `wmem` holds `charge` until the skb is freed.
    pub(crate) sender: UnixKey,
    /// The sender's name when it sent (what `recvfrom` reports).
    pub(crate) from: UnixAddr,
    pub(crate) charge: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truesize_matches_the_measured_linux_charges() {
        assert_eq!(truesize(1, true), 768);
        assert_eq!(truesize(1000, true), 2304);
        assert_eq!(truesize(4096, true), 4864);
        assert_eq!(truesize(STREAM_SKB_MAX, true), 37_120);
        assert_eq!(truesize(3, false), 768);
        assert_eq!(truesize(134_891, false), 256 + 131_072 + 17 * 4096);
    }
}
