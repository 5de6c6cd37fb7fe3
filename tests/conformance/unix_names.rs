//! Model Unix names as real ones and back: `Path(k)` is `DIR/sK`, `Abstract(k)` is the
//! abstract name `PREFIXaK`, `Unnamed` no name. Each backend gives its own directory and
//! prefix (Linux: a fresh temp directory and a prefix with the process id, per sequence).

use simkern::model::UnixName;
use simkern::poller::sys::UnixAddr;

pub fn addr(name: UnixName, dir: &str, prefix: &str) -> UnixAddr {
    match name {
        UnixName::Unnamed => UnixAddr::Unnamed,
        UnixName::Path(k) => UnixAddr::Path(format!("{dir}/s{k}").into_bytes()),
        UnixName::Abstract(k) => UnixAddr::Abstract(format!("{prefix}a{k}").into_bytes()),
    }
}

/// The model name `addr` is, `None` for an address the sequence never named.
pub fn name(addr: &UnixAddr, dir: &str, prefix: &str) -> Option<UnixName> {
    let index = |bytes: &[u8], head: &str| -> Option<u8> {
        std::str::from_utf8(bytes)
            .ok()?
            .strip_prefix(head)?
            .parse()
            .ok()
    };
    match addr {
        UnixAddr::Unnamed => Some(UnixName::Unnamed),
        UnixAddr::Path(p) => index(p, &format!("{dir}/s")).map(UnixName::Path),
        UnixAddr::Abstract(a) => index(a, &format!("{prefix}a")).map(UnixName::Abstract),
    }
}
