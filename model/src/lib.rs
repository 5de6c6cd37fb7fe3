//! `simkern-model`: an executable specification of the part of Linux that Simkern simulates —
//! one process's fd table, pipes, eventfds, TCP and UDP sockets on loopback, Unix-domain
//! sockets, and epoll — written
//! independently of the simulator so that the simulator and the real kernel can both be held
//! against it in differential tests.
//!
//! The model is a nondeterministic state machine. Where Linux leaves a choice open (what has
//! arrived on the network yet, how much of a write a nearly full socket takes, which entries a
//! short `maxevents` gets, behaviour that differs across kernel versions) it answers with the
//! set of allowed outcomes ([`Allowed`]). Told what the implementation returned
//! ([`Model::observe`]), it keeps exactly the kernel states that explain it, and so follows
//! whichever allowed path the implementation took. `FREEDOMS.md` lists every such choice with
//! the man page or kernel source that permits it.
//!
//! A differential test: for each [`Op`], check [`Model::check`], run the op on the
//! implementation, convert the result to an [`Outcome`], and call [`Model::observe`];
//! call [`Op::Settle`] after letting the network go quiet.
//!
//! ```
//! use simkern_model::{errno, Config, Fd, Model, Op, Outcome, Port};
//!
//! let mut model = Model::new(Config::default());
//! // What the implementation returned, op by op:
//! model.observe(&Op::Socket, &Outcome::Fd(Fd(3))).unwrap();
//! let connect = Op::Connect { fd: Fd(3), port: Port(0) };
//! model.observe(&connect, &Outcome::Err(errno::EINPROGRESS)).unwrap();
//! // Nothing listens on port 0. Before the network settles the refusal may not be in yet:
//! let so_error = Op::SoError { fd: Fd(3) };
//! let before = model.allowed(&so_error).unwrap();
//! assert!(before.contains(&Outcome::SoError(0)));
//! assert!(before.contains(&Outcome::SoError(errno::ECONNREFUSED)));
//! model.observe(&Op::Settle, &Outcome::Ok).unwrap();
//! let after = model.allowed(&so_error).unwrap();
//! assert_eq!(after.only(), Some(&Outcome::SoError(errno::ECONNREFUSED)));
//! // An implementation that says otherwise disagrees with Linux:
//! assert!(model.observe(&so_error, &Outcome::SoError(0)).is_err());
//! ```
//!
//! Map:
//! - [`op`]: `Op` (a syscall, or `Settle`), `Outcome`, `Fd`, `Port`, `Shut`, `Ctl`, `SockOpt`.
//! - [`errno`]: Linux errno values by name.
//! - [`event`]: epoll event bits (`EPOLLIN`, …) and `Event`.
//! - [`config`]: `Config`: fd limit, pipe and socket buffer bounds, each with its Linux default.
//! - [`linux`]: Linux versions, the calls they answer differently, `Behaviours` of one kernel.
//! - [`allowed`]: `Allowed`, `Expect`, `Candidate`: sets of answers, and membership.
//! - [`model`]: `Model`: the kernel states consistent with what was observed; `Disagreement`.
//! - `world`: one concrete kernel state, and the dispatch from `Op` to syscall bodies.
//! - `fd_table`: the per-process fd table: lowest-free allocation, `EMFILE`.
//! - `file`: open file descriptions, shared by `dup`, released on the last close.
//! - `pipe`: pipes: page slots, `PIPE_BUF` atomicity, `EPIPE`, EOF.
//! - `eventfd`: the eventfd counter, semaphore mode, the 8-byte rule.
//! - `socket`: one TCP socket's state, and what `poll`, `read` and `write` see of it.
//! - `udp`: UDP sockets: bind, connect, `sendto`/`recvfrom`, the queue, datagrams and ICMP.
//! - `unix`: Unix-domain sockets: names, `socketpair`, listen/connect/accept, poll, close.
//! - `unix_io`: Unix-domain `send`/`recv`: skbs, the sender's charge, datagram queues.
//! - `tcp`: socket syscalls: `socket`, `bind`, `listen`, `connect`, `accept4`, `shutdown`, ….
//! - `net`: loopback segments in flight, what each arrival does, ports and TIME_WAIT.
//! - `progress`: when segments arrive: any prefix before an op, everything at `Settle`.
//! - `epoll`: interest lists, the ready list, wakeups, nested epoll, `ELOOP`.
//! - [`oracle`]: lifecycle oracles over a stream of `oracle::Fact`s (stale delivery, pool,
//!   timer, lost wakeup, teardown depth, fd leak, errno handling), each a transition table.

pub mod allowed;
pub mod config;
pub mod errno;
pub mod event;
pub mod linux;
pub mod model;
pub mod op;
pub mod oracle;

mod dup3;
mod epoll;
mod eventfd;
mod fcntl;
mod fd_table;
mod file;
mod fionread;
mod net;
mod pipe;
mod progress;
mod socket;
mod tcp;
mod udp;
mod unix;
mod unix_io;
mod waits;
mod world;

#[cfg(test)]
mod tests;

pub use allowed::{Allowed, Candidate, Expect};
pub use config::Config;
pub use event::Event;
pub use model::{Disagreement, Model};
pub use op::{Ctl, Fcntl, Fd, Op, Outcome, Port, Shut, SockOpt, SockOptGet, UnixName};
pub use udp::{truesize as udp_truesize, UDP_MAX_PAYLOAD};
