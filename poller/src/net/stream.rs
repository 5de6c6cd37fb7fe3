//! `TcpStream`: a connected (or connecting) nonblocking TCP socket on a loop.
//!
//! Reads clear readiness on `EAGAIN` and also on a short read: Linux's `tcp_recvmsg` returns
//! less than asked only when the receive queue ran dry, and the next arrival is a new
//! edge-triggered event, so the `read` that would return `EAGAIN` is skipped (tokio does the
//! same). Writes clear readiness only on `EAGAIN`.

use crate::errno_policy::{self, Call};
use crate::net::IoSource;
use crate::reactor::Direction;
use crate::runtime::Handle;
use crate::sys::{Domain, Errno, ErrnoAction, Fd, Shutdown, SockOpt, SockType, Sys, SysResult};
use std::io::IoSlice;
use std::net::SocketAddr;
use std::time::Duration;

/// A TCP connection owned by a loop. Dropping it deregisters and closes the fd.
pub struct TcpStream<S: Sys> {
    io: IoSource<S>,
}

impl<S: Sys> TcpStream<S> {
    /// Wraps an already-connected fd (from `accept4`), registering it.
    pub fn from_fd(handle: &Handle<S>, fd: Fd) -> SysResult<Self> {
        Ok(TcpStream {
            io: IoSource::new(handle, fd)?,
        })
    }

    /// Connects to `addr`: a nonblocking `connect`, a wait for `EPOLLOUT`, then `SO_ERROR`.
    /// Dropping the future mid-way cancels the dial and releases its fd and registration.
    pub async fn connect(handle: &Handle<S>, addr: SocketAddr) -> SysResult<Self> {
        let sys = handle.sys();
        let fd = sys.socket(Domain::of(&addr), SockType::Stream)?;
        let io = IoSource::new(handle, fd)?;
        match sys.connect(fd, addr) {
            Ok(()) => return Ok(TcpStream { io }),
            Err(e) => match errno_policy::handle(sys, Call::Connect, e) {
                // EINPROGRESS. Retry is EINTR's: an interrupted connect goes on asynchronously
                // (POSIX), so it is waited for like EINPROGRESS; calling again says EALREADY.
                ErrnoAction::NotReady | ErrnoAction::Retry => {}
                _ => return Err(e),
            },
        }
        io.ready(Direction::Write).await;
        match io.take_error()? {
            None => Ok(TcpStream { io }),
            Some(e) => {
                errno_policy::handle(sys, Call::Connect, e);
                Err(e)
            }
        }
    }

    /// `connect` with a deadline; on expiry the dial is cancelled and `ETIMEDOUT` returned.
    pub async fn connect_timeout(
        handle: &Handle<S>,
        addr: SocketAddr,
        timeout: Duration,
    ) -> SysResult<Self> {
        match handle.timeout(timeout, Self::connect(handle, addr)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(Errno::ETIMEDOUT),
        }
    }

    pub fn fd(&self) -> Fd {
        self.io.fd()
    }

    pub fn io(&self) -> &IoSource<S> {
        &self.io
    }

    pub fn local_addr(&self) -> SysResult<SocketAddr> {
        self.io.handle().sys().getsockname(self.fd())
    }

    pub fn set_nodelay(&self, on: bool) -> SysResult<()> {
        self.io
            .handle()
            .sys()
            .setsockopt(self.fd(), SockOpt::NoDelay(on))
    }

    /// `SO_LINGER`; `Some(0)` makes dropping the stream send RST.
    pub fn set_linger(&self, secs: Option<u32>) -> SysResult<()> {
        self.io
            .handle()
            .sys()
            .setsockopt(self.fd(), SockOpt::Linger(secs))
    }

    pub fn shutdown(&self, how: Shutdown) -> SysResult<()> {
        self.io.handle().sys().shutdown(self.fd(), how)
    }

    /// Reads into `buf`; `Ok(0)` is end of stream.
    pub async fn read(&self, buf: &mut [u8]) -> SysResult<usize> {
        let len = buf.len();
        self.io
            .io(Direction::Read, Call::Read, |sys, fd| {
                let n = sys.read(fd, buf)?;
                Ok((n, n > 0 && n < len))
            })
            .await
    }

    /// Writes some of `buf`; returns how much.
    pub async fn write(&self, buf: &[u8]) -> SysResult<usize> {
        self.io
            .io(Direction::Write, Call::Write, |sys, fd| {
                Ok((sys.write(fd, buf)?, false))
            })
            .await
    }

    /// Writes some of `bufs` in one `writev`.
    pub async fn writev(&self, bufs: &[IoSlice<'_>]) -> SysResult<usize> {
        self.io
            .io(Direction::Write, Call::Write, |sys, fd| {
                Ok((sys.writev(fd, bufs)?, false))
            })
            .await
    }

    /// Writes all of `buf`.
    pub async fn write_all(&self, mut buf: &[u8]) -> SysResult<()> {
        while !buf.is_empty() {
            let n = self.write(buf).await?;
            assert!(
                n <= buf.len(),
                "write reported {n} bytes for a {}-byte buffer",
                buf.len()
            );
            if n == 0 {
                return Err(Errno::EPIPE);
            }
            buf = &buf[n..];
        }
        Ok(())
    }

    /// Reads exactly `buf.len()` bytes; `Err(ECONNRESET)` if the stream ends first.
    pub async fn read_exact(&self, mut buf: &mut [u8]) -> SysResult<()> {
        while !buf.is_empty() {
            let n = self.read(buf).await?;
            if n == 0 {
                return Err(Errno::ECONNRESET);
            }
            buf = &mut buf[n..];
        }
        Ok(())
    }

    /// Waits until the stream is readable (or closed); returns the readiness bits.
    pub async fn readable(&self) -> u8 {
        self.io.ready(Direction::Read).await
    }

    /// Waits until the stream is writable (or closed); returns the readiness bits.
    pub async fn writable(&self) -> u8 {
        self.io.ready(Direction::Write).await
    }
}

/// Whether an errno on a stream means the peer is gone (reset, or closed under us).
pub fn is_disconnect(e: Errno) -> bool {
    matches!(
        e,
        Errno::ECONNRESET | Errno::EPIPE | Errno::ENOTCONN | Errno::ECONNABORTED | Errno::ETIMEDOUT
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_errnos_of_a_gone_peer_are_disconnects() {
        for gone in [
            Errno::ECONNRESET,
            Errno::EPIPE,
            Errno::ENOTCONN,
            Errno::ETIMEDOUT,
        ] {
            assert!(is_disconnect(gone), "{gone:?} is not a disconnect");
        }
        for retry in [Errno::EAGAIN, Errno::EINTR, Errno::ENOMEM, Errno::EBADF] {
            assert!(!is_disconnect(retry), "{retry:?} is a disconnect");
        }
    }
}
