//! The two-kernel harness and small helpers shared by the behaviour tests.

use simkern::mio::{Events, Poll, Token};
use std::io;
use std::time::Duration;

/// Defines `NAME::on_real_epoll` and `NAME::on_the_simulator` over one body. The simulator
/// runs `SEEDS` seeds with the random strategy, each in the crash-isolated child.
macro_rules! both_kernels {
    ($name:ident, $body:ident) => {
        mod $name {
            #[test]
            fn on_real_epoll() {
                super::$body()
            }
            #[test]
            fn on_the_simulator() {
                simkern::Check::closure(super::$body)
                    .seeds($crate::support::SEEDS)
                    .run()
            }
        }
    };
}
pub(crate) use both_kernels;

/// Seeds per behaviour on the simulator.
pub const SEEDS: u64 = 200;

/// Polls until an event for `token` satisfies `want`, failing after `POLLS_MAX` polls of
/// `POLL_MS` (a real kernel answers loopback work in microseconds; the bound only turns a
/// missing event into a failure instead of a hang).
pub fn wait_for(
    poll: &mut Poll,
    events: &mut Events,
    token: Token,
    want: impl Fn(&simkern::mio::event::Event) -> bool,
) {
    for _ in 0..POLLS_MAX {
        poll_retrying(poll, events, Some(Duration::from_millis(POLL_MS)));
        if events.iter().any(|e| e.token() == token && want(e)) {
            return;
        }
    }
    panic!("no wanted event for {token:?} after {POLLS_MAX} polls of {POLL_MS} ms");
}

const POLLS_MAX: u32 = 500;
const POLL_MS: u64 = 10;

/// `poll`, retrying `EINTR` as mio's examples do.
pub fn poll_retrying(poll: &mut Poll, events: &mut Events, timeout: Option<Duration>) {
    loop {
        match poll.poll(events, timeout) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other.expect("poll"),
        }
    }
}

/// Whether an I/O result is mio's "wait for the next event".
pub fn would_block<T>(r: &io::Result<T>) -> bool {
    matches!(r, Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}
