//! `TcpListener`: a listening socket whose `accept` backs off on fd exhaustion.
//!
//! When `accept4` fails with `EMFILE`/`ENFILE`/`ENOMEM` the pending connection stays in the
//! backlog and the listener stays readable, so a loop that retried at once would spin at 100%
//! CPU until an fd frees up. Instead `accept` sleeps on a timer, doubling from
//! `ACCEPT_BACKOFF_MIN` to `ACCEPT_BACKOFF_MAX`, and resets after a success.

use crate::errno_policy::{self, Call};
use crate::net::{IoSource, TcpStream};
use crate::reactor::Direction;
use crate::runtime::Handle;
use crate::sys::{Domain, ErrnoAction, Fd, SockOpt, SockType, Sys, SysResult};
use std::cell::Cell;
use std::net::SocketAddr;
use std::time::Duration;

/// Listen backlog; mirrors Linux's default `net.core.somaxconn` (4096 since 5.4).
pub const BACKLOG: i32 = 4096;
/// First back-off after an `EMFILE` on accept: short, since an fd may free up at any moment.
pub const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(1);
/// Back-off ceiling: bounds how late a freed fd is noticed.
pub const ACCEPT_BACKOFF_MAX: Duration = Duration::from_millis(100);

/// A listening TCP socket on a loop.
pub struct TcpListener<S: Sys> {
    io: IoSource<S>,
    backoff: Cell<Duration>,
}

impl<S: Sys> TcpListener<S> {
    /// `socket`, `SO_REUSEADDR`, `bind`, `listen(BACKLOG)`, register.
    pub fn bind(handle: &Handle<S>, addr: SocketAddr) -> SysResult<Self> {
        Self::bind_with_backlog(handle, addr, BACKLOG)
    }

    /// As `bind`, with an explicit backlog.
    pub fn bind_with_backlog(
        handle: &Handle<S>,
        addr: SocketAddr,
        backlog: i32,
    ) -> SysResult<Self> {
        let sys = handle.sys();
        let fd = sys.socket(Domain::of(&addr), SockType::Stream)?;
        let setup = sys
            .setsockopt(fd, SockOpt::ReuseAddr(true))
            .and_then(|()| sys.bind(fd, addr))
            .and_then(|()| sys.listen(fd, backlog));
        if let Err(e) = setup {
            let _ = sys.close(fd);
            return Err(e);
        }
        Ok(TcpListener {
            io: IoSource::new(handle, fd)?,
            backoff: Cell::new(ACCEPT_BACKOFF_MIN),
        })
    }

    pub fn fd(&self) -> Fd {
        self.io.fd()
    }

    pub fn local_addr(&self) -> SysResult<SocketAddr> {
        self.io.handle().sys().getsockname(self.fd())
    }

    /// Accepts one connection, registered with this loop.
    pub async fn accept(&self) -> SysResult<(TcpStream<S>, SocketAddr)> {
        let handle = self.io.handle();
        let sys = handle.sys();
        loop {
            self.io.ready(Direction::Read).await;
            let (call, e) = match sys.accept4(self.fd()) {
                // `from_fd` closes the fd itself when registration fails.
                Ok((fd, peer)) => match TcpStream::from_fd(handle, fd) {
                    Ok(stream) => {
                        self.backoff.set(ACCEPT_BACKOFF_MIN);
                        return Ok((stream, peer));
                    }
                    Err(e) => (Call::RegisterAccepted, e),
                },
                Err(e) => (Call::Accept, e),
            };
            match errno_policy::handle(sys, call, e) {
                ErrnoAction::Retry => {}
                ErrnoAction::NotReady => self.io.clear_ready(Direction::Read),
                ErrnoAction::Backoff => {
                    handle.note_accept_backoff();
                    let wait = self.backoff.get();
                    self.backoff.set((wait * 2).min(ACCEPT_BACKOFF_MAX));
                    handle.sleep(wait).await;
                }
                ErrnoAction::Surface | ErrnoAction::Fatal => return Err(e),
            }
        }
    }
}
