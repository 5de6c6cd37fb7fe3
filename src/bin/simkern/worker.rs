//! Crash isolation: `simkern run` runs seeds in worker processes (this same binary, hidden
//! subcommand `__worker`), so code under test that aborts, segfaults or overflows its stack
//! kills one worker, not the run. The parent records that seed as a failure with the signal
//! in its signature (`crash: SIGSEGV`) and starts a fresh worker for the next seed.
//!
//! Protocol: the parent writes one seed per line on the worker's stdin; the worker answers
//! each with one JSON `SeedResult` line on stdout. One seed is in flight per worker, so a
//! worker that dies dies holding exactly one known seed.

use crate::Outcome;
use simkern::sim::batch::{SeedResult, SeedRunner, CRASH_PREFIX};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};

#[derive(clap::Args)]
pub struct Args {
    /// The `run` arguments that define the batch (scenario, variant, params, strategy, faults).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    spec: Vec<String>,
}

/// The worker: answers seeds from stdin until it closes.
pub fn serve(args: Args) -> Outcome {
    let batch = crate::run::batch_from_spec(&args.spec)?;
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| format!("worker stdin: {e}"))?;
        let seed: u64 = line
            .trim()
            .parse()
            .map_err(|_| format!("worker: {line:?} is not a seed"))?;
        let result = batch.run_one(seed);
        let json = serde_json::to_string(&result).expect("results serialise");
        writeln!(out, "{json}")
            .and_then(|()| out.flush())
            .map_err(|e| format!("worker stdout: {e}"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The parent's end of one worker process.
pub struct Worker {
    spec: Vec<String>,
    child: Option<(Child, ChildStdin, BufReader<ChildStdout>)>,
}

impl Worker {
    pub fn new(spec: Vec<String>) -> Self {
        Worker { spec, child: None }
    }

    fn start(&mut self) -> std::io::Result<()> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .arg("__worker")
            .args(&self.spec)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // A crashing worker's own last words (a stack-overflow note) are noise here: the
            // signal is recorded in the failure's signature.
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        self.child = Some((child, stdin, stdout));
        Ok(())
    }

    fn ask(&mut self, seed: u64) -> Option<SeedResult> {
        let (_, stdin, stdout) = self.child.as_mut()?;
        writeln!(stdin, "{seed}").ok()?;
        stdin.flush().ok()?;
        let mut line = String::new();
        match stdout.read_line(&mut line) {
            Ok(n) if n > 0 => serde_json::from_str(&line).ok(),
            _ => None,
        }
    }

    /// The dead worker's cause of death, as a signature.
    fn bury(&mut self) -> String {
        let Some((mut child, stdin, _)) = self.child.take() else {
            return format!("{CRASH_PREFIX}worker could not start");
        };
        drop(stdin);
        match child.wait() {
            Ok(status) => match status.signal() {
                Some(sig) => format!("{CRASH_PREFIX}{}", signal_name(sig)),
                None => format!("{CRASH_PREFIX}worker exited with {status}"),
            },
            Err(e) => format!("{CRASH_PREFIX}worker lost: {e}"),
        }
    }
}

impl SeedRunner for Worker {
    fn run(&mut self, seed: u64) -> SeedResult {
        if self.child.is_none() && self.start().is_err() {
            return SeedResult {
                trace_hash: 0,
                signature: self.bury(),
                steps: 0,
            };
        }
        match self.ask(seed) {
            Some(result) => result,
            None => SeedResult {
                trace_hash: 0,
                signature: self.bury(),
                steps: 0,
            },
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some((mut child, stdin, _)) = self.child.take() {
            drop(stdin); // EOF: the worker's loop ends and it exits
            let _ = child.wait();
        }
    }
}

fn signal_name(sig: i32) -> String {
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

/// The batch's runner factory: a worker process per job.
pub fn factory(spec: Vec<String>) -> impl Fn() -> Box<dyn SeedRunner> + Sync {
    move || Box::new(Worker::new(spec.clone()))
}
