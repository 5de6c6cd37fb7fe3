//! `simkern`: every subcommand (`list`, `run`, `replay`, `shrink`, `nightly`, `merge`) over
//! the built-in scenarios. A user's own binary is the same one line over its own scenarios.

fn main() -> std::process::ExitCode {
    simkern::cli::main(simkern::scenarios::builtin_refs())
}
