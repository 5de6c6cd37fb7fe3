//! The echo benchmark's two sides on the poller: `Runtime::new(LinuxSys)`, one task per
//! connection, written as a user of the poller would write them.
//!
//! Server: a `TcpListener`; each accepted connection gets a task that `read`s and `write_all`s
//! back until the peer closes. Client: one task per connection that sends a message with
//! `write_all`, waits for the echo with `read_exact`, checks it, and repeats until the
//! `Meter` says stop.

use super::{fill_message, Meter, MSG_LEN, SERVER_READ_BUF};
use simkern::poller::{Errno, LinuxSys, Runtime, TcpListener, TcpStream};
use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::mpsc::Sender;
use std::sync::Arc;

/// Accepts exactly `conns` connections, echoes on each, returns when all have closed.
pub fn server(listen: SocketAddr, conns: usize, addr_tx: Sender<SocketAddr>) {
    let rt = Runtime::new(LinuxSys).expect("poller server: creating the loop");
    let handle = rt.handle().clone();
    rt.block_on(async move {
        let listener = TcpListener::bind(&handle, listen).expect("poller server: bind");
        let local = listener.local_addr().expect("poller server: getsockname");
        addr_tx
            .send(local)
            .expect("the driver waits for the address");
        let mut echoes = Vec::with_capacity(conns);
        for _ in 0..conns {
            let (stream, _peer) = listener.accept().await.expect("poller server: accept");
            stream
                .set_nodelay(true)
                .expect("poller server: TCP_NODELAY");
            echoes.push(handle.spawn(echo(stream)));
        }
        for echo in echoes {
            echo.await;
        }
    })
    .expect("poller server: epoll_wait failed");
}

async fn echo(stream: TcpStream<LinuxSys>) {
    let mut buf = vec![0u8; SERVER_READ_BUF];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => return,
            Ok(n) => stream
                .write_all(&buf[..n])
                .await
                .unwrap_or_else(|e| panic!("poller server: write: {e}")),
            Err(e) => panic!("poller server: read: {e}"),
        }
    }
}

/// Opens `conns` connections and ping-pongs on each until `meter` says stop.
pub fn client(addr: SocketAddr, conns: usize, meter: Arc<Meter>) {
    let rt = Runtime::new(LinuxSys).expect("poller client: creating the loop");
    let handle = rt.handle().clone();
    rt.block_on(async move {
        let total = Rc::new(Cell::new(0u64));
        let pingers: Vec<_> = (0..conns)
            .map(|conn| {
                let handle = handle.clone();
                let (meter, total) = (meter.clone(), total.clone());
                handle.clone().spawn(async move {
                    let stream = TcpStream::connect(&handle, addr)
                        .await
                        .unwrap_or_else(|e| panic!("poller client: connect {addr}: {e}"));
                    stream
                        .set_nodelay(true)
                        .expect("poller client: TCP_NODELAY");
                    ping_pong(&stream, conn, &meter, &total)
                        .await
                        .unwrap_or_else(|e| panic!("poller client: conn {conn}: {e}"));
                })
            })
            .collect();
        for pinger in pingers {
            pinger.await;
        }
    })
    .expect("poller client: epoll_wait failed");
}

async fn ping_pong(
    stream: &TcpStream<LinuxSys>,
    conn: usize,
    meter: &Meter,
    total: &Cell<u64>,
) -> Result<(), Errno> {
    let mut msg = [0u8; MSG_LEN];
    let mut back = [0u8; MSG_LEN];
    let mut seq = 0u64;
    while !meter.stopped() {
        fill_message(&mut msg, conn, seq);
        stream.write_all(&msg).await?;
        stream.read_exact(&mut back).await?;
        assert_eq!(
            back, msg,
            "poller client: conn {conn} round trip {seq}: bad echo"
        );
        seq += 1;
        total.set(total.get() + 1);
        meter.publish(total.get());
    }
    Ok(())
}
