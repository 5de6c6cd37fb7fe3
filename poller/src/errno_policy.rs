//! The errno policy, named once: what the poller does with each errno of each call.
//!
//! - `EINTR` anywhere: retry (std's `cvt_r` does the same; `epoll_wait` included, where Go's
//!   netpoll once treated it as fatal).
//! - `EAGAIN`: not ready; wait for the next readiness edge.
//! - `accept4` with `EMFILE`/`ENFILE`/`ENOBUFS`/`ENOMEM`: back off on a timer; the pending
//!   connection stays in the backlog and the listener stays readable, so retrying at once
//!   would spin at 100% CPU.
//! - `accept4` with `ECONNABORTED`: the peer reset before we accepted; take the next one.
//! - registering an accepted connection with epoll fails with `ENOMEM`/`ENOSPC`: that one
//!   connection is closed and the listener backs off as for `EMFILE` — the accept loop of a
//!   server must not die because the kernel was short of memory for one more watch.
//! - everything else: surface to the caller of that operation.
//!
//! Every decision is also reported as `Probe::ErrnoHandled`, so the errno-misclassification
//! oracle sees it.

use crate::sys::{Errno, ErrnoAction, Probe, Sys};

/// The syscalls whose errnos the poller classifies.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Call {
    EpollWait,
    Accept,
    Connect,
    /// `epoll_ctl(ADD)` of a connection `accept4` just returned.
    RegisterAccepted,
    Read,
    Write,
    Other(&'static str),
}

impl Call {
    pub fn name(self) -> &'static str {
        match self {
            Call::EpollWait => "epoll_wait",
            Call::Accept => "accept4",
            Call::Connect => "connect",
            Call::RegisterAccepted => "epoll_ctl",
            Call::Read => "read",
            Call::Write => "write",
            Call::Other(name) => name,
        }
    }
}

/// What to do with `errno` returned by `call`.
pub fn classify(call: Call, errno: Errno) -> ErrnoAction {
    match (call, errno) {
        (_, Errno::EINTR) => ErrnoAction::Retry,
        (_, Errno::EAGAIN) => ErrnoAction::NotReady,
        (Call::Accept, Errno::EMFILE | Errno::ENFILE | Errno::ENOMEM) => ErrnoAction::Backoff,
        (Call::Accept, Errno::ECONNABORTED) => ErrnoAction::Retry,
        (Call::RegisterAccepted, Errno::ENOMEM | Errno::ENOSPC) => ErrnoAction::Backoff,
        // A nonblocking connect reports progress through errno.
        (Call::Connect, Errno::EINPROGRESS) => ErrnoAction::NotReady,
        _ => ErrnoAction::Surface,
    }
}

/// `classify`, reported to the oracles.
#[inline]
pub fn handle<S: Sys>(sys: &S, call: Call, errno: Errno) -> ErrnoAction {
    let action = classify(call, errno);
    sys.probe(Probe::ErrnoHandled {
        call: call.name(),
        errno,
        action,
    });
    action
}

/// Calls `f` until it returns anything but `EINTR` (std's `cvt_r`, with the probe).
#[inline]
pub fn retry_eintr<S: Sys, T>(
    sys: &S,
    call: Call,
    mut f: impl FnMut() -> Result<T, Errno>,
) -> Result<T, Errno> {
    loop {
        match f() {
            Err(Errno::EINTR) => {
                handle(sys, call, Errno::EINTR);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eintr_is_retried_for_every_call_including_epoll_wait() {
        for call in [
            Call::EpollWait,
            Call::Accept,
            Call::Connect,
            Call::Read,
            Call::Write,
        ] {
            assert_eq!(classify(call, Errno::EINTR), ErrnoAction::Retry, "{call:?}");
        }
    }

    #[test]
    fn fd_exhaustion_backs_off_on_accept_but_surfaces_elsewhere() {
        assert_eq!(classify(Call::Accept, Errno::EMFILE), ErrnoAction::Backoff);
        assert_eq!(classify(Call::Accept, Errno::ENFILE), ErrnoAction::Backoff);
        assert_eq!(
            classify(Call::Other("socket"), Errno::EMFILE),
            ErrnoAction::Surface
        );
    }

    #[test]
    fn eagain_means_not_ready_and_resets_surface() {
        assert_eq!(classify(Call::Read, Errno::EAGAIN), ErrnoAction::NotReady);
        assert_eq!(
            classify(Call::Read, Errno::ECONNRESET),
            ErrnoAction::Surface
        );
        assert_eq!(classify(Call::Write, Errno::EPIPE), ErrnoAction::Surface);
    }
}
