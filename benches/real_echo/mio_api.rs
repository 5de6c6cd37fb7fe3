// The echo benchmark's two sides on mio 1.x's API, written the way mio documents: a `Poll`,
// `Events::with_capacity(1024)`, a `Token` per connection indexing a `Vec`, registration for
// `READABLE | WRITABLE` (edge-triggered on Linux), reads until `WouldBlock` on every readable
// event, and a pending-output buffer flushed on writable events after a partial write.
//
// Connect follows `mio::net::TcpStream::connect`'s documented steps: register, wait for
// writable, `take_error`, then `peer_addr` to confirm.
//
// Compiled twice (`real_echo/mod.rs` includes it): once over mio itself and once over
// `simkern::mio`, each as `api`, so the two are measured on the same source, token for token.

use super::{fill_message, Meter, MSG_LEN, SERVER_READ_BUF};
use api::net::{TcpListener, TcpStream};
use api::{Events, Interest, Poll, Token};
use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::sync::mpsc::Sender;
use std::sync::Arc;

/// mio's customary event capacity, the poller's `MAX_EVENTS`.
const EVENTS: usize = 1024;
const LISTENER: Token = Token(usize::MAX);

/// `poll` retried on `EINTR`, as mio's examples do.
fn poll(poll: &mut Poll, events: &mut Events) {
    loop {
        match poll.poll(events, None) {
            Ok(()) => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => panic!("mio: poll: {e}"),
        }
    }
}

/// Writes `buf` until done or `WouldBlock`; returns how much was written.
fn write_some(stream: &mut TcpStream, buf: &[u8]) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match stream.write(&buf[done..]) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => done += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

struct ServerConn {
    stream: TcpStream,
    /// Echo bytes the socket did not take yet; flushed on the next writable event.
    pending: Vec<u8>,
}

impl ServerConn {
    /// Handles one event; returns true when the peer has closed.
    fn on_event(&mut self, event: &api::event::Event, buf: &mut [u8]) -> io::Result<bool> {
        if event.is_writable() && !self.pending.is_empty() {
            let n = write_some(&mut self.stream, &self.pending)?;
            self.pending.drain(..n);
        }
        if event.is_readable() {
            loop {
                match self.stream.read(buf) {
                    Ok(0) => return Ok(true),
                    Ok(n) => self.echo(&buf[..n])?,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(false)
    }

    fn echo(&mut self, data: &[u8]) -> io::Result<()> {
        if !self.pending.is_empty() {
            // Keep the order: new bytes go behind what is already waiting.
            self.pending.extend_from_slice(data);
            return Ok(());
        }
        let n = write_some(&mut self.stream, data)?;
        self.pending.extend_from_slice(&data[n..]);
        Ok(())
    }
}

/// Accepts exactly `conns` connections, echoes on each, returns when all have closed.
pub fn server(listen: SocketAddr, conns: usize, addr_tx: Sender<SocketAddr>) {
    let mut p = Poll::new().expect("mio server: Poll::new");
    let mut events = Events::with_capacity(EVENTS);
    let mut listener = TcpListener::bind(listen).expect("mio server: bind");
    p.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .expect("mio server: register listener");
    addr_tx
        .send(listener.local_addr().expect("mio server: local_addr"))
        .expect("the driver waits for the address");
    let mut slots: Vec<Option<ServerConn>> = Vec::with_capacity(conns);
    let mut buf = vec![0u8; SERVER_READ_BUF];
    let mut closed = 0;
    while closed < conns {
        poll(&mut p, &mut events);
        for event in events.iter() {
            if event.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _peer)) => {
                            stream.set_nodelay(true).expect("mio server: TCP_NODELAY");
                            let token = Token(slots.len());
                            p.registry()
                                .register(
                                    &mut stream,
                                    token,
                                    Interest::READABLE | Interest::WRITABLE,
                                )
                                .expect("mio server: register connection");
                            slots.push(Some(ServerConn {
                                stream,
                                pending: Vec::new(),
                            }));
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                        Err(e) => panic!("mio server: accept: {e}"),
                    }
                }
                continue;
            }
            let Some(conn) = slots.get_mut(event.token().0).and_then(Option::as_mut) else {
                continue; // closed earlier in this batch
            };
            let peer_closed = conn
                .on_event(event, &mut buf)
                .unwrap_or_else(|e| panic!("mio server: connection {}: {e}", event.token().0));
            if peer_closed {
                let mut conn = slots[event.token().0].take().expect("slot checked above");
                p.registry()
                    .deregister(&mut conn.stream)
                    .expect("mio server: deregister");
                closed += 1;
            }
        }
    }
}

