//! tokio on Simkern's mio: `examples/tokio-on-simkern` patches `mio` to `mio-shim` (a crate
//! named `mio` that is `simkern::mio`), so tokio's `current_thread` runtime, unchanged, runs
//! on real epoll and on the simulated kernel. Its binary serves one echo connection with
//! tokio against a client on simkern::mio, on both kernels, and over seeds checks that each
//! seed completes and gives one trace hash twice. It is built in the dev profile, as a
//! user's `cargo test` would build Simkern: overflow checks on, which the workspace's
//! release-built suite never has.

use crate::user_crate::outside_cargo;
use std::path::Path;

#[test]
fn tokio_current_thread_runs_on_the_simulated_kernel_and_replays_exactly() {
    let manifest =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/tokio-on-simkern/Cargo.toml");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tokio-on-simkern");
    let o = outside_cargo("run", &manifest, &target)
        .args(["--quiet", "--", "30"])
        .output()
        .expect("run cargo");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(
        o.status.success(),
        "tokio-on-simkern failed:\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("real epoll: 5 round trips"), "{stdout}");
    assert!(
        stdout.contains("simulated kernel: 30 seeds, each twice, 0 failed or differed"),
        "{stdout}"
    );
}
