//! Unix-only parts of mio's API: `SourceFd` and `pipe`.

pub mod pipe;
mod source_fd;

pub use source_fd::SourceFd;
