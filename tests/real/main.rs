//! Real-kernel integration tests: the poller on `LinuxSys`, serving real TCP on 127.0.0.1,
//! against clients that are not written on the poller (Python's sockets, std's sockets, a
//! child process with a low fd limit). What the simulator explores by seed, these check once
//! on Linux itself.
//!
//! - `support`: a loop on its own thread, the test echo server, fd snapshots and the lock that
//!   keeps them meaningful under parallel tests, bounded waits, the Python client runner.
//! - `traced`: `LinuxSys` plus a log of probes and fds, and the event-delivery oracle.
//! - `echo`: 1,000 concurrent echo connections and 100 abrupt resets; no fd or operator leaks.
//! - `eintr`: `SIGUSR1` without `SA_RESTART` interrupts `epoll_wait`; the loop retries.
//! - `error_ready`, `error_ready_body`: after its one error, a socket's next read waits for
//!   the next datagram instead of spinning on `EAGAIN`, one body for both backends.
//! - `emfile`: the `echo-server` example under `RLIMIT_NOFILE` 32 backs off instead of spinning.
//! - `cancel_dial`: a dial cancelled mid-wait frees its fd for the next connection, cleanly.
//! - `fd`, `fd_body`: `dup2`/`dup3`, `fcntl` flags, `ioctl(FIONREAD)`, `writev`, one body for
//!   both backends.
//! - `fd_lock`: every test here holds the fd-table lock (read from the sources).
//! - `linux_sys`: `LinuxSys` corners: a stale-`ENOTSOCK` empty UDP send, `join`, IPv6 names.
//! - `read_hint`: after a short read the next read parks without a `read(2)` for `EAGAIN`.
//! - `sigpipe`: socket writes to a closed peer are `EPIPE`, also with `SIGPIPE` at its default.
//! - `timer_probes`: each timer's probes carry its own id.
//! - `udp`, `udp_body`: UDP and TCP's `MSG_PEEK` on loopback, one body for both backends.
//! - `unix`, `unix_body`: Unix-domain stream and datagram sockets, one body for both backends.
//! - `waker`: 20,000 cross-thread wakes, all observed, at most one eventfd write per sleep;
//!   an idle loop has read every eventfd write (its counter is zero).
//!
//! Real threads are the point here (this is the real backend): the `std::thread::spawn` ban
//! in `clippy.toml` is for sim-run code, so threads are started with `thread::Builder`, and
//! time is read from `LinuxSys::monotonic_now` instead of the banned `Instant::now`.

mod cancel_dial;
mod echo;
mod eintr;
mod emfile;
mod error_ready;
pub mod error_ready_body;
mod fd;
pub mod fd_body;
mod fd_lock;
mod linux_sys;
mod read_hint;
mod sigpipe;
mod support;
mod survivor;
mod timer_probes;
mod traced;
mod udp;
pub mod udp_body;
mod unix;
pub mod unix_body;
mod wait;
pub mod wait_body;
mod waker;
