//! `linux`: Linux versions, and the behaviours in which the versions Simkern knows differ.
//!
//! Owns: `Version` (a kernel release, parsed from `uname -r` or `--kernel linux=6.18.44`), the
//! table of divergences (`DIVERGENCES`: which call, what each side answers, the first version
//! known to answer the newer way, and how that was learnt), and `Behaviours`, one choice per
//! divergence. The model allows every named answer unless told which kernel it judges
//! (`Config::linux`); the simulated kernel answers as its target version does; a real kernel
//! answers as it is, and the conformance tests report which answer the host gave.
//!
//! Where the version that changed a behaviour is not pinned (the change was seen between two
//! kernels, not found in the kernel's history), `since` is the first version it was *seen*
//! on, and `source` says so. A host older than `since` that already answers the newer way is
//! reported by the conformance tests, not failed: the version table is then too coarse.
//!
//! Does not cover: divergences the simulator does not implement both ways (FREEDOMS.md,
//! section 7, lists those; the model still allows each answer).

use std::fmt;
use std::str::FromStr;

/// A kernel release, `major.minor.patch`; a suffix (`-fc-v1045`, `-generic`) is ignored.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u16,
    pub minor: u16,
    pub patch: u16,
}

impl Version {
    pub const fn new(major: u16, minor: u16, patch: u16) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }
}

/// The newest kernel whose behaviours this table was checked against: the default target.
pub const NEWEST_KNOWN: Version = Version::new(6, 18, 44);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl FromStr for Version {
    type Err = String;

    /// `6.18.44`, `6.6` (patch 0), `6.18.44-fc-v1045`.
    fn from_str(text: &str) -> Result<Version, String> {
        let release = text.split(['-', '+', ' ']).next().unwrap_or("");
        let parts: Vec<&str> = release.split('.').collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(format!(
                "linux version {text:?}: expected MAJOR.MINOR[.PATCH], e.g. 6.18.44"
            ));
        }
        let number = |i: usize, name: &str| -> Result<u16, String> {
            match parts.get(i) {
                None => Ok(0),
                Some(p) => p.parse().map_err(|_| {
                    format!("linux version {text:?}: {name} {p:?} is not a number below 65536")
                }),
            }
        };
        Ok(Version::new(
            number(0, "major")?,
            number(1, "minor")?,
            number(2, "patch")?,
        ))
    }
}

/// One call that kernels answer differently.
#[derive(Copy, Clone, Debug)]
pub struct Divergence {
    /// Stable name, as reported by the conformance tests.
    pub name: &'static str,
    /// The situation, in a sentence.
    pub when: &'static str,
    /// What kernels from `since` on answer.
    pub newer: &'static str,
    /// What older kernels answer.
    pub older: &'static str,
    /// The first version that answers `newer`, or the first it was seen on (see `source`).
    pub since: Version,
    /// The kernel commit, or how the change was observed when it is not pinned.
    pub source: &'static str,
}

/// `listen` on a socket that has attempted a connection.
pub const LISTEN_AFTER_CONNECT: Divergence = Divergence {
    name: "listen-after-connect",
    when: "listen() on a TCP socket that once attempted connect() (refused, reported, back to \
           SS_UNCONNECTED and TCP_CLOSE)",
    newer: "EINVAL",
    older: "0 (the socket listens)",
    since: Version::new(6, 18, 44),
    source: "seen, not pinned: 6.18.44 answers EINVAL (python3 and the conformance suite, \
             2026-12), the 6.18 kernel the conformance suite was first written on answered 0",
};

/// `connect` from a socket that once listened.
pub const CONNECT_AFTER_LISTEN: Divergence = Divergence {
    name: "connect-after-listen",
    when: "connect() from a TCP socket that once listened and stopped (shutdown SHUT_RD or \
           SHUT_RDWR: back to SS_UNCONNECTED and TCP_CLOSE)",
    newer: "EINVAL",
    older: "EINPROGRESS (the socket connects)",
    since: Version::new(6, 18, 44),
    source: "seen, not pinned: 6.18.44 answers EINVAL (python3 and the conformance suite, \
             2026-12), the 6.18 kernel the conformance suite was first written on answered \
             EINPROGRESS",
};

/// An eventfd `write` of more than 8 bytes.
pub const EVENTFD_LONG_WRITE: Divergence = Divergence {
    name: "eventfd-long-write",
    when: "write() of more than 8 bytes to an eventfd",
    newer: "EINVAL",
    older: "8 (the first 8 bytes are the value)",
    since: Version::new(6, 6, 0),
    source: "fs/eventfd.c eventfd_write, \"eventfd: strictly check the count parameter of \
             eventfd_write to avoid inputting illegal strings\" (Linux 6.6)",
};

