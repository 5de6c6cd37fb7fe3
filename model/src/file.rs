//! Open file descriptions (Linux's `struct file`): what fds point at.
//!
//! Owns: the kinds of file the model knows and their reference counts. `dup` and `accept4`'s
//! fd share nothing but this count: a file is released (its `release` runs, epoll forgets it)
//! only when the last fd referring to it is closed.
//! Does not model: files shared with other processes (`fork`, `SCM_RIGHTS`), in-flight
//! references held by a syscall running on another thread.

use crate::epoll::Epoll;
use crate::eventfd::EventFd;
use std::fmt;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub(crate) struct $name(pub(crate) u32);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

id!(
    /// An open file description.
    FileId,
    "file"
);
id!(
    /// A pipe (shared by its read-end and write-end files).
    PipeId,
    "pipe"
);
id!(
    /// A socket, including kernel-only sockets: orphans after `close`, and the server half of
    /// a connection before `accept4` gives it a file.
    SockId,
    "sock"
);

id!(
    /// A UDP socket (kept after its last close while its datagrams are on the wire).
    UdpId,
    "udp"
);

id!(
    /// A Unix-domain socket (kept after its last close: queued skbs and peers name it).
    UnixId,
    "unix"
);

/// One open file description.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct File {
    /// Fds referring to this file. Released when it reaches 0.
    pub(crate) refs: u32,
    pub(crate) kind: Kind,
    /// The status flags `F_SETFL` keeps (`O_NONBLOCK`, `O_APPEND`), shared by every fd of the
    /// file (`fcntl`).
    pub(crate) status: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    PipeRead(PipeId),
    PipeWrite(PipeId),
    EventFd(EventFd),
    Socket(SockId),
    Udp(UdpId),
    Epoll(Epoll),
    Unix(UnixId),
}

impl Kind {
    pub(crate) fn is_epoll(&self) -> bool {
        matches!(self, Kind::Epoll(_))
    }
}
