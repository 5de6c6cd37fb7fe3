//! Real time and real threads for the *runner* (never for code under simulation): wall-clock
//! measurement of batches and the worker threads that run seeds side by side.

#![allow(clippy::disallowed_methods)] // the one place the runner reads real time and spawns real threads

use std::time::Instant;

pub struct Stopwatch(Instant);

impl Stopwatch {
    pub fn start() -> Self {
        Stopwatch(Instant::now())
    }

    pub fn seconds(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

/// A moment ahead in wall-clock time: a nightly's budget, which seeds still running at it
/// do not outlive.
#[derive(Copy, Clone, Debug)]
pub struct Deadline(Instant);

impl Deadline {
    /// `d` from now.
    pub fn after(d: std::time::Duration) -> Deadline {
        Deadline(Instant::now() + d)
    }

    /// Time left (zero once it has passed).
    pub fn remaining(&self) -> std::time::Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    pub fn passed(&self) -> bool {
        self.remaining().is_zero()
    }
}

/// Runs `work` on `jobs` scoped OS threads and waits for all of them.
pub fn scoped_workers(jobs: usize, work: impl Fn() + Sync) {
    if jobs <= 1 {
        return work();
    }
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(&work);
        }
    });
}

/// Runs `f` on a real thread of the runner's (reading a child process's output, say).
pub fn background<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    std::thread::spawn(f)
}

/// Waits for `child` at most `timeout` (polling, so no thread is left behind); kills it past
/// that. The exit status (`None` if it could not be read) and whether it was killed for time.
pub fn wait_with_timeout(
    child: &mut std::process::Child,
    timeout: std::time::Duration,
) -> (Option<std::process::ExitStatus>, bool) {
    let start = Instant::now();
    let mut pause = std::time::Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return (Some(status), false),
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                return (child.wait().ok(), true);
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(50));
            }
            Err(_) => return (None, false),
        }
    }
}

/// How a process ended, in words: `exited with code 3`, `was killed by SIGABRT (an abort,
/// or a stack overflow: Rust aborts on one)`.
pub fn describe_exit(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(sig)) => format!("was killed by {}", signal_name(sig)),
        (None, None) => "ended without a code or a signal".into(),
    }
}

/// A signal's name (`SIGSEGV`), or `signal N`.
pub fn signal_name(sig: i32) -> String {
    match sig {
        4 => "SIGILL".into(),
        6 => "SIGABRT".into(),
        7 => "SIGBUS".into(),
        8 => "SIGFPE".into(),
        9 => "SIGKILL".into(),
        11 => "SIGSEGV".into(),
        15 => "SIGTERM".into(),
        n => format!("signal {n}"),
    }
}
