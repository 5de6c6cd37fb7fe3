//! TCP stream sockets over a simulated loopback network.
//!
//! Model: a connection (`Conn`) joins two endpoints (`Socket`s) and carries two one-way
//! flows (`Flow`), each a FIFO of segments — handshake (`SYN`, `SYN-ACK`, `ACK`), data,
//! `FIN`, `RST` — that arrive after a latency drawn per segment. Arrivals are network events
//! applied by `Kernel::advance` in `(time, seq)` order; nothing moves otherwise.
//!
//! Linux behaviour kept (tcp(7), connect(2), accept(2), `net/ipv4/tcp*.c`):
//! - nonblocking `connect` returns `EINPROGRESS`; the SYN reaches the listener after a latency.
//!   No listener: the RST comes back and `SO_ERROR` is `ECONNREFUSED` (poll:
//!   `EPOLLIN|OUT|RDHUP|HUP|ERR`). Accept queue full (more than `backlog` pending, so
//!   `backlog + 1` fit, as `sk_acceptq_is_full`): the SYN is dropped and retransmitted after
//!   1, 2, 4, ... × `syn_rto_initial_ns`; after `syn_retries` retransmissions `ETIMEDOUT`.
//!   A destination outside 127.0.0.0/8 is a black hole (no answer, so `ETIMEDOUT`); 0.0.0.0
//!   means 127.0.0.1 as on Linux. A second `connect` while in progress is `EALREADY`; the first
//!   after an asynchronous success returns 0 and later ones `EISCONN`; the first after an
//!   asynchronous failure returns the error (or `ECONNABORTED` if `SO_ERROR` took it) and makes
//!   the socket reusable (`__inet_stream_connect`).
//! - buffers: a write accepts at most `sndbuf` minus the bytes not yet delivered (`EAGAIN` when
//!   none fit); delivery into the peer stops while `rcvbuf` bytes wait unread there, and
//!   resumes when a read makes room. `EPOLLOUT` is polled while free space is at least half
//!   the queued bytes (`sk_stream_is_writeable`); freed space wakes a writer with `EPOLLOUT`
//!   only after it saw the buffer full (`SOCK_NOSPACE`). Each arriving data segment wakes the
//!   reader with `EPOLLIN`. A read returns `min(len, available)` — never fewer. A read that
//!   makes room for waiting data sends a window update; the data resumes a latency later.
//! - `close`/`shutdown(SHUT_WR)` send FIN after the data; the peer reads the data, then 0, and
//!   polls `EPOLLIN|EPOLLRDHUP`. `close` with unread received data, or with `SO_LINGER` on and 0,
//!   sends RST instead; so does a closed socket that still receives data. An RST makes the
//!   peer's pending error `ECONNRESET` (`EPIPE` if it had already received FIN), returned once
//!   by the next read/write or `SO_ERROR`; then reads return 0 and writes `EPIPE`; data received
//!   before the RST stays readable first. Writes after one's own `SHUT_WR` are `EPIPE`; reads
//!   on an unconnected socket `ENOTCONN`, writes `EPIPE`. `recvfrom` reads the same way, with
//!   `MSG_PEEK` (copy, leave queued, no window update) and `MSG_TRUNC` (take, do not copy);
//!   unlike `read`, a 0-byte `recvfrom` goes through the checks (0 with data, else the error).
//! - closing a listener resets every connection still in its accept queue.
//! - entering CLOSE (refused, reset, timed out, a failed connect's disconnect, a listener shut
//!   down with `SHUT_RD`) gives back a port the kernel chose — `connect`'s and `listen`'s
//!   autobind, or `bind` to port 0 (`tcp_set_state` → `inet_put_port` without
//!   `SOCK_BINDPORT_LOCK`) — so the socket can `bind` again; `getsockname` still shows the
//!   old address (Linux keeps `inet_sport`). A port `bind` named stays with the socket.
//!
//! Freedoms taken (each drawn from `Choices`): the latency of every segment (`Choice::Latency`,
//! uniform in `[latency_ns_min, latency_ns_max]`, never letting a segment overtake an earlier
//! one of the same flow; different connections reorder freely), and how much of a write that
//! does not fit whole is accepted (`Choice::WriteLen`, between half the free space and all of
//! it; Linux fills the buffer, but any short write is legal).
//!
//! Departures, chosen for simplicity and documented where they live: the accept-queue slot is
//! reserved when the SYN arrives, so a SYN finding handshakes already filling the backlog is
//! dropped (as Linux does with `tcp_syncookies` = 0; by default it answers with a cookie and
//! checks the queue again at the final ACK, which it may drop, leaving a client that believes
//! it is connected); an RST is queued behind data already sent (but overtakes data stuck
//! behind a full receive window), so an aborted socket's in-flight data still arrives ahead of
//! its RST; a reader that shut reading still sends window updates (Linux may not, so data
//! held back may never come); SYN retransmission backs off exponentially from the first
//! timeout (recent kernels can make the first few linear: `tcp_syn_linear_timeouts`).
//!
//! - once both FINs are in, both ends are CLOSE: the one that sent its FIN first leaves a
//!   TIME_WAIT entry on its address for 60 s (`TCP_TIMEWAIT_LEN`), which only keeps `bind`
//!   off it (unless both it and the binder set `SO_REUSEADDR`); the other leaves LAST_ACK
//!   when its FIN arrives (its ACK is implied), with a state-change wakeup. A socket whose
//!   FIN was still on its way (behind data the window holds back, or crossing the peer's) when
//!   the peer's came is CLOSING until its own arrives, then TIME_WAIT.
//!
//! Not modelled: IPv6 (`socket(Inet6)` is `EAFNOSUPPORT`), TIME_WAIT as a socket (no ACK is
//! re-sent, no late segment is answered from it: only its bind-table entry is kept),
//! `SO_REUSEPORT`, privileged ports, urgent data, Nagle and
//! delayed ACKs (`TCP_NODELAY` is accepted and stored), congestion control, data
//! retransmission and its timeout (`tcp_retries2`), keepalive, the FIN_WAIT2 timeout (an
//! orphan whose peer never closes lives on), `SO_LINGER` with a non-zero timeout (treated as
//! a normal close; it never blocks), `SO_SNDBUF`/`SO_RCVBUF`, skb overhead and autotuning
//! (buffers count payload bytes), syncookies, simultaneous open.

