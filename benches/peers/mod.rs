//! The same echo on peer simulators, and a real syscall as a yardstick, so Simkern's `echo`
//! figures can be reported as ratios measured in the same run.
//!
//! - `turmoil_echo`: the echo on turmoil 0.7, in this process.
//! - `madsim_echo`: the echo on madsim 0.2, as a child process (`bench-madsim/`, built with
//!   `--cfg madsim`, which must not reach this workspace's build).
//! - `getppid`: the mean cost of one real `getppid()` call.
//!
//! The echo, on every peer: one server and `clients` clients, each client connecting once
//! and doing `rounds` round trips of `size` bytes (write, read the echo back whole, check
//! every byte); the server echoes whatever it reads. Each peer runs with its own default
//! network settings: none is tuned to make it faster or slower. Wall time covers building
//! the simulation, running it to completion and tearing it down; for madsim, not the child's
//! start-up.

// These measure peers in real time: the clippy.toml bans are for sim-run code.
#![allow(clippy::disallowed_methods)]

mod getppid;
mod madsim_echo;
mod turmoil_echo;

pub use getppid::getppid_ns;
pub use madsim_echo::madsim_echo;
pub use turmoil_echo::turmoil_echo;

/// One timed run of an echo: how many round trips it completed and how long it took.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measurement {
    pub round_trips: u64,
    pub wall_s: f64,
}

impl Measurement {
    /// Round trips per second of wall time.
    pub fn per_s(&self) -> f64 {
        self.round_trips as f64 / self.wall_s
    }
}

/// The message of `client`'s round `seq`: the sequence number, then a filler that differs per
/// client and per round, so a misrouted or stale echo fails the check. The same scheme as
/// `real_echo::fill_message` and `bench-madsim`, so every peer copies the same bytes.
pub(crate) fn fill_message(msg: &mut [u8], client: usize, seq: u64) {
    let head = msg.len().min(8);
    msg[..head].copy_from_slice(&seq.to_le_bytes()[..head]);
    let salt = (seq.wrapping_mul(31) ^ client as u64) as u8;
    for (j, b) in msg[head..].iter_mut().enumerate() {
        *b = j as u8 ^ salt;
    }
}
