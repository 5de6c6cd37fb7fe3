//! Crash isolation: `run` and `nightly` run seeds in worker processes (this same binary,
//! hidden subcommand `__worker`: the `simkern` binary or a user's own, whichever is running),
//! so code under test that aborts, segfaults or overflows its stack kills one worker, not the
//! run. The parent records that seed as a failure with the signal in its signature
//! (`Signature::Crash`, `crash: SIGSEGV`) and starts a fresh worker for the next seed.
//!
//! Protocol: the parent's first line on the worker's stdin is the batch as data (a JSON
//! `Spec`; the worker finds its scenario in its own registry). Then it writes one request per
//! line, `SEED CHUNK_START [SKIP...]`; the worker answers each with one JSON `SeedResult` line on stdout. One seed is
//! in flight per worker, so a worker that dies dies holding exactly one known seed. A campaign
//! strategy (`dfs`, `guided`) keeps its state in the worker; a fresh worker asked for a seed in
//! the middle of a chunk first reruns the chunk's earlier seeds (except the `SKIP`ped ones,
//! which crashed), writing a `~` line after each so the parent's watchdog sees progress.
//!
//! Watchdog: the parent waits for each line at most `--seed-timeout` seconds of wall-clock
//! time. Code under test that loops without a syscall never returns to the simulator's step
//! budget; on expiry the parent kills the worker and records the seed as
//! `Signature::Timeout` (`crash: wall-clock timeout after Ns`).
//!
//! Deadline: a worker may also be given a wall-clock deadline (a nightly's budget). A seed
//! still running when it comes is killed with its worker and answered as not run (`None`),
//! not as a failure: the budget holds to within the time it takes to kill a process.

use crate::batch::{SeedResult, SeedRunner};
use crate::campaign::Driver;
use crate::spec::Spec;
use crate::wall::Deadline;
use crate::Signature;
use simkern_sim::scenario::Scenario;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

/// Default `--seed-timeout`: far above any honest seed (the longest scenarios take well under
/// a second), short enough that a hung seed costs a minute, not a night.
pub const SEED_TIMEOUT_S_DEFAULT: u64 = 60;

/// The line a worker writes after each seed it reruns to rebuild a campaign's state.
const HEARTBEAT: &str = "~";
/// The running executable's image, whatever happened to its file since.
const SELF_EXE: &str = "/proc/self/exe";
/// The hidden subcommand that makes a process a worker (`cli::main` dispatches it).
pub const SUBCOMMAND: &str = "__worker";

/// One request: the seed, its chunk's first seed, the chunk's seeds that crashed.
fn parse_request(line: &str) -> Result<(u64, u64, Vec<u64>), String> {
    let mut words = line.split_whitespace().map(|w| {
        w.parse::<u64>()
            .map_err(|_| format!("worker: {line:?} is not SEED CHUNK_START [SKIP...]"))
    });
    let seed = words
        .next()
        .ok_or_else(|| format!("worker: {line:?} is not a seed"))??;
    let chunk_start = words.next().transpose()?.unwrap_or(seed);
    let skip = words.collect::<Result<Vec<_>, _>>()?;
    Ok((seed, chunk_start, skip))
}

/// The worker: reads its batch's `Spec`, then answers seeds from stdin until it closes.
/// Scenarios are looked up in `registry`.
pub fn serve(registry: &[&Scenario]) -> Result<(), String> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let first = lines
        .next()
        .ok_or("worker: stdin closed before the batch spec")?
        .map_err(|e| format!("worker stdin: {e}"))?;
    let spec: Spec =
        serde_json::from_str(&first).map_err(|e| format!("worker: bad batch spec: {e}"))?;
    let batch = spec.batch(registry)?;
    let mut out = std::io::stdout().lock();
    let mut driver = Driver::new();
    for line in lines {
        let line = line.map_err(|e| format!("worker stdin: {e}"))?;
        let (seed, chunk_start, skip) = parse_request(&line)?;
        let result = {
            let mut heartbeat = || {
                // A parent that went away ends the worker at its answer; nothing to do here.
                let _ = writeln!(out, "{HEARTBEAT}").and_then(|()| out.flush());
            };
            driver.run(&batch, seed, chunk_start, &skip, &mut heartbeat)
        };
        let json = serde_json::to_string(&result).expect("results serialise");
        writeln!(out, "{json}")
            .and_then(|()| out.flush())
            .map_err(|e| format!("worker stdout: {e}"))?;
    }
    Ok(())
}

/// A live worker process: its stdin, and its stdout's lines as a reader thread forwards them.
struct Process {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

/// The parent's end of one worker process.
pub struct Worker {
    /// The batch's spec as one JSON line, the first thing each fresh process reads.
    spec: String,
    timeout: Duration,
    deadline: Option<Deadline>,
    child: Option<Process>,
    /// The chunk of the last seed asked, and its seeds whose worker died (a fresh worker
    /// skips them when it rebuilds the chunk's campaign state).
    chunk_start: Option<u64>,
    crashed: Vec<u64>,
}

/// How asking a worker for a seed ended.
enum Answer {
    Result(SeedResult),
    /// The worker died (or its answer was unreadable).
    Died,
    /// No answer within the timeout.
    TimedOut,
    /// No answer before the deadline.
    Deadline,
}

impl Worker {
    pub fn new(spec: &Spec, timeout: Duration, deadline: Option<Deadline>) -> Self {
        Worker {
            spec: serde_json::to_string(spec).expect("specs serialise"),
            timeout,
            deadline,
            child: None,
            chunk_start: None,
            crashed: Vec::new(),
        }
    }

