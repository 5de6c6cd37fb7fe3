//! `Check`'s environment: `SIMKERN_SEED`, `SIMKERN_SEEDS`, `SIMKERN_FIRST_SEED` pick the seeds;
//! `SIMKERN_STRATEGY`, `SIMKERN_FAULTS`, `SIMKERN_FAULT_THREADS`, `SIMKERN_FAULT_CALLS`
//! override the test's own choices. A malformed value panics naming the variable (a bug of
//! the test's environment, found at once).

use super::Check;
use crate::batch::FaultSpec;
use simkern_sim::fault::{self, Profile};

pub(super) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub(super) fn env_u64(name: &str) -> Option<u64> {
    env(name).map(|v| {
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
    })
}

impl Check {
    /// The seeds to run, as the environment says.
    pub(super) fn seed_range(&self) -> std::ops::Range<u64> {
        if let Some(seed) = env_u64("SIMKERN_SEED") {
            return seed..seed.saturating_add(1);
        }
        let first = env_u64("SIMKERN_FIRST_SEED").unwrap_or(self.first_seed);
        let n = env_u64("SIMKERN_SEEDS").unwrap_or(self.seeds);
        first..first.saturating_add(n)
    }

    /// Applies `SIMKERN_STRATEGY` and `SIMKERN_FAULTS`.
    pub(super) fn with_env(mut self) -> Self {
        if let Some(s) = env("SIMKERN_STRATEGY") {
            self.strategy = s
                .parse()
                .unwrap_or_else(|e| panic!("SIMKERN_STRATEGY={s:?}: {e}"));
        }
        if let Some(f) = env("SIMKERN_FAULTS") {
            let p: Profile = f
                .parse()
                .unwrap_or_else(|e| panic!("SIMKERN_FAULTS={f:?}: {e}"));
            self.faults = FaultSpec::Profile(p);
        }
        let (threads, calls) = (env("SIMKERN_FAULT_THREADS"), env("SIMKERN_FAULT_CALLS"));
        if threads.is_some() || calls.is_some() {
            let scope = fault::Scope::parse(threads.as_deref(), calls.as_deref())
                .unwrap_or_else(|e| panic!("SIMKERN_FAULT_THREADS/SIMKERN_FAULT_CALLS: {e}"));
            if !scope.threads.is_empty() {
                self.fault_scope.threads = scope.threads;
            }
            if !scope.calls.is_empty() {
                self.fault_scope.calls = scope.calls;
            }
        }
        assert!(
            !self.strategy.is_campaign(),
            "Check runs seeds one by one; {} is a campaign strategy: use `simkern run`",
            self.strategy
        );
        self
    }
}
