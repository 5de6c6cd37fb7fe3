//! `teardown`: a teardown nested deeper than a bound.
//!
//! Cap'n Proto's crash: a connection's queued messages were a chain of promises, each owning
//! the next, so destroying the chain on disconnect recursed once per message; with enough
//! messages queued the stack overflowed (more than 10,000 frames). The code reports the depth
//! it reaches (`TeardownDepth`); an iterative teardown reports 1 whatever the length.
//!
//! Verdict: a depth above `TEARDOWN_DEPTH_MAX`. The oracle names the bug long before the stack
//! would overflow, so the run ends with a verdict instead of a crash.

use super::{At, Fact};

pub const NAME: &str = "teardown";

/// Deepest nesting a teardown may report: 128 levels.
///
/// Why this bound: an iterative teardown reports 1, and honest nesting of owned objects (a
/// connection owning a stream owning a buffer) is a handful of levels. A recursion that
/// follows a queue grows with the queue; 128 is far above any fixed nesting and far below the
/// depth that endangers a stack (at ~100 bytes a frame a 1 MiB simulated thread's stack holds
/// ~10,000 levels), so the verdict comes while the process is still healthy.
pub const TEARDOWN_DEPTH_MAX: u32 = 128;

/// Whether a depth is within the bound.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Depth {
    Within,
    Beyond,
}

fn classify(depth: u32) -> Depth {
    match depth {
        0..=TEARDOWN_DEPTH_MAX => Depth::Within,
        _ => Depth::Beyond,
    }
}

/// The deepest teardown seen so far (for the message).
#[derive(Default)]
pub struct Teardown {
    deepest: u32,
}

impl Teardown {
    pub fn observe(&mut self, _at: At, fact: &Fact) -> Result<(), String> {
        let Fact::TeardownDepth { depth } = *fact else {
            return Ok(());
        };
        self.deepest = self.deepest.max(depth);
        match classify(depth) {
            Depth::Within => Ok(()),
            Depth::Beyond => Err(format!(
                "a teardown reached nesting depth {depth}, above TEARDOWN_DEPTH_MAX \
                 ({TEARDOWN_DEPTH_MAX}). Likely cause: a queue of continuations (each owning the \
                 next) destroyed recursively, one stack frame per queued item; a long enough \
                 queue at disconnect overflows the stack. Keep the queue in a flat collection \
                 and tear it down in a loop"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recursion_past_the_bound_is_caught_and_an_iterative_teardown_is_clean() {
        let mut o = Teardown::default();
        let at = At::new(0, 1);
        for depth in 1..=TEARDOWN_DEPTH_MAX {
            o.observe(at, &Fact::TeardownDepth { depth }).unwrap();
        }
        let err = o
            .observe(
                at,
                &Fact::TeardownDepth {
                    depth: TEARDOWN_DEPTH_MAX + 1,
                },
            )
            .unwrap_err();
        assert!(err.contains("depth 129"), "{err}");
        let mut flat = Teardown::default();
        for _ in 0..10_000 {
            flat.observe(at, &Fact::TeardownDepth { depth: 1 }).unwrap();
        }
    }
}
