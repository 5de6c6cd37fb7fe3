//! `simkern::mio`: mio 1.x's API, on real epoll outside a simulation and on the simulated
//! kernel inside one. Switching a program is one line: `use simkern::mio as mio;`.
//!
//! - `os`: which kernel an object belongs to (decided at creation), the `Sys` dispatch, `OwnedFd`.
//! - `poll`: `Poll` (an epoll and its wait) and `Registry` (its interest list).
//! - `event`: `Event` (mio's reading of epoll bits), `Events`, the `Source` trait.
//! - `token`, `interest`: `Token`, `Interest` (always edge-triggered, as mio registers).
//! - `waker`: `Waker` on an eventfd.
//! - `net`: `TcpListener`, `TcpStream`, `UdpSocket`, `UnixListener`, `UnixStream`,
//!   `UnixDatagram` (addresses as `std::os::unix::net::SocketAddr`, as mio takes them).
//! - `unix`: `SourceFd`, `pipe`.
//! - `thread`: Simkern's addition: `spawn` a thread of the calling kernel, for tests.
//!
//! Semantics are mio's on Linux: the same syscalls in the same order (`TcpListener::bind` sets
//! `SO_REUSEADDR` and listens with a backlog of 1024, `connect` returns on `EINPROGRESS`),
//! errors as `io::Error` with the raw OS error code. Not provided (yet): `UdpSocket`'s
//! multicast group calls, its v6 multicast options and `only_v6` (`IP_MULTICAST_TTL` and
//! `IP_MULTICAST_LOOP` are kept and read back), `Registry` ownership checks beyond the kernel (mio's
//! debug-mode `SelectorId`).

pub mod event;
mod interest;
pub mod net;
pub(crate) mod os;
mod poll;
pub mod thread;
mod token;
mod tokens;
pub mod unix;
mod waker;

pub use event::Events;
pub use interest::Interest;
pub use poll::{Poll, Registry};
pub use token::Token;
pub use waker::Waker;