struct ClientConn {
    stream: TcpStream,
    conn: usize,
    connected: bool,
    seq: u64,
    msg: [u8; MSG_LEN],
    /// Bytes of `msg` the socket has taken.
    written: usize,
    back: [u8; MSG_LEN],
    /// Bytes of the echo received so far.
    got: usize,
}

impl ClientConn {
    fn start_message(&mut self) -> io::Result<()> {
        fill_message(&mut self.msg, self.conn, self.seq);
        self.written = write_some(&mut self.stream, &self.msg)?;
        self.got = 0;
        Ok(())
    }

    /// Handles one event; returns true when this connection is finished (stop was asked).
    fn on_event(
        &mut self,
        event: &api::event::Event,
        meter: &Meter,
        total: &mut u64,
    ) -> io::Result<bool> {
        if !self.connected {
            if !event.is_writable() {
                return Ok(false);
            }
            if let Some(e) = self.stream.take_error()? {
                return Err(e);
            }
            match self.stream.peer_addr() {
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::NotConnected => return Ok(false),
                Err(e) => return Err(e),
            }
            self.connected = true;
            self.stream.set_nodelay(true)?;
            self.start_message()?;
        }
        if event.is_writable() && self.written < MSG_LEN {
            self.written += write_some(&mut self.stream, &self.msg[self.written..])?;
        }
        if event.is_readable() {
            loop {
                match self.stream.read(&mut self.back[self.got..]) {
                    Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
                    Ok(n) => {
                        self.got += n;
                        if self.got < MSG_LEN {
                            continue;
                        }
                        assert_eq!(
                            self.back, self.msg,
                            "mio client: conn {} round trip {}: bad echo",
                            self.conn, self.seq
                        );
                        self.seq += 1;
                        *total += 1;
                        meter.publish(*total);
                        if meter.stopped() {
                            return Ok(true);
                        }
                        self.start_message()?;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(false)
    }
}

/// Opens `conns` connections and ping-pongs on each until `meter` says stop.
pub fn client(addr: SocketAddr, conns: usize, meter: Arc<Meter>) {
    let mut p = Poll::new().expect("mio client: Poll::new");
    let mut events = Events::with_capacity(EVENTS);
    let mut slots: Vec<Option<ClientConn>> = (0..conns)
        .map(|conn| {
            let mut stream = TcpStream::connect(addr)
                .unwrap_or_else(|e| panic!("mio client: connect {addr}: {e}"));
            p.registry()
                .register(
                    &mut stream,
                    Token(conn),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .expect("mio client: register");
            Some(ClientConn {
                stream,
                conn,
                connected: false,
                seq: 0,
                msg: [0; MSG_LEN],
                written: 0,
                back: [0; MSG_LEN],
                got: 0,
            })
        })
        .collect();
    let mut total = 0u64;
    let mut finished = 0;
    while finished < conns {
        poll(&mut p, &mut events);
        for event in events.iter() {
            let Some(conn) = slots.get_mut(event.token().0).and_then(Option::as_mut) else {
                continue; // finished earlier in this batch
            };
            let done = conn
                .on_event(event, &meter, &mut total)
                .unwrap_or_else(|e| panic!("mio client: conn {}: {e}", event.token().0));
            if done {
                let mut conn = slots[event.token().0].take().expect("slot checked above");
                p.registry()
                    .deregister(&mut conn.stream)
                    .expect("mio client: deregister");
                finished += 1;
            }
        }
    }
}
