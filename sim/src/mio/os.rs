//! `Os`: which kernel an object's calls go to, fixed when the object is made.
//!
//! mio code never says which kernel it runs on, so `simkern::mio` decides: an object made on a
//! simulated thread (inside a run) is simulated, one made anywhere else is real. The choice is
//! made once, at creation, and kept in the object (one byte), so each later call costs one
//! well-predicted branch, not a thread-local read. An object keeps its kernel for life: a real
//! socket registered with a simulated `Poll` (or the reverse) is refused with `InvalidInput`,
//! because its fd number means nothing in the other kernel's fd table.

use crate::sys::SimSys;
use simkern_poller::sys::linux::LinuxSys;
use simkern_poller::sys::{Errno, Fd, SockOpt, SockOptGet};
use std::io;
use std::mem::ManuallyDrop;

/// A kernel: real Linux or the run's simulated one.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Os {
    Linux,
    Sim,
}

impl Os {
    /// The kernel of the calling thread: simulated inside a run, real outside.
    pub(crate) fn current() -> Os {
        if crate::world::in_run() {
            Os::Sim
        } else {
            Os::Linux
        }
    }

    /// The error for an object of kernel `self` used with one of kernel `other`.
    pub(crate) fn mismatch(self, other: Os) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "simkern::mio: a {} object used with a {} one (an object keeps the kernel of \
                 the thread that made it)",
                self.name(),
                other.name()
            ),
        )
    }

    fn name(self) -> &'static str {
        match self {
            Os::Linux => "real-kernel",
            Os::Sim => "simulated-kernel",
        }
    }
}

/// Runs one `Sys` call on `os`'s kernel and converts the errno into `io::Error` (with the raw
/// OS error code, as mio's errors carry it). `$sys` names the backend inside `$call`.
macro_rules! on {
    ($os:expr, |$sys:ident| $call:expr) => {{
        #[allow(unused_imports)]
        use simkern_poller::sys::Sys as _;
        match $os {
            $crate::mio::os::Os::Linux => {
                let $sys = simkern_poller::sys::linux::LinuxSys;
                $call
            }
            $crate::mio::os::Os::Sim => {
                let $sys = $crate::sys::SimSys;
                $call
            }
        }
        .map_err($crate::mio::os::io_error)
    }};
}
pub(crate) use on;

/// An errno as `io::Error`, raw code kept.
pub(crate) fn io_error(errno: Errno) -> io::Error {
    io::Error::from_raw_os_error(errno.0)
}

/// An fd owned by a mio object, closed on drop in the kernel it belongs to.
#[derive(Debug)]
pub(crate) struct OwnedFd {
    pub(crate) os: Os,
    pub(crate) fd: Fd,
}

impl OwnedFd {
    /// Takes ownership of `fd` in the calling thread's kernel.
    pub(crate) fn current(fd: i32) -> OwnedFd {
        OwnedFd {
            os: Os::current(),
            fd: Fd(fd),
        }
    }

    /// Gives the fd up without closing it.
    pub(crate) fn into_raw(self) -> i32 {
        ManuallyDrop::new(self).fd.0
    }

    /// `SO_ERROR`, cleared by reading it (mio's `take_error` on every socket type).
    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        let fd = self.fd;
        Ok(on!(self.os, |s| s.so_error(fd))?.map(io_error))
    }

    /// `shutdown`, with std's `Shutdown` as mio takes it.
    pub(crate) fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        use simkern_poller::sys::Shutdown;
        let how = match how {
            std::net::Shutdown::Read => Shutdown::Read,
            std::net::Shutdown::Write => Shutdown::Write,
            std::net::Shutdown::Both => Shutdown::Both,
        };
        let fd = self.fd;
        on!(self.os, |s| s.shutdown(fd, how))
    }

    /// `IP_TTL`, the `u32` passed on as std passes it (a C `int`).
    pub(crate) fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        let fd = self.fd;
        on!(self.os, |s| s.setsockopt(fd, SockOpt::Ttl(ttl)))
    }

    /// `getsockopt(IP_TTL)`: as set, else the system's default.
    pub(crate) fn ttl(&self) -> io::Result<u32> {
        let fd = self.fd;
        on!(self.os, |s| s.getsockopt(fd, SockOptGet::Ttl)).map(|v| v as u32)
    }
}

impl Drop for OwnedFd {
    fn drop(&mut self) {
        // As std's `OwnedFd`: a failed close is not reported (the fd is gone either way).
        let _ = match self.os {
            Os::Linux => simkern_poller::sys::Sys::close(&LinuxSys, self.fd),
            Os::Sim => simkern_poller::sys::Sys::close(&SimSys, self.fd),
        };
    }
}

/// `AsRawFd`, `IntoRawFd` and `FromRawFd` for a type that is one `OwnedFd` (`inner`). A type
/// made `from_raw_fd` belongs to the calling thread's kernel, as if it had been made there.
macro_rules! raw_fd {
    ($ty:ident) => {
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.inner.fd.0
            }
        }
        impl std::os::fd::IntoRawFd for $ty {
            fn into_raw_fd(self) -> std::os::fd::RawFd {
                self.inner.into_raw()
            }
        }
        impl std::os::fd::FromRawFd for $ty {
            /// # Safety
            /// `fd` must be an open fd of the calling thread's kernel, owned by nobody else.
            unsafe fn from_raw_fd(fd: std::os::fd::RawFd) -> $ty {
                $ty {
                    inner: $crate::mio::os::OwnedFd::current(fd),
                }
            }
        }
    };
}
pub(crate) use raw_fd;

/// `Read` for `&$ty` and `$ty`, a type that is one `OwnedFd` (`inner`): `read(2)`.
macro_rules! fd_read {
    ($ty:ident) => {
        impl std::io::Read for &$ty {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let (os, fd) = (self.inner.os, self.inner.fd);
                $crate::mio::os::on!(os, |s| s.read(fd, buf))
            }
        }
        impl std::io::Read for $ty {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                std::io::Read::read(&mut &*self, buf)
            }
        }
    };
}
pub(crate) use fd_read;

/// `Write` for `&$ty` and `$ty`: `write(2)` and `writev(2)` (`EPIPE`, never `SIGPIPE`, on a
/// socket), `flush` a no-op as on every unbuffered fd.
macro_rules! fd_write {
    ($ty:ident) => {
        impl std::io::Write for &$ty {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                let (os, fd) = (self.inner.os, self.inner.fd);
                $crate::mio::os::on!(os, |s| s.write(fd, buf))
            }
            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                let (os, fd) = (self.inner.os, self.inner.fd);
                $crate::mio::os::on!(os, |s| s.writev(fd, bufs))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        impl std::io::Write for $ty {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                std::io::Write::write(&mut &*self, buf)
            }
            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                std::io::Write::write_vectored(&mut &*self, bufs)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
    };
}
pub(crate) use fd_write;

/// mio's `try_io` for `$ty`: runs `f`, an I/O call on the object's fd. On epoll the edge needs
/// no re-arming after `WouldBlock`, so this is the call itself.
macro_rules! try_io {
    ($ty:ident) => {
        impl $ty {
            pub fn try_io<F, T>(&self, f: F) -> std::io::Result<T>
            where
                F: FnOnce() -> std::io::Result<T>,
            {
                f()
            }
        }
    };
}
pub(crate) use try_io;