    fn start(&mut self) -> std::io::Result<()> {
        // `/proc/self/exe`, not the path it links to: a nightly runs for hours, and a rebuild
        // meanwhile replaces the file at that path (`current_exe` then names "... (deleted)"
        // and every later worker failed to start, each seed a "failure"). Exec of the link
        // reaches the image this process runs, so workers always run the parent's code.
        let mut command = if Path::new(SELF_EXE).exists() {
            let mut c = Command::new(SELF_EXE);
            if let Ok(exe) = std::env::current_exe() {
                c.arg0(exe);
            }
            c
        } else {
            Command::new(std::env::current_exe()?)
        };
        let mut child = command
            .arg(SUBCOMMAND)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // A crashing worker's own last words (a stack-overflow note) are noise here: the
            // signal is recorded in the failure's signature.
            .stderr(Stdio::null())
            // Its own process group: a terminal's Ctrl-C goes to the parent alone, which
            // stops the search in order (`interrupt`), instead of killing every worker.
            .process_group(0)
            .spawn()?;
        let mut stdin = child.stdin.take().expect("piped");
        // A worker that cannot read its spec exits; the first `ask` then finds it dead.
        let _ = writeln!(stdin, "{}", self.spec).and_then(|()| stdin.flush());
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let (tx, lines) = mpsc::channel();
        // A reader thread turns the blocking pipe into a channel the watchdog can wait on
        // with a timeout. It ends at the worker's EOF (exit, crash or kill). This is the
        // parent process, not simulated code: real threads cannot reach a run.
        #[allow(clippy::disallowed_methods)]
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        self.child = Some(Process {
            child,
            stdin,
            lines,
        });
        Ok(())
    }

    fn ask(&mut self, seed: u64, chunk_start: u64) -> Answer {
        let Some(c) = self.child.as_mut() else {
            return Answer::Died;
        };
        let mut request = format!("{seed} {chunk_start}");
        for s in &self.crashed {
            request.push_str(&format!(" {s}"));
        }
        if writeln!(c.stdin, "{request}")
            .and_then(|()| c.stdin.flush())
            .is_err()
        {
            return Answer::Died;
        }
        loop {
            // The seed's own timeout, or less when the deadline comes first.
            let left = self.deadline.map_or(self.timeout, |d| d.remaining());
            let (wait, at_deadline) = match left < self.timeout {
                true => (left, true),
                false => (self.timeout, false),
            };
            match c.lines.recv_timeout(wait) {
                Ok(line) if line == HEARTBEAT => continue,
                Ok(line) => {
                    return match serde_json::from_str(&line) {
                        Ok(r) => Answer::Result(r),
                        Err(_) => Answer::Died,
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return Answer::Died,
                Err(RecvTimeoutError::Timeout) if at_deadline => return Answer::Deadline,
                Err(RecvTimeoutError::Timeout) => return Answer::TimedOut,
            }
        }
    }

    /// The dead worker's cause of death, as a signature.
    fn bury(&mut self) -> Signature {
        let Some(Process {
            mut child, stdin, ..
        }) = self.child.take()
        else {
            return Signature::WorkerLost {
                reason: "worker could not start".into(),
            };
        };
        drop(stdin);
        match child.wait() {
            Ok(status) => match status.signal() {
                Some(sig) => Signature::Crash {
                    signal: crate::wall::signal_name(sig),
                },
                None => Signature::WorkerLost {
                    reason: format!("worker exited with {status}"),
                },
            },
            Err(e) => Signature::WorkerLost {
                reason: format!("worker lost: {e}"),
            },
        }
    }

    /// Kills the worker (out of time, or at the deadline).
    fn kill(&mut self) {
        if let Some(Process { mut child, .. }) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills a worker whose seed ran past `--seed-timeout`.
    fn time_out(&mut self) -> Signature {
        self.kill();
        Signature::Timeout {
            after_s: self.timeout.as_secs(),
        }
    }
}

impl SeedRunner for Worker {
    fn run(&mut self, seed: u64, chunk_start: u64) -> Option<SeedResult> {
        if self.chunk_start != Some(chunk_start) {
            self.chunk_start = Some(chunk_start);
            self.crashed.clear();
        }
        let answer = if self.deadline.is_some_and(|d| d.passed()) {
            Answer::Deadline
        } else if self.child.is_none() && self.start().is_err() {
            Answer::Died
        } else {
            self.ask(seed, chunk_start)
        };
        let signature = match answer {
            Answer::Result(result) => return Some(result),
            Answer::Died => self.bury(),
            Answer::TimedOut => self.time_out(),
            Answer::Deadline => {
                // A campaign's later seeds need this one's state; the batch runs no more of
                // the chunk after a seed that did not run.
                self.kill();
                return None;
            }
        };
        self.crashed.push(seed);
        Some(SeedResult {
            trace_hash: 0,
            signature,
            steps: 0,
            notes: Vec::new(),
        })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(Process {
            mut child, stdin, ..
        }) = self.child.take()
        {
            drop(stdin); // EOF: the worker's loop ends and it exits
            let _ = child.wait();
        }
    }
}

/// The batch's runner factory: a worker process per job, each seed given `timeout`, and
/// none outliving `deadline`.
pub fn factory(
    spec: Spec,
    timeout: Duration,
    deadline: Option<Deadline>,
) -> impl Fn() -> Box<dyn SeedRunner> + Sync {
    move || Box::new(Worker::new(&spec, timeout, deadline))
}
