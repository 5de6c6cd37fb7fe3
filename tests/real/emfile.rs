//! `EMFILE` on accept, on the real kernel, in a child process: the `echo-server` example runs
//! with `RLIMIT_NOFILE` 32 and `--stats-every-ms 100`, and 60 clients connect at once.
//!
//! After 3 stdio fds, the epoll fd, the eventfd and the listener, at most 26 connections fit
//! (fewer when the environment leaks fds into children, as cargo's jobserver may); the rest
//! wait in the backlog with the listener still readable, so `accept4` fails with `EMFILE`
//! until an fd frees up. The poller must back off (1 ms doubling to 100 ms) rather than retry
//! at once: the stats lines must show `accept_backoffs` growing while `iterations` stay far
//! below a spin. Then the clients leave, fds free up, and a new client gets its echo.
//!
//! The child is the example binary itself, not a copy of its code. `cargo test --test real`
//! does not build examples, so the test builds it: `$CARGO build --example echo-server` into
//! this test binary's own target directory and profile (read from `current_exe()`:
//! `<target>/<profile>/deps/real-<hash>`), taking the path from cargo's JSON messages. Cargo
//! releases its build lock before it runs test binaries, so this nested build does not wait
//! for the outer one; it does wait (correctly) for any other cargo building in the same
//! directory. The binary is then copied to a private path, because cargo re-links
//! `examples/echo-server` at the end of every build and a parallel build could pull it away.

use crate::support::{fds_shared, std_echo, wait_until, CALL_TIMEOUT};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// The child's `RLIMIT_NOFILE` (soft and hard).
const CHILD_NOFILE: u64 = 32;
/// Clients that connect at once: well above the 26 the child can hold.
const CLIENTS: usize = 60;
const STATS_EVERY: Duration = Duration::from_millis(100);
/// Stats intervals in the flood window; each is at least `STATS_EVERY` long (a task sleep).
const FLOOD_INTERVALS: usize = 10;
/// A loop retrying `accept4` at once makes well over 100,000 turns a second; back-off from
/// 1 ms doubling to 100 ms makes at most ~1,000 (plus the stats task's 10). This bound is a
/// spin detector with a margin of more than 10x below a spin, not a performance claim.
const MAX_ITERATIONS_PER_SEC: u64 = 2_000;

/// Builds the `echo-server` example for this test binary's profile; returns where it landed.
fn build_echo_server() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or(format!("{exe:?} is not <target>/<profile>/deps/<test>"))?;
    let target_dir = profile_dir
        .parent()
        .ok_or(format!("{exe:?} has no target dir"))?;
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("debug");
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--offline", "--example", "echo-server"])
        .args(["--message-format", "json-render-diagnostics"])
        .arg("--target-dir")
        .arg(target_dir);
    match profile {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    let out = cmd.output().map_err(|e| format!("running {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] == "compiler-artifact" && msg["target"]["name"] == "echo-server" {
            if let Some(path) = msg["executable"].as_str() {
                return Ok(PathBuf::from(path));
            }
        }
    }
    Err(format!("{cmd:?} reported no echo-server executable"))
}

/// Copies the built binary to a path no other build touches, retrying through the moment
/// a parallel cargo re-links the original.
fn private_copy(built: &Path) -> PathBuf {
    let copy =
        std::env::temp_dir().join(format!("simkern-real-echo-server-{}", std::process::id()));
    for _ in 0..100 {
        match std::fs::copy(built, &copy) {
            Ok(_) => return copy,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("copying {built:?} to {copy:?}: {e}"),
        }
    }
    panic!("{built:?} stayed missing for 2 s after cargo built it");
}

/// One line of the child's stdout.
enum Line {
    Listening(SocketAddr),
    Stats(BTreeMap<String, u64>),
    Other(String),
}

/// Parses `stats Stats { iterations: 1, sleeps: 2, ... }`.
fn parse_stats(line: &str) -> Option<BTreeMap<String, u64>> {
    let body = line.strip_prefix("stats Stats { ")?.strip_suffix(" }")?;
    body.split(", ")
        .map(|kv| {
            let (k, v) = kv.split_once(": ")?;
            Some((k.to_owned(), v.parse().ok()?))
        })
        .collect()
}

/// The child, killed and reaped on drop (also when the test panics), its binary copy removed,
/// and its pipe readers joined: their pipe fds must be closed before the test releases
/// `fds_shared`, or an fd-counting test could see them close.
struct ChildGuard {
    child: Child,
    binary: PathBuf,
    stderr: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl ChildGuard {
    fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The child is gone, so both pipes are at EOF and the readers end.
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let _ = std::fs::remove_file(&self.binary);
    }
}

