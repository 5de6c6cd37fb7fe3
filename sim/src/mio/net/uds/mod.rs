//! Unix-domain sockets (mio's `UnixListener`, `UnixStream`, `UnixDatagram`), addresses as
//! std's `std::os::unix::net::SocketAddr`, as mio 1.x takes and returns them.

mod addr;
mod datagram;
mod listener;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use stream::UnixStream;