mod arrival;
mod calls;
mod fault;
mod flow;
mod net;
mod queue;
mod socket;
mod stream;

pub use fault::Partition;
pub(crate) use flow::{Flow, SegKind};
pub(crate) use net::{ephemeral_port, latency, Event, Net};
pub(crate) use socket::{Owner, Socket, SocketKey, State};

use std::net::SocketAddrV4;

slotmap::new_key_type! {
    /// A connection between two endpoints.
    pub(crate) struct ConnKey;
}

/// Which end of a connection: the one that called `connect`, or the one `accept4` returns.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Side {
    Client,
    Server,
}

impl Side {
    pub(crate) fn idx(self) -> usize {
        self as usize
    }

    pub(crate) fn peer(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}

/// A connection: two endpoints and the two flows between them.
pub(crate) struct Conn {
    /// The endpoint sockets, while they exist (indexed by `Side::idx`).
    pub(crate) ends: [Option<SocketKey>; 2],
    /// The endpoints' addresses: the client's local address and the address it dialed.
    pub(crate) addrs: [SocketAddrV4; 2],
    /// `flows[side.idx()]` carries what `side` sends.
    pub(crate) flows: [Flow; 2],
    /// A SYN got an answer (SYN-ACK or RST): later SYNs are retransmissions to ignore.
    pub(crate) syn_answered: bool,
}

impl Conn {
    pub(crate) fn new(client: SocketAddrV4, server: SocketAddrV4) -> Conn {
        Conn {
            ends: [None, None],
            addrs: [client, server],
            flows: [Flow::new(), Flow::new()],
            syn_answered: false,
        }
    }
}
