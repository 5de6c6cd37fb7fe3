//! Shrinking (`simkern_search::shrink`) of committed seed files: fewer decisions, the same
//! failure, on the file's own kernel.

use crate::builtin_refs;
use simkern_search::seed_file::{self, format_hash, SeedFile};
use simkern_search::shrink::{shrink, Options};
use simkern_search::Signature;
use simkern_sim::decision::Fill;
use simkern_sim::{kernel, runner};

/// The cancelled dial needs no preemption at all: its shrunk file replays a schedule with
/// no switches, fewer choices, and the same failure.
#[test]
fn shrink_drops_the_switches_the_cancelled_dial_does_not_need() {
    let file = SeedFile::parse(
        include_str!("../../../seeds/netpoll-cancel-dial.json"),
        "netpoll-cancel-dial.json",
    )
    .unwrap();
    let shrunk = shrink(&file, builtin_refs(), &Options::default()).unwrap();
    assert_eq!(shrunk.file.schedule.as_deref(), Some(&[][..]));
    assert_eq!(shrunk.file.fill, Fill::Benign);
    assert!(shrunk.after.decisions < shrunk.before.decisions);
    let again = runner::run(
        &shrunk.file.config(),
        shrunk.file.root(builtin_refs()).unwrap(),
    );
    assert!(file.expects(&Signature::of(&again.stop)));
    assert_eq!(
        format_hash(again.trace_hash),
        shrunk.file.expected.trace_hash
    );
    // Out of runs at once, shrinking still returns a file that fails the same way: the
    // recorded run, unshrunk.
    let capped = shrink(&file, builtin_refs(), &Options { max_runs: 0 }).unwrap();
    // The original is format 1 (the oracle's name only); the new file is this build's.
    assert!(file.expects(&capped.file.expected.outcome));
    assert_eq!(capped.file.format, seed_file::FORMAT);
}

/// A file recorded on a kernel other than the default (the mio scenario's takes time per
/// step) shrinks on that kernel: candidates run on the file's kernel, not the default.
#[test]
fn shrink_runs_candidates_on_the_seed_files_own_kernel() {
    let file = SeedFile::parse(
        include_str!("../../../seeds/mio-session-takeover.json"),
        "mio-session-takeover.json",
    )
    .unwrap();
    assert_ne!(file.kernel, kernel::Config::default());
    let shrunk = shrink(&file, builtin_refs(), &Options { max_runs: 200 }).unwrap();
    assert_eq!(shrunk.file.kernel, file.kernel);
    let again = runner::run(
        &shrunk.file.config(),
        shrunk.file.root(builtin_refs()).unwrap(),
    );
    assert!(file.expects(&Signature::of(&again.stop)));
}
