//! Crash isolation for `Check`: the seeds run in a child process, the test binary run again
//! for this one test, and the parent reads its progress and failure report from the child's
//! stderr. An abort, a stack overflow, a segfault or a hang (killed after the timeout) is a
//! failing seed with its replay command, never a dead test binary.

use super::env::env_u64;
use super::{Check, CHILD_ENV, FAILURE, PROGRESS, TIMEOUT_S_DEFAULT};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

impl Check {
    /// Runs the seeds in a child process of this test binary.
    pub(super) fn run_isolated(&self, name: &str, index: u32) -> Result<(), String> {
        let exe = std::env::current_exe()
            .map_err(|e| format!("Check: cannot find the test binary to re-run: {e}"))?;
        let range = self.seed_range();
        let mut child = Command::new(exe)
            .args([name, "--exact", "--nocapture", "--include-ignored"])
            .args(["--test-threads", "1"])
            .env(CHILD_ENV, format!("{name}#{index}"))
            .env("SIMKERN_FIRST_SEED", range.start.to_string())
            .env("SIMKERN_SEEDS", (range.end - range.start).to_string())
            .env_remove("SIMKERN_SEED")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("Check: cannot start the test binary again: {e}"))?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let reader = crate::wall::background(move || read_child(stderr));
        let timeout = env_u64("SIMKERN_CHECK_TIMEOUT_S")
            .map(Duration::from_secs)
            .or(self.timeout)
            .unwrap_or(Duration::from_secs(TIMEOUT_S_DEFAULT));
        let (status, hung) = crate::wall::wait_with_timeout(&mut child, timeout);
        let (last_seed, failure, rest) = reader.join().expect("the stderr reader does not panic");
        if let Some(report) = failure {
            return Err(report);
        }
        if status.as_ref().is_some_and(|s| s.success()) && !hung {
            return match last_seed {
                // The child ran its seeds (every one, or none in an empty range).
                _ if range.is_empty() || last_seed == Some(range.end - 1) => Ok(()),
                _ => Err(format!(
                    "Check: the child process of {name} exited 0 without running seeds \
                     {range:?} (last seed it started: {last_seed:?}); is `{name}` the full \
                     test name? (`Check::name`)\n{rest}"
                )),
            };
        }
        let how = if hung {
            format!("hung (no result in {} s; killed)", timeout.as_secs())
        } else {
            match status {
                Some(s) => crate::wall::describe_exit(&s),
                None => "ended in an unknown way".into(),
            }
        };
        let seed = last_seed.map_or("before its first seed".into(), |s| format!("on seed {s}"));
        let replay = last_seed.map(|s| self.replay_hint(s)).unwrap_or_default();
        Err(format!(
            "{} crashed {seed}: the code under test {how}\n{replay}\nits last output:\n{}",
            self.what(),
            tail_lines(&rest, 30)
        ))
    }
}

/// Reads the child's stderr: the last seed it started, its failure report, and the rest.
fn read_child(stderr: impl Read) -> (Option<u64>, Option<String>, String) {
    let mut last = None;
    let mut failure: Option<String> = None;
    let mut rest = String::new();
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        if let Some(f) = failure.as_mut() {
            f.push_str(&line);
            f.push('\n');
        } else if let Some(seed) = line.strip_prefix(PROGRESS) {
            last = seed.trim().parse().ok();
        } else if line == FAILURE.trim_end() {
            failure = Some(String::new());
        } else {
            rest.push_str(&line);
            rest.push('\n');
        }
    }
    (last, failure, rest)
}

fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
