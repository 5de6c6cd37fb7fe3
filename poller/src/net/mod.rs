//! TCP on the loop: owned, registered fds (`IoSource`), streams and listeners.

mod io_source;
mod listener;
mod stream;

pub use io_source::IoSource;
pub use listener::{TcpListener, ACCEPT_BACKOFF_MAX, ACCEPT_BACKOFF_MIN, BACKLOG};
pub use stream::{is_disconnect, TcpStream};
