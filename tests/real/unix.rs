//! Unix-domain sockets on the real kernel: the behaviours `unix_body` checks, on `LinuxSys`,
//! with paths under a fresh temporary directory (removed at the end) and abstract names
//! carrying the pid. `tests/sim` runs the same bodies on the simulator.

use crate::unix_body::{self, Names, Sizes};
use simkern::poller::LinuxSys;
use std::os::unix::ffi::OsStrExt;

/// The host's sizes: its sysctls, and the simulator's fitted skb charges only on 6.18 with
/// the default sndbuf (elsewhere counts of writes are not asserted, only that the buffer fills).
fn host_sizes() -> Sizes {
    let read = |path: &str| -> String {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let number = |path: &str| -> usize {
        read(path)
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let sndbuf = number("/proc/sys/net/core/wmem_default") as i32;
    let release = read("/proc/sys/kernel/osrelease");
    Sizes {
        sndbuf,
        dgram_qlen: number("/proc/sys/net/unix/max_dgram_qlen"),
        charges_fitted: release.starts_with("6.18.") && sndbuf == Sizes::SIMULATED.sndbuf,
    }
}

/// A fresh directory for one test's socket paths, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("simkern-unix-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).expect("create a temporary directory");
        TempDir(dir)
    }
    fn names(&self, name: &str) -> Names {
        Names {
            dir: self.0.as_os_str().as_bytes().to_vec(),
            tag: format!("simkern-{}-{name}-", std::process::id()).into_bytes(),
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn unix_stream_sockets_behave_as_the_simulator_assumes() {
    let _fds = crate::support::fds_shared();
    let dir = TempDir::new("stream");
    unix_body::unix_stream_behaviours(&LinuxSys, &dir.names("stream"), &host_sizes());
    assert_eq!(
        std::fs::read_dir(&dir.0).expect("read_dir").count(),
        0,
        "every socket path was unlinked"
    );
}

#[test]
fn unix_stream_send_buffer_is_the_senders_sndbuf() {
    let _fds = crate::support::fds_shared();
    unix_body::unix_stream_buffer(&LinuxSys, &host_sizes());
}

#[test]
fn unix_datagram_sockets_behave_as_the_simulator_assumes() {
    let _fds = crate::support::fds_shared();
    let dir = TempDir::new("dgram");
    unix_body::unix_dgram_behaviours(&LinuxSys, &dir.names("dgram"), &host_sizes());
}

#[test]
fn unix_sockets_wake_edge_triggered_registrations_as_the_simulator_assumes() {
    let _fds = crate::support::fds_shared();
    let dir = TempDir::new("et");
    unix_body::unix_edge_triggered(&LinuxSys, &dir.names("et"));
}
