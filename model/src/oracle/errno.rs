//! `errno`: a retryable errno treated as an error.
//!
//! Each errno demands its own handling (see the poller's `errno_policy`): `EINTR` means call
//! again (Go's netpoll once died on `EINTR` from `epoll_wait`), `EAGAIN` means not ready yet,
//! `EMFILE`/`ENFILE` from `accept4` mean back off (the connection stays in the backlog and
//! the listener stays readable, so giving up loses the server and retrying at once spins), and
//! `EINPROGRESS` from a nonblocking `connect` means the handshake is under way (wait for
//! `EPOLLOUT`, then read `SO_ERROR`; giving up drops a connection that would have been made).
//! The code reports each decision (`ErrnoHandled`); the table below says which decisions are
//! wrong. Errnos outside these three classes are not judged (surfacing `ECONNRESET` is right).

use super::{Action, At, Fact};

pub const NAME: &str = "errno";

/// Linux's values (x86_64, aarch64) of the errnos judged here.
pub const EINTR: i32 = 4;
pub const EAGAIN: i32 = crate::errno::EAGAIN;
pub const ENFILE: i32 = 23;
pub const EMFILE: i32 = crate::errno::EMFILE;
pub const EINPROGRESS: i32 = crate::errno::EINPROGRESS;

/// The classes of errno the oracle judges.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Class {
    /// `EINTR`: a signal interrupted the call; nothing is wrong.
    Interrupted,
    /// `EAGAIN`: nonblocking, not ready.
    NotReady,
    /// `EMFILE`/`ENFILE` from `accept4`: out of fds for now.
    AcceptExhausted,
    /// `EINPROGRESS` from `connect`: the handshake goes on without the caller.
    ConnectInProgress,
    /// Anything else: not judged.
    Other,
}

fn class(call: &str, errno: i32) -> Class {
    match (call, errno) {
        (_, EINTR) => Class::Interrupted,
        (_, EAGAIN) => Class::NotReady,
        ("accept4", EMFILE | ENFILE) => Class::AcceptExhausted,
        ("connect", EINPROGRESS) => Class::ConnectInProgress,
        _ => Class::Other,
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Verdict {
    Right,
    Wrong(&'static str),
}

/// The decision table.
fn verdict(class: Class, action: Action) -> Verdict {
    use Action::*;
    match (class, action) {
        // EINTR: retry; waiting (a connect that goes on asynchronously) or backing off is harmless.
        (Class::Interrupted, Retry | NotReady | Backoff) => Verdict::Right,
        (Class::Interrupted, Surface | Fatal) => Verdict::Wrong(
            "EINTR only says a signal arrived; the call must be retried (std's cvt_r does)",
        ),
        (Class::NotReady, NotReady | Backoff) => Verdict::Right,
        (Class::NotReady, Retry) => Verdict::Wrong(
            "EAGAIN means not ready: retrying at once spins; wait for the next readiness edge",
        ),
        (Class::NotReady, Surface | Fatal) => {
            Verdict::Wrong("EAGAIN means not ready, not failed: wait for readiness")
        }
        (Class::AcceptExhausted, Backoff) => Verdict::Right,
        (Class::AcceptExhausted, Retry | NotReady) => Verdict::Wrong(
            "fd exhaustion leaves the connection in the backlog and the listener readable: \
             retrying at once spins at 100% CPU; back off on a timer",
        ),
        (Class::AcceptExhausted, Surface | Fatal) => Verdict::Wrong(
            "fd exhaustion is temporary: giving up on accept loses the server; back off on a \
             timer and try again",
        ),
        // Retry is how EINTR's connect is waited for too: both wait for EPOLLOUT.
        (Class::ConnectInProgress, NotReady | Retry) => Verdict::Right,
        (Class::ConnectInProgress, Backoff | Surface | Fatal) => Verdict::Wrong(
            "EINPROGRESS says a nonblocking connect has started, not failed: wait for \
             EPOLLOUT, then read SO_ERROR for the outcome",
        ),
        (Class::Other, Retry | NotReady | Backoff | Surface | Fatal) => Verdict::Right,
    }
}

#[derive(Default)]
pub struct ErrnoPolicy {}

impl ErrnoPolicy {
    pub fn observe(&mut self, _at: At, fact: &Fact) -> Result<(), String> {
        let Fact::ErrnoHandled {
            call,
            errno,
            action,
        } = *fact
        else {
            return Ok(());
        };
        match verdict(class(call, errno), action) {
            Verdict::Right => Ok(()),
            Verdict::Wrong(why) => Err(format!(
                "{call} returned {} and the code decided {action:?}: {why}",
                name(errno)
            )),
        }
    }
}

fn name(errno: i32) -> String {
    match errno {
        EINTR => "EINTR".into(),
        ENFILE => "ENFILE".into(),
        e => crate::errno::describe(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(call: &'static str, errno: i32, action: Action) -> Result<(), String> {
        ErrnoPolicy::default().observe(
            At::new(0, 1),
            &Fact::ErrnoHandled {
                call,
                errno,
                action,
            },
        )
    }

    #[test]
    fn eintr_from_epoll_wait_treated_as_fatal_is_caught() {
        let err = judge("epoll_wait", EINTR, Action::Fatal).unwrap_err();
        assert!(err.contains("epoll_wait returned EINTR"), "{err}");
        judge("epoll_wait", EINTR, Action::Retry).unwrap();
    }

    #[test]
    fn eagain_surfaced_and_emfile_on_accept_not_backed_off_are_caught() {
        assert!(judge("read", EAGAIN, Action::Surface).is_err());
        assert!(judge("read", EAGAIN, Action::Retry).is_err());
        judge("read", EAGAIN, Action::NotReady).unwrap();
        assert!(judge("accept4", EMFILE, Action::Fatal).is_err());
        assert!(judge("accept4", ENFILE, Action::Retry).is_err());
        judge("accept4", EMFILE, Action::Backoff).unwrap();
    }

    #[test]
    fn a_connect_in_progress_given_up_on_is_caught() {
        for wrong in [Action::Surface, Action::Fatal, Action::Backoff] {
            let err = judge("connect", EINPROGRESS, wrong).unwrap_err();
            assert!(err.contains("connect returned EINPROGRESS"), "{err}");
        }
        judge("connect", EINPROGRESS, Action::NotReady).unwrap();
        judge("read", EINPROGRESS, Action::Surface).unwrap();
    }

    #[test]
    fn other_errnos_are_not_judged() {
        judge("read", crate::errno::ECONNRESET, Action::Surface).unwrap();
        judge("socket", EMFILE, Action::Surface).unwrap();
    }
}