/// Starts the example under `RLIMIT_NOFILE` = `CHILD_NOFILE`; its stdout lines arrive on the
/// returned channel.
fn start_child(binary: PathBuf) -> (ChildGuard, mpsc::Receiver<Line>) {
    let mut cmd = Command::new(&binary);
    cmd.args(["127.0.0.1:0", "--stats-every-ms"])
        .arg(STATS_EVERY.as_millis().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: runs in the forked child before exec; setrlimit is a plain syscall
    // (async-signal-safe) and the closure allocates nothing. Same as `ulimit -n 32; exec`.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: CHILD_NOFILE,
                rlim_max: CHILD_NOFILE,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {binary:?}: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let mut stderr_pipe = child.stderr.take().expect("piped stderr");
    let stderr = Arc::new(Mutex::new(String::new()));
    let mut guard = ChildGuard {
        child,
        binary,
        stderr: stderr.clone(),
        readers: Vec::new(),
    };
    let stderr_reader = std::thread::Builder::new()
        .name("emfile-child-stderr".into())
        .spawn(move || {
            let mut text = String::new();
            let _ = stderr_pipe.read_to_string(&mut text);
            *stderr.lock().unwrap_or_else(|p| p.into_inner()) = text;
        })
        .expect("spawn the stderr reader");
    guard.readers.push(stderr_reader);
    let (tx, rx) = mpsc::channel();
    let stdout_reader = std::thread::Builder::new()
        .name("emfile-child-stdout".into())
        .spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let parsed = if let Some(addr) = line.strip_prefix("listening on ") {
                    addr.parse()
                        .map(Line::Listening)
                        .unwrap_or(Line::Other(line))
                } else if let Some(stats) = parse_stats(&line) {
                    Line::Stats(stats)
                } else {
                    Line::Other(line)
                };
                if tx.send(parsed).is_err() {
                    return;
                }
            }
        })
        .expect("spawn the stdout reader");
    guard.readers.push(stdout_reader);
    (guard, rx)
}

/// The next stats line (other lines are kept in `others` for failure messages).
fn next_stats(
    rx: &mpsc::Receiver<Line>,
    guard: &ChildGuard,
    others: &mut Vec<String>,
) -> BTreeMap<String, u64> {
    loop {
        match rx.recv_timeout(CALL_TIMEOUT) {
            Ok(Line::Stats(s)) => return s,
            Ok(Line::Other(l)) => others.push(l),
            Ok(Line::Listening(a)) => others.push(format!("listening on {a} (again?)")),
            Err(e) => panic!(
                "no stats line from the child ({e:?}); other stdout: {others:?}\nstderr:\n{}",
                guard.stderr()
            ),
        }
    }
}

fn get(s: &BTreeMap<String, u64>, key: &str) -> u64 {
    *s.get(key)
        .unwrap_or_else(|| panic!("stats line has no {key:?}: {s:?}"))
}

/// How much counter `key` grew from `first` to `last`; a counter never goes down.
fn grew(first: &BTreeMap<String, u64>, last: &BTreeMap<String, u64>, key: &str) -> u64 {
    let (a, b) = (get(first, key), get(last, key));
    b.checked_sub(a)
        .unwrap_or_else(|| panic!("counter {key} went down from {a} to {b}"))
}

#[test]
fn echo_server_under_a_32_fd_limit_backs_off_on_emfile_without_spinning_and_recovers() {
    let _fds = fds_shared();
    let built = build_echo_server().unwrap_or_else(|e| panic!("building the example: {e}"));
    let (guard, rx) = start_child(private_copy(&built));
    let mut others = Vec::new();
    let addr = loop {
        match rx.recv_timeout(CALL_TIMEOUT) {
            Ok(Line::Listening(addr)) => break addr,
            Ok(Line::Other(l)) => others.push(l),
            Ok(Line::Stats(_)) => {}
            Err(e) => panic!(
                "child never said `listening on` ({e:?})\nstderr:\n{}",
                guard.stderr()
            ),
        }
    };

    let clients: Vec<std::net::TcpStream> = (0..CLIENTS)
        .map(|i| {
            std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))
                .unwrap_or_else(|e| panic!("client {i} connecting to {addr}: {e}"))
        })
        .collect();
    // Skip the line that may straddle the connects; then the window starts.
    next_stats(&rx, &guard, &mut others);
    let window: Vec<_> = (0..=FLOOD_INTERVALS)
        .map(|_| next_stats(&rx, &guard, &mut others))
        .collect();
    let (first, last) = (&window[0], &window[FLOOD_INTERVALS]);
    let state = || format!("flood window:\n{window:#?}\nstderr:\n{}", guard.stderr());
    assert!(
        get(last, "operators").saturating_sub(2) < CLIENTS as u64,
        "the child held all {CLIENTS} connections: the fd limit did not bite\n{}",
        state()
    );
    // Retries at most 100 ms apart over >= 1 s: ~10 more back-offs; 3 leaves a wide margin.
    let backoffs = grew(first, last, "accept_backoffs");
    assert!(
        backoffs >= 3,
        "accept_backoffs grew by {backoffs} in the window\n{}",
        state()
    );
    let iterations = grew(first, last, "iterations");
    // The window spans FLOOD_INTERVALS sleeps of >= STATS_EVERY each, so >= 1 s.
    let min_window_ms = STATS_EVERY.as_millis() as u64 * FLOOD_INTERVALS as u64;
    assert!(
        iterations * 1_000 < MAX_ITERATIONS_PER_SEC * min_window_ms,
        "{iterations} loop iterations in >= {min_window_ms} ms: the accept loop spins\n{}",
        state()
    );

    drop(clients);
    std_echo(addr, b"served again once fds freed up")
        .unwrap_or_else(|e| panic!("no recovery after the flood: {e}\n{}", state()));
    // Every connection closed: back to the waker's eventfd and the listener.
    let mut last_seen = BTreeMap::new();
    wait_until("the child closes every connection", CALL_TIMEOUT, || {
        last_seen = next_stats(&rx, &guard, &mut others);
        match get(&last_seen, "operators") {
            2 => Ok(()),
            n => Err(format!("{n} operators: {last_seen:?}")),
        }
    });
    drop(guard);
}
