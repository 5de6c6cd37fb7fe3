//! `Names`: the namespace of Unix socket names — bound filesystem paths and abstract names —
//! and the lookup `connect` and `sendto` do (`unix_find_other`).
//!
//! A path, once bound, stays until `unlink`, whether its socket lives or not (the socket
//! file in the filesystem); an abstract name is removed when its socket goes. Only socket
//! paths exist here: `unlink` of any other path is `ENOENT`, and no directory is needed.
//! Abstract names are per socket type: Linux hashes an abstract name with the type
//! (`unix_abstract_hash`), so a stream and a datagram socket may both hold one, and a lookup
//! never finds the other type's (`ECONNREFUSED`, where a path of the other type is
//! `EPROTOTYPE`; measured on 6.18).

use super::socket::UnixKey;
use simkern_poller::sys::{Errno, SockType, SysResult, UnixAddr};
use std::collections::BTreeMap;

/// A name's key: a path is one whatever the type; an abstract name one per type.
fn key(name: &UnixAddr, ty: SockType) -> (UnixAddr, u8) {
    let scope = match (name, ty) {
        (UnixAddr::Path(_), _) => 0,
        (_, SockType::Stream) => 1,
        (_, SockType::Dgram) => 2,
    };
    (name.clone(), scope)
}

/// The names bound, each with its socket (`None` once a path's socket has closed).
#[derive(Debug, Default)]
pub(crate) struct Names {
    bound: BTreeMap<(UnixAddr, u8), Option<UnixKey>>,
}

impl Names {
    /// Binds `name` to `k` of type `ty`: `EADDRINUSE` if a path exists or an abstract name
    /// is held by a socket of that type.
    pub(crate) fn bind(&mut self, name: &UnixAddr, k: UnixKey, ty: SockType) -> SysResult<()> {
        let key = key(name, ty);
        if self.bound.contains_key(&key) {
            return Err(Errno::EADDRINUSE);
        }
        self.bound.insert(key, Some(k));
        Ok(())
    }

    /// Whether path `name` exists (a socket file, live or not).
    pub(crate) fn path_exists(&self, name: &UnixAddr) -> bool {
        matches!(name, UnixAddr::Path(_)) && self.bound.contains_key(&(name.clone(), 0))
    }

    /// The socket `k` (of type `ty`) that bound `name` closed: its path stays (unless
    /// unlinked already, and perhaps bound again by another socket), its abstract name goes.
    pub(crate) fn release(&mut self, name: &UnixAddr, k: UnixKey, ty: SockType) {
        let key = key(name, ty);
        match name {
            UnixAddr::Path(_) => {
                if let Some(held) = self.bound.get_mut(&key).filter(|h| **h == Some(k)) {
                    *held = None;
                }
            }
            _ => {
                let held = self.bound.remove(&key);
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
            .remove(&(UnixAddr::Path(path.to_vec()), 0))
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
        let held = match (self.bound.get(&key(name, ty)), name) {
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
        self.bound.iter().map(|((n, _), k)| (n, *k))
    }
}
