//! mio's own examples, compiled against `simkern::mio` (one `use` line changed; see
//! `scenarios/src/mio_examples.rs`): on real epoll against a std client, and as built-in
//! scenarios against simulated clients over many seeds.

use simkern::scenarios::mio_examples::{self, tcp_server, udp_server, EXAMPLE_ADDR, GREETING};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

/// Connect attempts while the example's thread starts listening (10 ms apart).
const CONNECT_ATTEMPTS: u32 = 500;

/// The example serves forever on 127.0.0.1:9000 as written: it runs on a thread this test
/// leaves behind (the test binary's exit ends it). Three std clients in turn each get the
/// greeting and say something back; a fourth connect after they close still gets served.
#[test]
fn mios_tcp_server_example_greets_real_clients_on_real_epoll() {
    let server = std::thread::Builder::new()
        .name("tcp_server".into())
        .spawn(tcp_server::run)
        .unwrap();
    for client in 0..4 {
        let mut stream = connect(&server);
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut got = [0u8; GREETING.len()];
        stream.read_exact(&mut got).expect("the greeting");
        assert_eq!(&got, GREETING, "client {client}");
        stream
            .write_all(format!("hi from client {client}\n").as_bytes())
            .unwrap();
    }
}

fn connect(server: &std::thread::JoinHandle<std::io::Result<()>>) -> TcpStream {
    for _ in 0..CONNECT_ATTEMPTS {
        match TcpStream::connect(EXAMPLE_ADDR) {
            Ok(s) => return s,
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                assert!(
                    !server.is_finished(),
                    "the example exited (is {EXAMPLE_ADDR} taken on this machine?)"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("connect {EXAMPLE_ADDR}: {e}"),
        }
    }
    panic!("the example never listened on {EXAMPLE_ADDR}");
}

#[test]
fn mios_tcp_server_example_greets_simulated_clients_over_200_seeds() {
    simkern::Check::new(&mio_examples::TCP_SERVER, None)
        .seeds(200)
        .run();
}

/// The UDP example on real epoll (UDP 127.0.0.1:9000, apart from the TCP example's port):
/// each datagram comes back whole from the example's address. A datagram sent before the
/// example has bound is lost, so each is resent until its echo arrives.
#[test]
fn mios_udp_server_example_echoes_real_datagrams_on_real_epoll() {
    let server = std::thread::Builder::new()
        .name("udp_server".into())
        .spawn(udp_server::run)
        .unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    for d in 0..4 {
        let message = format!("datagram {d}");
        let mut buf = [0u8; 64];
        let echoed = (0..CONNECT_ATTEMPTS).any(|_| {
            assert!(
                !server.is_finished(),
                "the example exited (is UDP {EXAMPLE_ADDR} taken?)"
            );
            socket.send_to(message.as_bytes(), EXAMPLE_ADDR).unwrap();
            match socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    assert_eq!(from.to_string(), EXAMPLE_ADDR);
                    &buf[..n] == message.as_bytes()
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
                Err(e) => panic!("recv_from: {e}"),
            }
        });
        assert!(echoed, "no echo of {message:?}");
    }
}

#[test]
fn mios_udp_server_example_echoes_simulated_clients_over_200_seeds() {
    simkern::Check::new(&mio_examples::UDP_SERVER, None)
        .seeds(200)
        .run();
}