/// `ioctl(FIONREAD)` on an epoll.
pub const EPOLL_IOCTL: Divergence = Divergence {
    name: "epoll-ioctl",
    when: "ioctl(FIONREAD) (or any request but the busy-poll ones) on an epoll fd",
    newer: "EINVAL (ep_eventpoll_ioctl refuses requests it does not know)",
    older: "ENOTTY (epoll has no ioctl)",
    since: Version::new(6, 9, 0),
    source: "fs/eventpoll.c ep_eventpoll_ioctl, \"eventpoll: Add epoll ioctl for \
             epoll_params\" (Linux 6.9); 6.18.44 answers EINVAL (measured)",
};

/// Every divergence the simulator implements both ways, oldest change first.
pub const DIVERGENCES: &[Divergence] = &[
    EVENTFD_LONG_WRITE,
    EPOLL_IOCTL,
    LISTEN_AFTER_CONNECT,
    CONNECT_AFTER_LISTEN,
];

/// One answer per divergence: how one kernel behaves.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Behaviours {
    /// `LISTEN_AFTER_CONNECT`: `listen` after a connection attempt is `EINVAL`.
    pub listen_after_connect_einval: bool,
    /// `CONNECT_AFTER_LISTEN`: `connect` from a socket that once listened is `EINVAL`.
    pub connect_after_listen_einval: bool,
    /// `EVENTFD_LONG_WRITE`: an eventfd write of more than 8 bytes is `EINVAL`.
    pub eventfd_long_write_einval: bool,
    /// `EPOLL_IOCTL`: `ioctl(FIONREAD)` on an epoll is `EINVAL` (else `ENOTTY`).
    pub epoll_ioctl_einval: bool,
}

impl Behaviours {
    /// How `version` behaves, by the table.
    pub fn of(version: Version) -> Behaviours {
        Behaviours {
            listen_after_connect_einval: version >= LISTEN_AFTER_CONNECT.since,
            connect_after_listen_einval: version >= CONNECT_AFTER_LISTEN.since,
            eventfd_long_write_einval: version >= EVENTFD_LONG_WRITE.since,
            epoll_ioctl_einval: version >= EPOLL_IOCTL.since,
        }
    }

    /// Whether this kernel answers `d` the newer way.
    pub fn newer(&self, d: &Divergence) -> bool {
        let mut copy = *self;
        *copy.field_mut(d)
    }

    /// Makes this kernel answer `d` the newer way, or the older.
    pub fn set(&mut self, d: &Divergence, newer: bool) {
        *self.field_mut(d) = newer;
    }

    /// The one place a divergence's name meets its field.
    fn field_mut(&mut self, d: &Divergence) -> &mut bool {
        match d.name {
            n if n == LISTEN_AFTER_CONNECT.name => &mut self.listen_after_connect_einval,
            n if n == CONNECT_AFTER_LISTEN.name => &mut self.connect_after_listen_einval,
            n if n == EVENTFD_LONG_WRITE.name => &mut self.eventfd_long_write_einval,
            n if n == EPOLL_IOCTL.name => &mut self.epoll_ioctl_einval,
            other => panic!("linux: divergence {other:?} has no field in Behaviours"),
        }
    }
}

impl Default for Behaviours {
    fn default() -> Behaviours {
        Behaviours::of(NEWEST_KNOWN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_from_uname_releases() {
        assert_eq!("6.18.44-fc-v1045".parse(), Ok(Version::new(6, 18, 44)));
        assert_eq!("6.6".parse(), Ok(Version::new(6, 6, 0)));
        assert_eq!("5.15.0-91-generic".parse(), Ok(Version::new(5, 15, 0)));
        assert!("six".parse::<Version>().is_err());
        assert!("6".parse::<Version>().is_err());
        assert!("6.18.99999".parse::<Version>().is_err());
    }

    #[test]
    fn versions_order_numerically_not_as_text() {
        assert!(Version::new(6, 18, 0) > Version::new(6, 6, 9));
        assert_eq!(Version::new(6, 18, 44).to_string(), "6.18.44");
    }

    #[test]
    fn each_divergence_switches_at_its_version() {
        for d in DIVERGENCES {
            let before = Version::new(d.since.major, d.since.minor, 0);
            let at = Behaviours::of(d.since);
            assert!(at.newer(d), "{} at {}", d.name, d.since);
            if before < d.since {
                assert!(
                    !Behaviours::of(before).newer(d),
                    "{} before {}",
                    d.name,
                    d.since
                );
            }
            let mut old = Behaviours::of(Version::new(5, 10, 0));
            assert!(!old.newer(d), "{} on 5.10", d.name);
            old.set(d, true);
            assert!(
                old.newer(d),
                "{}: set reaches the field newer reads",
                d.name
            );
        }
        assert_eq!(Behaviours::default(), Behaviours::of(NEWEST_KNOWN));
    }
}
