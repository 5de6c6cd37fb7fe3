//! `Names`: the namespace of Unix socket names — bound filesystem paths and abstract names —
//! and the lookup `connect` and `sendto` do (`unix_find_other`).
//!
//! A path, once bound, stays until `unlink`, whether its socket lives or not (the socket
//! file in the filesystem); an abstract name is removed when its socket goes. Only socket
//! paths exist here: `unlink` of any other path is `ENOENT`, and no directory is needed.

use super::socket::UnixKey;
use simkern_poller::sys::{Errno, SockType, SysResult, UnixAddr};
use std::collections::BTreeMap;

/// The names bound, each with its socket (`None` once a path's socket has closed).
#[derive(Debug, Default)]
pub(crate) struct Names {
    bound: BTreeMap<UnixAddr, Option<UnixKey>>,
}

impl Names {
    /// Binds `name` to `k`: `EADDRINUSE` if a path exists or an abstract name is held.
    pub(crate) fn bind(&mut self, name: &UnixAddr, k: UnixKey) -> SysResult<()> {
        if self.bound.contains_key(name) {
            return Err(Errno::EADDRINUSE);
        }
        self.bound.insert(name.clone(), Some(k));
        Ok(())
    }

    /// Whether `name` is bound (a path that exists, an abstract name held).
    pub(crate) fn exists(&self, name: &UnixAddr) -> bool {
        self.bound.contains_key(name)
    }

    /// The socket `k` that bound `name` closed: its path stays (unless unlinked already, and
    /// perhaps bound again by another socket), its abstract name goes.
    pub(crate) fn release(&mut self, name: &UnixAddr, k: UnixKey) {
        match name {
            UnixAddr::Path(_) => {
                if let Some(held) = self.bound.get_mut(name).filter(|h| **h == Some(k)) {
                    *held = None;
                }
            }
            _ => {
                let held = self.bound.remove(name);
                assert_eq!(
                    held,
                    Some(Some(k)),
                    "abstract name {name:?} of closing socket {k:?} was not held by it"
                );
            }
        }
    }

    /// `unlink` of a socket path.
    pub(crate) fn unlink(&mut self, path: &[u8]) -> SysResult<()> {
        if path.contains(&0) {
            return Err(Errno::EINVAL);
        }
        self.bound
            .remove(&UnixAddr::Path(path.to_vec()))
            .map(drop)
            .ok_or(Errno::ENOENT)
    }

    /// `unix_find_other`: the live socket behind `name`, given the type of the caller and the
    /// type of each socket.
    pub(crate) fn find(
        &self,
        name: &UnixAddr,
        ty: SockType,
        type_of: impl Fn(UnixKey) -> Option<SockType>,
    ) -> SysResult<UnixKey> {
        let held = match (self.bound.get(name), name) {
            (Some(held), _) => *held,
            (None, UnixAddr::Path(_)) => return Err(Errno::ENOENT),
            (None, _) => None,
        };
        let k = held.ok_or(Errno::ECONNREFUSED)?;
        match type_of(k) {
            None => Err(Errno::ECONNREFUSED),
            Some(t) if t != ty => Err(Errno::EPROTOTYPE),
            Some(_) => Ok(k),
        }
    }

    /// The names in order, for `describe`.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&UnixAddr, Option<UnixKey>)> {
        self.bound.iter().map(|(n, k)| (n, *k))
    }
}
