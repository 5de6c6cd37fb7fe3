//! What clap refused, said the way every other error of the binary is: one line, exit 2.

use std::process::ExitCode;

/// A command line clap refused: help and version as clap prints them (exit 0); anything else
/// in one line, as every other error of this binary (exit 2), instead of clap's screen of usage.
pub(super) fn refused(program: &str, e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(2)
        }
        _ => {
            // clap's first paragraph is the error (a missing argument is named on the lines
            // after the first); tips and usage follow a blank line.
            let text = e.render().to_string();
            let paragraph: Vec<&str> = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let joined = paragraph.join(" ");
            let message = joined.strip_prefix("error: ").unwrap_or(&joined);
            eprintln!("{program}: error: {message} (see {program} --help)");
            ExitCode::from(2)
        }
    }
}
