//! `simkern::mio` on both kernels: each behaviour is one test body, run once on real epoll
//! (called directly, outside any simulation) and over many seeds on the simulated kernel (the
//! same function, under `simkern::check`). The behaviours are the ones mio's own tests check
//! (TCP, the waker, registration, events), written here against mio's documentation.
//!
//! - `tcp`: echo round trips, a refused connect, shutdown, `take_error`, local and peer addresses,
//!   `TCP_NODELAY` and `IP_TTL`.
//! - `registration`: edge-triggered delivery, `reregister`, `deregister`, `maxevents`, `EEXIST`,
//!   a source of the other kernel refused.
//! - `udp`: datagram boundaries, truncation, `peek_from`, connected sockets, ICMP refusal,
//!   `IP_TTL` and `SO_BROADCAST`.
//! - `uds`: Unix-domain streams over a path and an abstract name, `pair`, `ENOENT` and
//!   `ECONNREFUSED`, datagrams.
//! - `waker`: wakes from another thread; many wakes coalesce.
//! - `examples`: mio's own `tcp_server` and `udp_server` examples on both kernels.
//! - `pipe`: readable, read-closed after the sender drops, `SourceFd`.

mod examples;
mod pipe;
mod registration;
mod support;
mod tcp;
mod udp;
mod uds;
mod waker;
