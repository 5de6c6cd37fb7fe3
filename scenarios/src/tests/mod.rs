//! The engine's checks that need real scenarios or the committed seed files. They live here,
//! not beside the engine code in `simkern-sim`, because `simkern-sim` knows no scenario: the
//! built-ins depend on it, never the other way round.

mod chrome_trace;
mod coverage;
mod registry;
mod replay;
mod shrink;
