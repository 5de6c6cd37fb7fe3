//! `Errno`: a raw Linux errno value with Linux's names.
//!
//! Errors at the syscall boundary stay raw because the bugs Simkern hunts live in exactly which
//! errno came back (`EINTR` is retried, `EAGAIN` means "not ready", `EMFILE` on accept means
//! "back off"). The numeric values are Linux x86_64/aarch64 values, so the simulated kernel,
//! the model and the real backend share one numbering with no translation.

use std::fmt;

/// A raw errno value, as Linux returns it from a failed syscall.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Errno(pub i32);

macro_rules! errnos {
    ($($name:ident = $value:expr, $text:expr;)*) => {
        impl Errno {
            $(#[doc = $text] pub const $name: Errno = Errno($value);)*

            /// Linux's name for this errno (`"EAGAIN"`), or `None` for a value outside the set
            /// Simkern names.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($name)),)*
                    _ => None,
                }
            }

            /// Parses Linux's name (`"ECONNRESET"`) back into the value.
            pub fn from_name(name: &str) -> Option<Errno> {
                match name {
                    $(stringify!($name) => Some(Errno::$name),)*
                    _ => None,
                }
            }

            /// Every errno Simkern names, in numeric order.
            pub const ALL: &'static [Errno] = &[$(Errno::$name),*];
        }
    };
}

errnos! {
    EPERM = 1, "Operation not permitted (epoll_ctl on a file that does not support polling).";
    ENOENT = 2, "No such entry (EPOLL_CTL_MOD/DEL of an fd not in the interest list).";
    EINTR = 4, "Interrupted by a signal handler: retry.";
    EIO = 5, "I/O error.";
    EBADF = 9, "Bad file descriptor.";
    EAGAIN = 11, "Resource temporarily unavailable: not ready, wait for readiness.";
    ENOMEM = 12, "Out of memory.";
    EFAULT = 14, "Bad address.";
    EEXIST = 17, "Already exists (EPOLL_CTL_ADD of an fd already in the interest list).";
    EINVAL = 22, "Invalid argument.";
    ENFILE = 23, "System-wide open file limit reached.";
    EMFILE = 24, "Per-process open file limit reached.";
    ENOSPC = 28, "No space (epoll max_user_watches reached).";
    EPIPE = 32, "Write to a socket or pipe whose reading side is gone.";
    ELOOP = 40, "An epoll instance would watch itself, directly or through a loop.";
    ENOTSOCK = 88, "Not a socket.";
    EDESTADDRREQ = 89, "A send on an unconnected datagram socket named no destination.";
    EMSGSIZE = 90, "Datagram too long.";
    ENOPROTOOPT = 92, "Protocol not available (a TCP option on a UDP socket).";
    EOPNOTSUPP = 95, "Operation not supported on this socket.";
    EAFNOSUPPORT = 97, "Address family not supported.";
    EADDRINUSE = 98, "Address already in use.";
    EADDRNOTAVAIL = 99, "Cannot assign the requested address.";
    ENETUNREACH = 101, "Network unreachable.";
    ECONNABORTED = 103, "Connection aborted before accept completed.";
    ECONNRESET = 104, "Connection reset by peer.";
    ENOBUFS = 105, "No buffer space available.";
    EISCONN = 106, "Socket already connected.";
    ENOTCONN = 107, "Socket not connected.";
    ETIMEDOUT = 110, "Connection timed out.";
    ECONNREFUSED = 111, "Connection refused.";
    EALREADY = 114, "A nonblocking connect is already in progress.";
    EINPROGRESS = 115, "Nonblocking connect started; wait for EPOLLOUT, then read SO_ERROR.";
    EACCES = 13, "Permission denied (search or write permission on a socket path).";
    ENOTDIR = 20, "A component of a socket path is not a directory.";
    ENAMETOOLONG = 36, "A socket path is too long.";
    EBUSY = 16, "Device or resource busy (unlink of a path in use by the system).";
    ENOTTY = 25, "Inappropriate ioctl for device (FIONREAD on an eventfd or epoll).";
    EPROTOTYPE = 91, "Protocol wrong type for socket (a stream connect to a datagram socket).";
    ESRCH = 3, "No such process (kill of a process that has ended).";
}

impl Errno {
    /// `EWOULDBLOCK` is `EAGAIN` on Linux.
    pub const EWOULDBLOCK: Errno = Errno::EAGAIN;
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl std::error::Error for Errno {}

impl From<Errno> for std::io::Error {
    fn from(e: Errno) -> Self {
        std::io::Error::from_raw_os_error(e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_for_every_named_errno() {
        for &e in Errno::ALL {
            let name = e.name().expect("every errno in ALL has a name");
            assert_eq!(
                Errno::from_name(name),
                Some(e),
                "{name} does not parse back"
            );
        }
        assert_eq!(Errno(9999).name(), None);
        assert_eq!(format!("{:?}", Errno(9999)), "Errno(9999)");
    }
}
