//! An epoll event loop and single-threaded executor, generic over the syscall boundary.
//!
//! The same code serves real traffic on `sys::linux::LinuxSys` and runs, unmodified, on the
//! simulated kernel of `simkern-sim`, where every choice comes from a seed.
//!
//! - `sys`: `trait Sys` (the only way to the OS), `Fd`, `Errno`, `Probe`; `sys::linux` the real backend.
//! - `errno_policy`: what each errno means (retry, not ready, back off, surface), named once.
//! - `reactor`: the operator registry; generational handles in epoll data; readiness.
//! - `runtime`: `Runtime` and `Handle`, the loop: tasks, timers, `epoll_wait`, stats.
//! - `executor`: tasks, their wakers, `JoinHandle`.
//! - `timer`: timer queue; `Sleep`, `Timeout`, owned callback `Timer`s and their `Owner`s.
//! - `waker`: the cross-thread eventfd waker with its wake-pending flag; `RemoteHandle`.
//! - `net`: `IoSource`, `TcpStream` (dial with deadline), `TcpListener` (accept with back-off).
//! - `notify`: `Notify`, a cross-thread one-shot event; `race` of two futures.
//! - `pool`: objects with checked, idempotent release.
//! - `send_queue`: a connection's outgoing messages; iterative teardown.

#[cfg(test)]
mod counting_waker;
pub mod errno_policy;
pub mod executor;
pub mod net;
pub mod notify;
pub mod pool;
pub mod reactor;
pub mod runtime;
pub mod send_queue;
pub mod sys;
pub mod timer;
pub mod waker;

pub use executor::JoinHandle;
pub use net::{IoSource, TcpListener, TcpStream};
pub use notify::{race, Notify};
pub use pool::{Pool, PoolError, Pooled};
pub use runtime::{Handle, Runtime, Stats};
pub use send_queue::SendQueue;
pub use sys::linux::LinuxSys;
pub use sys::{Errno, Fd, Probe, Sys, SysResult};
pub use timer::{Elapsed, Owner, Timer};
pub use waker::RemoteHandle;
