//! `sim`: Simkern's whole command line (`list`, `run`, `replay`, `shrink`, `nightly`, `merge`)
//! over this crate's scenarios.

fn main() -> std::process::ExitCode {
    simkern::cli::main(&[&tally::scenario::SCENARIO])
}
