//! Unix socket addresses: std's `SocketAddr` (what mio's API takes and returns) to and from
//! the boundary's `UnixAddr`.

use simkern_poller::sys::UnixAddr;
use std::ffi::OsStr;
use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::SocketAddr;
use std::sync::OnceLock;

/// The boundary's address for `addr`.
pub(crate) fn to_sys(addr: &SocketAddr) -> UnixAddr {
    if let Some(path) = addr.as_pathname() {
        UnixAddr::Path(path.as_os_str().as_bytes().to_vec())
    } else if let Some(name) = addr.as_abstract_name() {
        UnixAddr::Abstract(name.to_vec())
    } else {
        UnixAddr::Unnamed
    }
}

/// std's address for `addr`.
pub(crate) fn to_std(addr: &UnixAddr) -> io::Result<SocketAddr> {
    match addr {
        UnixAddr::Path(bytes) => SocketAddr::from_pathname(OsStr::from_bytes(bytes)),
        UnixAddr::Abstract(name) => SocketAddr::from_abstract_name(name),
        UnixAddr::Unnamed => Ok(unnamed().clone()),
    }
}

/// An unnamed address. std offers no constructor for one, only addresses the kernel reports,
/// so it is read once from a real unbound socket (a real `socket` call, made once per
/// process; it touches nothing a simulation sees).
fn unnamed() -> &'static SocketAddr {
    static UNNAMED: OnceLock<SocketAddr> = OnceLock::new();
    UNNAMED.get_or_init(|| {
        std::os::unix::net::UnixDatagram::unbound()
            .and_then(|s| s.local_addr())
            .expect("an unbound Unix datagram socket and its (unnamed) address")
    })
}
