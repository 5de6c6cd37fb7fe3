//! The scenario's clients: a roaming session that moves to a new connection, a bystander that
//! pings on its own, and their verdict when the server drops a link in use.

use super::{Closed, Log, LOG_WAITS_MAX};
use crate::mio_link::{pause, Dropped, Link};
use std::net::SocketAddr;

/// The client's verdict on a link the server dropped while it was in use.
fn dropped(link: &Link, log: &Log) {
    // A reset can reach the client before the server's close that follows it is logged (an
    // injected `ECONNRESET` in the server's read resets the connection at once), so wait.
    let mut why = None;
    for _ in 0..LOG_WAITS_MAX {
        why = log.lock().unwrap().get(&link.local).copied();
        if why.is_some() {
            break;
        }
        pause();
    }
    match why {
        // Faults in the server's own calls close connections: not this scenario's bug.
        Some(Closed::Error(_)) => {}
        // The failure message names no client (the signature is the same whoever was hit); the
        // server's fd for the connection is what `replay --explain` follows.
        Some(Closed::TakenOver) => panic!(
            "a client's connection was taken over by a session it never opened (client at {})",
            link.local
        ),
        Some(Closed::PeerGone { fd, token }) => panic!(
            "the server closed a live client connection as if its peer had gone (the server's \
             fd {fd}, token {token}): an event for another connection reached it (client at {})",
            link.local
        ),
        None => panic!(
            "a client's connection dropped and the server never closed it (client at {})",
            link.local
        ),
    }
}

pub(super) fn roam(addr: SocketAddr, session: &str, moves: u64, log: &Log) {
    let hello = format!("HELLO {session}");
    let mut link = Link::connect(addr);
    if link.failed()
        || link
            .send(&hello)
            .and_then(|()| link.expect("WELCOME"))
            .is_err()
    {
        return dropped(&link, log);
    }
    for _ in 0..moves {
        let mut next = Link::connect(addr);
        if next.failed() || next.send(&hello).is_err() {
            return dropped(&next, log);
        }
        drop(link); // The old link is dead to this client: it closes it at once.
        if next.expect("WELCOME").is_err() {
            return dropped(&next, log);
        }
        link = next;
    }
}

pub(super) fn visit(addr: SocketAddr, session: &str, pings: u64, log: &Log) {
    let mut link = Link::connect(addr);
    if link.failed() {
        return dropped(&link, log);
    }
    let mut exchange = || -> Result<(), Dropped> {
        link.send(&format!("HELLO {session}"))?;
        link.expect("WELCOME")?;
        for _ in 0..pings {
            link.send("PING")?;
            link.expect("PONG")?;
        }
        Ok(())
    };
    if exchange().is_err() {
        dropped(&link, log);
    }
}
