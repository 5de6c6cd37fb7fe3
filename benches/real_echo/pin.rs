//! Where the two loop threads run: `Pin`, applied with `sched_setaffinity`.
//!
//! Left to itself the scheduler sometimes puts client and server on one CPU (wake-affine) and
//! sometimes on two, and a ping-pong round trip then costs ~10 µs or ~100 µs (measured on a
//! 2-vCPU VM): a run-to-run swing far larger than any difference between event loops. Pinning
//! removes that choice from the measurement. The default, `Split`, keeps the topology of a
//! real client and server (a CPU each); `Shared` puts both on one CPU, so a round trip costs
//! the CPU work of both sides and nothing else (no cross-CPU wakeup), which shows the loops'
//! own overhead best.

use std::fmt;

/// The environment variable that chooses the placement.
pub const ENV: &str = "SIMKERN_BENCH_PIN";

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Pin {
    /// Server on the first allowed CPU, client on the second (both on the first if only one).
    Split,
    /// Server and client on the first allowed CPU.
    Shared,
    /// No pinning: the scheduler decides.
    Off,
}

impl Pin {
    /// Reads `ENV`; unset means `Split`. Errors name the variable and the value.
    pub fn from_env() -> Result<Pin, String> {
        match std::env::var(ENV) {
            Err(std::env::VarError::NotPresent) => Ok(Pin::Split),
            Ok(v) if v == "split" => Ok(Pin::Split),
            Ok(v) if v == "shared" => Ok(Pin::Shared),
            Ok(v) if v == "off" => Ok(Pin::Off),
            Ok(v) => Err(format!("{ENV}={v:?}: expected split, shared or off")),
            Err(e) => Err(format!("{ENV}: {e}")),
        }
    }

    /// The CPUs for (server, client), chosen from the CPUs this process may run on.
    pub fn cpus(self) -> Option<(usize, usize)> {
        if self == Pin::Off {
            return None;
        }
        let allowed = allowed_cpus();
        let first = *allowed
            .first()
            .expect("sched_getaffinity reported no CPU this process may run on");
        let second = allowed.get(1).copied().unwrap_or(first);
        Some(match self {
            Pin::Split => (first, second),
            Pin::Shared | Pin::Off => (first, first),
        })
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cpus() {
            None => write!(f, "{ENV}=off (unpinned)"),
            Some((server, client)) => write!(
                f,
                "{ENV}={} (server on CPU {server}, client on CPU {client})",
                format!("{self:?}").to_lowercase()
            ),
        }
    }
}

/// The CPUs the calling thread may run on, in ascending order.
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: cpu_set_t is plain old data; all-zero is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is writable for the size passed; pid 0 is the calling thread.
    let ret = unsafe { libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) };
    assert_eq!(
        ret,
        0,
        "sched_getaffinity failed: {}",
        std::io::Error::last_os_error()
    );
    (0..libc::CPU_SETSIZE as usize)
        // SAFETY: `cpu` is below CPU_SETSIZE, the set's capacity.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect()
}

/// Pins the calling thread to `cpu`.
pub fn pin_current_thread(cpu: usize) {
    // SAFETY: as in `allowed_cpus`.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` comes from `allowed_cpus`, so it is below CPU_SETSIZE.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is readable for the size passed; pid 0 is the calling thread.
    let ret = unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) };
    assert_eq!(
        ret,
        0,
        "sched_setaffinity to CPU {cpu} failed: {}",
        std::io::Error::last_os_error()
    );
}
