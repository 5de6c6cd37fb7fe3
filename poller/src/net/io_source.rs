//! `IoSource`: an owned fd registered with a loop; the handle between a task and its operator.
//!
//! Drop order is the netpoll fix, in one place: `EPOLL_CTL_DEL`, then `close`, then free the
//! operator's slot. After that no event for this fd can be collected, and any event already
//! collected in the current batch carries a handle whose version no longer matches.

use crate::errno_policy::{self, Call};
use crate::reactor::{Direction, OpKey};
use crate::runtime::Handle;
use crate::sys::{Errno, ErrnoAction, Fd, Sys, SysResult};
use std::future::poll_fn;

/// An fd owned by this value and registered with a loop.
pub struct IoSource<S: Sys> {
    handle: Handle<S>,
    key: OpKey,
    fd: Fd,
}

impl<S: Sys> IoSource<S> {
    /// Registers `fd` (taking ownership). On failure the fd is closed and the errno returned.
    pub fn new(handle: &Handle<S>, fd: Fd) -> SysResult<Self> {
        match handle.register(fd) {
            Ok(key) => Ok(IoSource {
                handle: handle.clone(),
                key,
                fd,
            }),
            Err(e) => {
                let _ = handle.sys().close(fd);
                Err(e)
            }
        }
    }

    pub fn fd(&self) -> Fd {
        self.fd
    }

    pub fn handle(&self) -> &Handle<S> {
        &self.handle
    }

    /// The generational handle carried in this fd's epoll events.
    pub fn key(&self) -> OpKey {
        self.key
    }

    /// Waits until the direction is ready (or closed, or in error); returns the readiness bits.
    pub async fn ready(&self, dir: Direction) -> u8 {
        poll_fn(|cx| {
            self.handle
                .shared()
                .reactor
                .borrow_mut()
                .poll_ready(self.key, dir, cx)
        })
        .await
    }

    /// Forgets readiness after the fd said `EAGAIN`.
    pub fn clear_ready(&self, dir: Direction) {
        self.handle
            .shared()
            .reactor
            .borrow_mut()
            .clear_ready(self.key, dir);
    }

    /// Runs `op` when the direction is ready, until it returns anything but `EAGAIN`/`EINTR`.
    /// `op` returns the value and whether readiness should be cleared anyway (a short read).
    pub async fn io<T>(
        &self,
        dir: Direction,
        call: Call,
        mut op: impl FnMut(&S, Fd) -> SysResult<(T, bool)>,
    ) -> SysResult<T> {
        loop {
            self.ready(dir).await;
            match op(self.handle.sys(), self.fd) {
                Ok((value, drained)) => {
                    if drained {
                        self.clear_ready(dir);
                    }
                    return Ok(value);
                }
                Err(e) => match errno_policy::handle(self.handle.sys(), call, e) {
                    ErrnoAction::Retry => {}
                    ErrnoAction::NotReady => self.clear_ready(dir),
                    _ => return Err(e),
                },
            }
        }
    }

    /// Reads `SO_ERROR` (consuming it).
    pub fn take_error(&self) -> SysResult<Option<Errno>> {
        self.handle.sys().so_error(self.fd)
    }
}

impl<S: Sys> Drop for IoSource<S> {
    fn drop(&mut self) {
        let sys = self.handle.sys().clone();
        if self.handle.is_closed() {
            // The loop (and its epoll fd) is gone: nothing to deregister from.
            let _ = sys.close(self.fd);
            return;
        }
        let _ = self
            .handle
            .shared()
            .reactor
            .borrow_mut()
            .deregister(self.key);
        let _ = sys.close(self.fd);
        self.handle.shared().reactor.borrow_mut().free(self.key);
    }
}
