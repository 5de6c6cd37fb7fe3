//! Networking (mio's `net` module): TCP listeners and streams, UDP sockets.

mod tcp_listener;
mod tcp_stream;
mod udp_socket;

pub use tcp_listener::TcpListener;
pub use tcp_stream::TcpStream;
pub use udp_socket::UdpSocket;
