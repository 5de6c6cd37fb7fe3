//! mio's own examples, compiled unchanged against `simkern::mio` (see
//! `sim/src/scenarios/mio_examples.rs`): on real epoll against a std client, and as built-in
//! scenarios against simulated clients over many seeds.

use simkern::sim::scenarios::mio_examples::{self, tcp_server, EXAMPLE_ADDR, GREETING};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
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
