//! Driving a campaign (`simkern_sim::campaign`: `dfs`, `guided`) over a batch's seeds: one
//! runner's state, the chunk it is in and how far.
//!
//! A chunk always runs in order on one runner. A runner that restarts mid-chunk (its worker
//! process crashed) rebuilds the state by rerunning the chunk's earlier seeds, skipping the
//! ones that crashed, which `observe` sees as `None`. The trait, the strategies' campaigns and
//! the chunking live with the strategies in `simkern-sim`, re-exported here at their old paths.

pub use simkern_sim::campaign::*;

use crate::batch::{Batch, SeedResult};
use crate::signature::Signature;
use simkern_sim::coverage::Map;
use simkern_sim::runner::{Config, Outcome};

/// One runner's campaign state: the chunk it is in and how far.
#[derive(Default)]
pub struct Driver {
    state: Option<State>,
}

struct State {
    chunk_start: u64,
    /// The seed the campaign expects next.
    next: u64,
    campaign: Box<dyn Campaign>,
}

impl Driver {
    pub fn new() -> Self {
        Driver::default()
    }

    /// Runs `seed` of the chunk starting at `chunk_start` for a batch (no trace tail kept).
    /// When the state is not at `seed` (a fresh runner mid-chunk), first reruns the chunk's
    /// earlier seeds, observing the `skip`ped ones (they crashed) as `None`, and calls
    /// `heartbeat` after each.
    pub fn run(
        &mut self,
        batch: &Batch,
        seed: u64,
        chunk_start: u64,
        skip: &[u64],
        heartbeat: &mut dyn FnMut(),
    ) -> SeedResult {
        if !batch.strategy.is_campaign() {
            return batch.run_one(seed);
        }
        let (_, notes, outcome) = self.step(batch, seed, chunk_start, skip, heartbeat, false);
        SeedResult {
            trace_hash: outcome.trace_hash,
            signature: Signature::of(&outcome.stop),
            steps: outcome.steps,
            notes,
        }
    }

    /// Runs `seed` again as the batch ran it, with its trace tail and digests kept (for a
    /// seed file or a failure report): the config it ran with and what it did.
    pub fn rerun(
        &mut self,
        batch: &Batch,
        seed: u64,
        chunk_start: u64,
        skip: &[u64],
    ) -> (Config, Outcome) {
        if !batch.strategy.is_campaign() {
            let mut config = batch.config(seed);
            config.keep_digests = true;
            let outcome = batch.run_seed(&config);
            return (config, outcome);
        }
        let (config, _, outcome) = self.step(batch, seed, chunk_start, skip, &mut || {}, true);
        (config, outcome)
    }

    /// Runs `seed` and observes it; returns its config, the notes and the outcome.
    fn step(
        &mut self,
        batch: &Batch,
        seed: u64,
        chunk_start: u64,
        skip: &[u64],
        heartbeat: &mut dyn FnMut(),
        detail: bool,
    ) -> (Config, Vec<String>, Outcome) {
        self.catch_up(batch, seed, chunk_start, skip, heartbeat);
        let state = self.state.as_mut().expect("caught up");
        let mut config = state.campaign.config(batch.config(seed));
        config.keep_tail = detail;
        config.keep_digests = detail;
        // A seed file of a campaign's run holds its whole decision list.
        config.record_decisions |= detail;
        let (outcome, map) = run_observed(batch, &config, state.campaign.wants_coverage());
        let notes = state.campaign.observe(Some(&outcome), map.as_ref());
        state.next = seed + 1;
        (config, notes, outcome)
    }

    /// Brings the state to just before `seed`.
    fn catch_up(
        &mut self,
        batch: &Batch,
        seed: u64,
        chunk_start: u64,
        skip: &[u64],
        heartbeat: &mut dyn FnMut(),
    ) {
        assert!(
            chunk_start <= seed,
            "seed {seed} is before its chunk's start {chunk_start}"
        );
        let in_sync =
            matches!(&self.state, Some(s) if s.chunk_start == chunk_start && s.next <= seed);
        if !in_sync {
            self.state = Some(State {
                chunk_start,
                next: chunk_start,
                campaign: start(batch.strategy, chunk_start).expect("a campaign strategy"),
            });
        }
        let state = self.state.as_mut().expect("set above");
        while state.next < seed {
            let s = state.next;
            // A crashed seed's config is still drawn, so the state moves as it did the first
            // time; its outcome is unknown.
            let mut config = state.campaign.config(batch.config(s));
            if skip.contains(&s) {
                state.campaign.observe(None, None);
            } else {
                config.keep_tail = false;
                let (outcome, map) = run_observed(batch, &config, state.campaign.wants_coverage());
                state.campaign.observe(Some(&outcome), map.as_ref());
            }
            state.next = s + 1;
            heartbeat();
        }
    }
}

/// Runs `config`, collecting coverage when asked.
fn run_observed(batch: &Batch, config: &Config, coverage: bool) -> (Outcome, Option<Map>) {
    if coverage {
        let (outcome, map) = simkern_sim::coverage::collect(|| batch.run_seed(config));
        (outcome, Some(map))
    } else {
        (batch.run_seed(config), None)
    }
}
