//! The nightly's progress: a bar on a terminal; otherwise a JSON line every few seconds on
//! stdout (for CI logs and `kubectl logs`).

use crate::search::nightly::Tally;
use indicatif::{ProgressBar, ProgressStyle};
use simkern_search::wall::Stopwatch;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

/// Seconds between JSON progress lines when stdout is not a terminal.
const PROGRESS_EVERY_S: f64 = 5.0;

/// Progress: a bar on a terminal; otherwise a JSON line every few seconds on stdout.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Stopwatch,
    /// When the last JSON progress line was printed (seconds on `started`).
    last_line: Mutex<f64>,
    budget: Option<Duration>,
}

impl Progress {
    pub fn new(budget: Option<Duration>, seeds: Option<u64>) -> Progress {
        let bar = std::io::stdout().is_terminal().then(|| {
            let bar = match (budget, seeds) {
                (Some(b), _) => ProgressBar::new(b.as_secs()),
                (None, Some(n)) => ProgressBar::new(n),
                (None, None) => ProgressBar::no_length(),
            };
            bar.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {msg} (ETA {eta})")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar
        });
        Progress {
            bar,
            started: Stopwatch::start(),
            last_line: Mutex::new(0.0),
            budget,
        }
    }

    pub fn update(&self, t: Tally) {
        let Tally {
            seeds,
            failing,
            distinct,
        } = t;
        let elapsed = self.started.seconds();
        let rate = seeds as f64 / elapsed.max(1e-9);
        match &self.bar {
            Some(bar) => {
                bar.set_position(match self.budget {
                    Some(_) => elapsed as u64,
                    None => seeds,
                });
                bar.set_message(format!(
                    "{seeds} seeds, {rate:.0}/s, {failing} failing, {distinct} distinct"
                ));
            }
            None => {
                let mut last = self.last_line.lock().expect("progress lock");
                if elapsed - *last >= PROGRESS_EVERY_S {
                    *last = elapsed;
                    // Workers are alive: a closed stdout must not kill this process (see
                    // `cli::quiet_on_broken_pipe`), so the error is ignored.
                    let _ = writeln!(
                        std::io::stdout(),
                        "{}",
                        serde_json::json!({
                            "progress": {
                                "elapsed_s": (elapsed * 10.0).round() / 10.0,
                                "seeds": seeds,
                                "seeds_per_s": rate.round(),
                                "failing_seeds": failing,
                                "distinct_failures": distinct,
                            }
                        })
                    );
                }
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
