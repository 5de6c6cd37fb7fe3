//! UDP datagram sockets over the simulated loopback network.
//!
//! Model: a socket (`Socket`) has a local address, an optional default peer (`connect`), a
//! receive queue of whole datagrams bounded by `Config::udp_rcvbuf`, and a pending error. A
//! sent datagram (`Flight`) is on the wire for a drawn latency, then arrives at whichever
//! socket the destination names at that moment (`delivery`), or, finding none, turns into
//! an ICMP port-unreachable that travels back the same way.
//!
//! Linux behaviour kept (udp(7), `net/ipv4/udp.c`, `net/ipv4/datagram.c`, `net/core/datagram.c`;
//! measured on 6.18 with the same calls where the source leaves doubt):
//! - datagram boundaries: one `sendto` is one datagram; a `recvfrom` takes one whole
//!   datagram, copying what fits and discarding the rest (`MSG_TRUNC` returns the datagram's
//!   real length); `MSG_PEEK` leaves it queued. A datagram of 0 bytes is a datagram.
//!   `read` with a 0-byte buffer returns 0 without looking (`sock_read_iter`), `recvfrom`
//!   with one takes a datagram.
//! - receive queue: each datagram is charged `truesize(len)` bytes (`socket::truesize`, an
//!   approximation of the skb's `truesize`, fitted to 6.18's measured drops: 832 bytes for a
//!   datagram up to 192 bytes, then the next power of two of `len + 384`, plus 256). A
//!   datagram is queued if the queue is empty or its charge still fits `udp_rcvbuf`
//!   (`__udp_enqueue_schedule_skb`), and dropped silently otherwise: the sender's `sendto`
//!   already succeeded.
//! - an empty queue is `EAGAIN`, also after `SHUT_RD` (UDP has no end of stream); a pending
//!   error is returned first, once, by the next `recvfrom` or `sendto` (`sock_error` in
//!   `__skb_recv_udp` and `sock_alloc_send_pskb`), or taken by `SO_ERROR`.
//! - poll (`udp_poll` → `datagram_poll`): `EPOLLIN` while a datagram is queued or after
//!   `SHUT_RD` (with `EPOLLRDHUP`), `EPOLLHUP` after both shutdowns, `EPOLLERR` with a pending
//!   error, and `EPOLLOUT` always: loopback orphans the skb at once, so the send buffer never
//!   fills. Wakeups: `EPOLLIN` per queued datagram, `EPOLLERR` per error, `EPOLLOUT` on the
//!   sender per send (the orphaned skb's `sock_def_write_space`), 0 on `shutdown`.
//! - `bind`: 0.0.0.0 or 127.0.0.0/8; two UDP sockets conflict on a port when their addresses
//!   overlap unless both set `SO_REUSEADDR` (`udp_lib_lport_inuse`); UDP and TCP ports are
//!   separate namespaces. Port 0, and the autobind of a first `sendto`/`connect` on an
//!   unbound socket, picks an ephemeral port as TCP does (Linux randomises; a counter is as
//!   good here). A `send` without a destination on an unconnected socket autobinds, then fails
//!   `EDESTADDRREQ` (`inet_send_prepare` runs first).
//! - `connect` sets the default peer (any port, 0 included) and, on a socket bound to
//!   0.0.0.0, the source address 127.0.0.1; it may be called again. A connected socket
//!   receives only from its peer. `sendto` with an address on a connected socket sends there.
//! - delivery picks the socket as `__udp4_lib_lookup` does: a socket bound to the exact
//!   destination address before one bound to 0.0.0.0; among those, a connected socket whose
//!   peer is the sender scores above an unconnected one; ties go to the socket bound last.
//! - no socket for the destination: an ICMP port-unreachable goes back; it gives the sender
//!   `ECONNREFUSED` (`EPOLLERR`) only if the sender is then connected (`__udp4_lib_err`:
//!   without `IP_RECVERR`, only connected sockets hear of it), and only to the socket a
//!   datagram from the unreachable address would reach.
//! - `SHUT_WR` makes `sendto` `EPIPE`; `shutdown` of an unconnected socket sets the bits and
//!   returns `ENOTCONN` (`inet_shutdown`). `listen`/`accept4` are `EOPNOTSUPP`.
//! - a payload over 65,507 bytes (65,535 less the IP and UDP headers) is `EMSGSIZE`.
//!
//! Freedoms taken (drawn from `Choices`): each datagram's latency (`Choice::Latency`, the same
//! draw TCP segments take), never letting a datagram overtake an earlier one from the same
//! socket to the same address (Linux keeps them in order on loopback); datagrams from
//! different senders, or to different addresses, reorder freely.
//!
//! Not modelled: IPv6, multicast and broadcast, `SO_REUSEPORT`, `IP_RECVERR` and the error
//! queue, ICMP rate limiting (each unreachable datagram gets its answer), `MSG_OOB`,
//! `MSG_CONFIRM`, `SO_SNDBUF`/`SO_RCVBUF` set by `setsockopt` (`getsockopt` reports the
//! defaults), corking (`MSG_MORE`, `UDP_CORK`), checksums, GRO/GSO, and
//! `connect(AF_UNSPEC)` (the `Sys` trait cannot say it). A partition drops datagrams (UDP has
//! no retransmission to hold them for).

mod calls;
mod delivery;
mod net;
mod socket;

pub(crate) use net::{FlightKey, Net};
pub use socket::{truesize, UDP_MAX_PAYLOAD};
pub(crate) use socket::{Socket, UdpKey};
