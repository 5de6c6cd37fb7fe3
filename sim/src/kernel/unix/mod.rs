//! Unix-domain sockets (`AF_UNIX`): stream and datagram sockets, `socketpair`, and the
//! namespace of socket names (filesystem paths and the abstract namespace).
//!
//! Model: a `Socket` holds its type, its name, its state (unconnected, listening with a queue
//! of embryo sockets, or connected), its peer (another `Socket`, by key), a receive queue of
//! `Skb`s and `wmem`, the send charge of its own skbs still queued at a receiver. Delivery is
//! immediate, as on Linux (no network: `sendmsg` queues the skb on the peer at once), so
//! nothing here takes a latency or any other `Choice`; a Unix socket is fully determined by
//! the calls made on it.
//!
//! Linux behaviour kept (`net/unix/af_unix.c`, unix(7); each checked on Linux 6.18 with
//! python3 scripts making the same calls):
//! - names (`names`): a bound path stays in the namespace after its socket closes, until
//!   `unlink`: `bind` to it is `EADDRINUSE`, `connect`/`sendto` to it `ECONNREFUSED`; a path
//!   nobody bound is `ENOENT`. An abstract name goes with its socket; one nobody holds is
//!   `ECONNREFUSED`. A socket of the other type behind a path is `EPROTOTYPE`; abstract names are
//!   per type (`unix_abstract_hash` mixes in the type), so there the other type's is not found
//!   (`ECONNREFUSED`) and may bind the same name. Binding a
//!   bound socket is `EINVAL` (a path that exists is `EADDRINUSE` first, as `mknod` runs
//!   before the check).
//! - stream (`stream`): `listen` needs a name (`EINVAL`), `EOPNOTSUPP` on a datagram socket;
//!   a backlog of `b` queues `b + 1` connections (`unix_recvq_full` is `>`), then `connect` is
//!   `EAGAIN` (a nonblocking Unix connect never returns `EINPROGRESS`: it completes or fails at
//!   once). A connection is an embryo socket on the listener's queue, named as the listener,
//!   that takes data before `accept`. Closing a listener resets its embryos' clients
//!   (`ECONNRESET`, `EPOLLERR`, both directions shut).
//! - close of a connected stream socket shuts both directions of its peer (`read` 0 after
//!   the queued data, `write` `EPIPE`, `EPOLLHUP | EPOLLRDHUP | EPOLLIN`); with unread data
//!   it also gives the peer `ECONNRESET` (returned by the next `read` once the queue is empty,
//!   or by `SO_ERROR`). `shutdown` sets the mirrored bits on the peer (`SHUT_RD` here makes
//!   the peer's `write` `EPIPE`); it succeeds on an unconnected socket.
//! - the send buffer (`skb`): a stream `write` is cut into skbs of at most 36,544 bytes
//!   (`SKB_MAX_HEAD(0)` plus `UNIX_SKB_FRAGS_SZ`), each charged to the sender's `wmem` by
//!   `truesize` until the reader has consumed all of it; an skb is allocated while
//!   `wmem < sndbuf`, so a write is short or `EAGAIN` only on the sender's `SO_SNDBUF`
//!   (Linux's unix stream sockets have no receive-buffer limit). The charge is fitted to
//!   6.18 on x86_64 (writes of 1 to 300,000 bytes fill 212,992 bytes exactly as measured);
//!   other slab configurations differ. `EPOLLOUT` while `wmem * 4 <= sndbuf`
//!   (`unix_writable`), and freed space wakes the writer with `EPOLLOUT`.
//! - datagrams (`dgram`): boundaries kept, `MSG_PEEK`, `MSG_TRUNC`; a datagram over
//!   `sndbuf - 32` bytes is `EMSGSIZE`; the receiver takes at most `max_dgram_qlen + 1` (11)
//!   datagrams from senders it is not connected to, then `sendto` is `EAGAIN` (a connected
//!   sender also loses `EPOLLOUT`, and gets it back when the receiver reads); a socketpair's
//!   or two mutually connected sockets' datagrams are bounded only by the sender's `sndbuf`.
//!   A datagram to a socket connected elsewhere is `EPERM`; to one shut for reading `EPIPE`;
//!   without an address on an unconnected socket `ENOTCONN`, after `EMSGSIZE` and the send
//!   buffer's checks (`EPIPE` after `SHUT_WR`), as 6.18 orders them.
//!   A connected socket whose peer closed gets `ECONNREFUSED` once from `send`, then
//!   `ENOTCONN`. Reconnecting drops the socket's queued datagrams and, if the old peer was
//!   connected back, gives it `ECONNRESET`. An empty queue is `EAGAIN`, also after shutdown.
//! - poll (`unix_poll`, `unix_dgram_poll`): `EPOLLERR` with a pending error, `EPOLLHUP` with
//!   both directions shut (and, for a stream socket, while unconnected), `EPOLLIN |
//!   EPOLLRDHUP` after `SHUT_RD`, `EPOLLIN` with data (a listener: with a connection queued),
//!   `EPOLLOUT` as above (never on a listener).
//! - `SO_SNDBUF`/`SO_RCVBUF` report `WMEM_DEFAULT`; `SO_REUSEADDR` and `SO_LINGER` are
//!   accepted and change nothing; `TCP_NODELAY` is `EOPNOTSUPP`.
//! - the inet calls on a Unix socket answer as the real backend does: `bind`/`connect` of an
//!   inet address `EINVAL`; `sendto` with one `EINVAL` (datagram), `EISCONN` or `EOPNOTSUPP`
//!   (stream); `getsockname`/`getpeername` `EAFNOSUPPORT`; `recvfrom` and `accept4` take the
//!   data or the connection, then are `EAFNOSUPPORT` when the sender is named (the connection
//!   accepted by `accept4` is closed first).
//!
//! Not modelled: directories and permissions of paths (any path binds; Linux needs the
//! directory: `ENOENT`, `EACCES`, `ENOTDIR` are fault-plan errnos), autobind (`bind` of an
//! empty name, `SO_PASSCRED`), `SOCK_SEQPACKET`, fd passing (`SCM_RIGHTS`) and credentials,
//! `MSG_OOB`, `SO_PEEK_OFF`, `setsockopt` of buffer sizes, `connect(AF_UNSPEC)`, sockets of
//! other processes, and the `sk_wmem_alloc` bias of 1 in `unix_writable`.

mod calls;
mod dgram;
mod names;
mod skb;
mod socket;
mod stream;

pub(crate) use names::Names;
pub use skb::{truesize as unix_truesize, MAX_DGRAM_QLEN, STREAM_SKB_MAX};
pub(crate) use socket::{Socket, UnixKey};
