//! Linux errno values, by Linux's names (x86_64 and aarch64 numbering).
//!
//! Owns: the numbers only. The model reports errors as raw `i32` so that it shares no type with
//! the poller or the simulator it judges; `name` turns a value back into its name for messages.
//! Does not model: errno values outside the subset Simkern simulates.

macro_rules! errnos {
    ($($name:ident = $value:expr, $text:expr;)*) => {
        $(#[doc = $text] pub const $name: i32 = $value;)*

        /// Linux's name for an errno value (`"EAGAIN"`), or `None` outside the named subset.
        pub fn name(errno: i32) -> Option<&'static str> {
            match errno {
                $($value => Some(stringify!($name)),)*
                _ => None,
            }
        }
    };
}

errnos! {
    EPERM = 1, "epoll_ctl on a file that does not support polling (none in this subset).";
    ENOENT = 2, "EPOLL_CTL_MOD/DEL of an (fd, file) pair not in the interest list.";
    EBADF = 9, "The fd is not open (or is open for the other direction).";
    EAGAIN = 11, "Nonblocking: not ready now.";
    EEXIST = 17, "EPOLL_CTL_ADD of an (fd, file) pair already in the interest list.";
    EINVAL = 22, "Invalid argument.";
    ENOTTY = 25, "Inappropriate ioctl for device (FIONREAD on an eventfd, or an epoll before 6.9).";
    EMFILE = 24, "No free fd below RLIMIT_NOFILE.";
    EPIPE = 32, "Write with the reading side gone, or on a socket that cannot send.";
    ELOOP = 40, "Nested epoll would loop or nest deeper than EP_MAX_NESTS.";
    ENOTSOCK = 88, "Socket call on an fd that is not a socket.";
    EDESTADDRREQ = 89, "UDP send without a destination on an unconnected socket.";
    EMSGSIZE = 90, "UDP datagram longer than 65,507 bytes.";
    EPROTOTYPE = 91, "Unix connect or sendto to a socket of the other type (stream, datagram).";
    ENOPROTOOPT = 92, "setsockopt of a TCP option on a UDP socket.";
    EOPNOTSUPP = 95, "listen or accept4 on a UDP socket; getsockopt of a TCP option on one.";
    EADDRINUSE = 98, "Port already bound.";
    ECONNABORTED = 103, "Connection attempt ended without a pending error to report.";
    ECONNRESET = 104, "Connection reset by peer (RST).";
    EISCONN = 106, "Socket already connected (or listening).";
    ENOTCONN = 107, "Socket not connected.";
    ECONNREFUSED = 111, "Nothing listens on the port (RST in reply to SYN).";
    EALREADY = 114, "A nonblocking connect is already in progress.";
    EINPROGRESS = 115, "Nonblocking connect started: wait for EPOLLOUT, then read SO_ERROR.";
}

/// `name`, or the number for a value outside the named subset.
pub fn describe(errno: i32) -> String {
    match name(errno) {
        Some(name) => name.to_string(),
        None => format!("errno {errno}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_values_are_linux_values_and_have_names() {
        assert_eq!((EAGAIN, EINPROGRESS, ECONNRESET), (11, 115, 104));
        assert_eq!(name(EMFILE), Some("EMFILE"));
        assert_eq!(name(9999), None);
        assert_eq!(describe(9999), "errno 9999");
    }
}
