//! Networking (mio's `net` module): TCP listeners and streams, UDP sockets, Unix-domain
//! listeners, streams and datagram sockets.

mod tcp_listener;
mod tcp_stream;
mod udp_socket;
mod uds;

pub use tcp_listener::TcpListener;
pub use tcp_stream::TcpStream;
pub use udp_socket::UdpSocket;
pub use uds::{UnixDatagram, UnixListener, UnixStream};
