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
