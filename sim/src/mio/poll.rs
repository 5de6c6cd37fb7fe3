//! `Poll` and `Registry`: one epoll instance, its wait and its interest list.

use super::event::{Events, Source};
use super::os::{on, Os, OwnedFd};
use super::tokens::Tokens;
use super::{Interest, Token};
use simkern_poller::sys::{EpollEvent, EpollOp, Fd};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

/// An epoll instance and its wait (mio's `Poll`). Made on a simulated thread, it lives in the
/// simulated kernel; elsewhere, on real epoll.
#[derive(Debug)]
pub struct Poll {
    registry: Registry,
}

/// Registers sources with a `Poll`'s epoll (mio's `Registry`).
#[derive(Debug)]
pub struct Registry {
    epoll: OwnedFd,
    /// On the simulated kernel, the tokens behind epoll data (see `tokens`).
    tokens: Tokens,
}

impl Poll {
    /// `epoll_create1(EPOLL_CLOEXEC)` in the calling thread's kernel.
    pub fn new() -> io::Result<Poll> {
        let os = Os::current();
        let fd = on!(os, |s| s.epoll_create())?;
        Ok(Poll {
            registry: Registry {
                epoll: OwnedFd { os, fd },
                tokens: Tokens::default(),
            },
        })
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Waits for readiness events, up to `events.capacity()` of them, for at most `timeout`
    /// (`None` waits forever). As mio: a sub-millisecond timeout is rounded up, not down to a
    /// busy poll; `EINTR` is returned to the caller (mio's examples retry it).
    pub fn poll(&mut self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        let timeout_ms = timeout
            .map(|t| {
                let rounded = t.checked_add(Duration::from_nanos(999_999)).unwrap_or(t);
                i32::try_from(rounded.as_millis()).unwrap_or(i32::MAX)
            })
            .unwrap_or(-1);
        let epfd = self.registry.epoll.fd;
        let buf = events.sys_buffer();
        let n = on!(self.registry.epoll.os, |s| s
            .epoll_wait(epfd, buf, timeout_ms))?;
        if self.registry.epoll.os == Os::Sim {
            self.registry.tokens.translate(&mut buf[..n]);
        }
        events.set_len(n);
        Ok(())
    }
}

impl Registry {
    /// Registers `source` for `interests`, its events carrying `token`. Registering a source
    /// twice is `EEXIST` (mio: "an error"); use `reregister`.
    pub fn register<S: Source + ?Sized>(
        &self,
        source: &mut S,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        source.register(self, token, interests)
    }

    pub fn reregister<S: Source + ?Sized>(
        &self,
        source: &mut S,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        source.reregister(self, token, interests)
    }

    pub fn deregister<S: Source + ?Sized>(&self, source: &mut S) -> io::Result<()> {
        source.deregister(self)
    }

    /// Another handle to the same epoll (`dup`).
    pub fn try_clone(&self) -> io::Result<Registry> {
        let os = self.epoll.os;
        let epfd = self.epoll.fd;
        let fd = on!(os, |s| s.dup(epfd))?;
        Ok(Registry {
            epoll: OwnedFd { os, fd },
            tokens: self.tokens.clone(),
        })
    }

    pub(crate) fn os(&self) -> Os {
        self.epoll.os
    }

    /// `epoll_ctl` for an fd a mio object owns, refused if it is of the other kernel.
    pub(crate) fn ctl_owned(
        &self,
        owned: &OwnedFd,
        op: EpollOp,
        registration: Option<(Token, Interest)>,
    ) -> io::Result<()> {
        self.ctl(Some(owned.os), op, owned.fd, registration)
    }

    /// `epoll_ctl` for an fd of kernel `os` (`None` for a raw fd, taken to be in ours).
    pub(crate) fn ctl(
        &self,
        os: Option<Os>,
        op: EpollOp,
        fd: Fd,
        registration: Option<(Token, Interest)>,
    ) -> io::Result<()> {
        let mine = self.epoll.os;
        if let Some(theirs) = os.filter(|theirs| *theirs != mine) {
            return Err(theirs.mismatch(mine));
        }
        let event = registration.map(|(token, interests)| {
            let data = match mine {
                Os::Linux => token.0 as u64,
                Os::Sim => self.tokens.data_for(token),
            };
            EpollEvent::new(interests.epoll_bits(), data)
        });
        let epfd = self.epoll.fd;
        on!(mine, |s| s.epoll_ctl(epfd, op, fd, event))
    }
}

impl AsRawFd for Poll {
    fn as_raw_fd(&self) -> RawFd {
        self.registry.epoll.fd.0
    }
}

impl AsRawFd for Registry {
    fn as_raw_fd(&self) -> RawFd {
        self.epoll.fd.0
    }
}

/// The `Source` methods of a type that is one `OwnedFd` (`inner`): the three `epoll_ctl`s,
/// checked against the registry's kernel.
macro_rules! fd_source {
    ($ty:ty) => {
        impl $crate::mio::event::Source for $ty {
            fn register(
                &mut self,
                registry: &$crate::mio::Registry,
                token: $crate::mio::Token,
                interests: $crate::mio::Interest,
            ) -> std::io::Result<()> {
                registry.ctl_owned(
                    &self.inner,
                    simkern_poller::sys::EpollOp::Add,
                    Some((token, interests)),
                )
            }
            fn reregister(
                &mut self,
                registry: &$crate::mio::Registry,
                token: $crate::mio::Token,
                interests: $crate::mio::Interest,
            ) -> std::io::Result<()> {
                registry.ctl_owned(
                    &self.inner,
                    simkern_poller::sys::EpollOp::Mod,
                    Some((token, interests)),
                )
            }
            fn deregister(&mut self, registry: &$crate::mio::Registry) -> std::io::Result<()> {
                registry.ctl_owned(&self.inner, simkern_poller::sys::EpollOp::Del, None)
            }
        }
    };
}
pub(crate) use fd_source;
