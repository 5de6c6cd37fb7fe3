//! Echo server on the poller, on the real kernel. Serves until killed.
//!
//! `cargo run --release --example echo-server -- 127.0.0.1:7000`
//!
//! With `--stats-every-ms N` it prints the loop's counters every N ms (tests use this to
//! watch accept back-off and iteration counts).

use simkern::poller::{Handle, LinuxSys, Runtime, Sys, TcpListener, TcpStream};
use std::net::SocketAddr;
use std::time::Duration;

fn main() {
    let mut args = std::env::args().skip(1);
    let addr: SocketAddr = match args.next().map(|a| a.parse()) {
        Some(Ok(addr)) => addr,
        Some(Err(e)) => die(&format!("bad listen address: {e}")),
        None => die("usage: echo-server ADDR [--stats-every-ms N]"),
    };
    let stats_every = match (args.next().as_deref(), args.next()) {
        (Some("--stats-every-ms"), Some(n)) => match n.parse::<u64>() {
            Ok(ms) if ms > 0 => Some(Duration::from_millis(ms)),
            _ => die(&format!(
                "--stats-every-ms wants a positive integer, got {n:?}"
            )),
        },
        (None, _) => None,
        (Some(other), _) => die(&format!("unknown argument {other:?}")),
    };
    let rt = Runtime::new(LinuxSys).unwrap_or_else(|e| die(&format!("creating the loop: {e}")));
    let handle = rt.handle().clone();
    let result = rt.block_on(async move {
        let listener =
            TcpListener::bind(&handle, addr).unwrap_or_else(|e| die(&format!("bind {addr}: {e}")));
        let local = listener
            .local_addr()
            .unwrap_or_else(|e| die(&format!("getsockname: {e}")));
        println!("listening on {local}");
        if let Some(every) = stats_every {
            let h = handle.clone();
            handle.spawn(async move {
                loop {
                    h.sleep(every).await;
                    println!("stats {:?}", h.stats());
                }
            });
        }
        serve(&handle, &listener).await
    });
    match result {
        Ok(Err(e)) => die(&format!("accept failed: {e}")),
        Ok(Ok(())) => {}
        Err(e) => die(&format!("event loop failed: {e}")),
    }
}

/// Accepts forever; each connection echoes until the peer closes or resets.
async fn serve<S: Sys>(
    handle: &Handle<S>,
    listener: &TcpListener<S>,
) -> Result<(), simkern::poller::Errno> {
    loop {
        let (stream, _peer) = listener.accept().await?;
        handle.spawn(echo(stream));
    }
}

async fn echo<S: Sys>(stream: TcpStream<S>) {
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn die(msg: &str) -> ! {
    eprintln!("echo-server: {msg}");
    std::process::exit(2);
}
