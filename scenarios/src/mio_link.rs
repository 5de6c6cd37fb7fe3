//! `Link`: a test client's connection on `simkern::mio` (its own `Poll`, lines in and out),
//! for the scenarios whose servers are mio code. Clients are harness: they expect the kernel's
//! freedoms (short writes, latency) but no faults of their own.

use simkern_sim::mio::net::TcpStream;
use simkern_sim::mio::{Events, Interest, Poll, Token};
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

/// Polls a client waits for one line before it calls the server stuck.
pub const CLIENT_POLLS_MAX: u32 = 10_000;
/// One such poll's timeout.
pub const CLIENT_POLL: Duration = Duration::from_millis(5);

/// A client's connection: its own `Poll`, lines in and out.
pub struct Link {
    poll: Poll,
    events: Events,
    pub stream: TcpStream,
    /// The client's own address (what the server's `accept` saw).
    pub local: SocketAddr,
    input: Vec<u8>,
}

/// The link went down before the line arrived.
pub struct Dropped;

impl Link {
    pub fn connect(addr: SocketAddr) -> Link {
        let poll = Poll::new().expect("client poll");
        let mut stream = TcpStream::connect(addr).expect("client connect");
        poll.registry()
            .register(
                &mut stream,
                Token(0),
                Interest::READABLE | Interest::WRITABLE,
            )
            .expect("client register");
        let mut link = Link {
            poll,
            events: Events::with_capacity(4),
            stream,
            local: "0.0.0.0:0".parse().unwrap(),
            input: Vec::new(),
        };
        link.wait();
        link.local = link.stream.local_addr().expect("client local address");
        link
    }

    /// Whether the connect failed: refused or reset before the first event (a fault in the
    /// server's calls can reset a connection it has just accepted).
    pub fn failed(&self) -> bool {
        self.stream.take_error().expect("SO_ERROR").is_some()
    }

    pub fn wait(&mut self) {
        loop {
            match self.poll.poll(&mut self.events, Some(CLIENT_POLL)) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                other => return other.expect("client poll"),
            }
        }
    }

    pub fn send(&mut self, line: &str) -> Result<(), Dropped> {
        let bytes = format!("{line}\n").into_bytes();
        let mut sent = 0;
        while sent < bytes.len() {
            match self.stream.write(&bytes[sent..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => self.wait(),
                Err(_) => return Err(Dropped),
            }
        }
        Ok(())
    }

    pub fn expect(&mut self, want: &str) -> Result<(), Dropped> {
        for _ in 0..CLIENT_POLLS_MAX {
            if let Some(end) = self.input.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.input.drain(..=end).collect();
                assert_eq!(&line[..end], want.as_bytes(), "the server's answer");
                return Ok(());
            }
            let mut buf = [0u8; 64];
            match self.stream.read(&mut buf) {
                Ok(0) => return Err(Dropped),
                Ok(n) => self.input.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => self.wait(),
                Err(_) => return Err(Dropped),
            }
        }
        panic!("no {want:?} from the server after {CLIENT_POLLS_MAX} polls");
    }
}

/// Sleeps a millisecond: a poll of nothing, with a timeout.
pub fn pause() {
    let mut events = Events::with_capacity(1);
    if let Ok(mut poll) = Poll::new() {
        let _ = poll.poll(&mut events, Some(Duration::from_millis(1)));
    }
}
