//! `Kernel::describe`: the fd table, every file, epoll interest and ready lists, sockets no fd
//! names, and the network queue, as text for failure messages.
//!
//! Deterministic: it walks fds in order and slotmap keys (printed as `index v version`) in
//! slot order, so the same history prints the same text; the determinism test relies on it.

use super::file::Kind;
use super::tcp::{Owner, SocketKey, State};
use super::Kernel;
use simkern_poller::sys::epoll::{
    EPOLLERR, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLIN, EPOLLONESHOT, EPOLLOUT, EPOLLPRI,
    EPOLLRDHUP,
};
use slotmap::Key;
use std::fmt::Write;

/// `EPOLLIN|EPOLLOUT|...` spelling of a mask, as strace prints it.
pub fn epoll_bits(mask: u32) -> String {
    const NAMES: [(u32, &str); 10] = [
        (EPOLLIN, "EPOLLIN"),
        (EPOLLPRI, "EPOLLPRI"),
        (EPOLLOUT, "EPOLLOUT"),
        (EPOLLERR, "EPOLLERR"),
        (EPOLLHUP, "EPOLLHUP"),
        (EPOLLRDHUP, "EPOLLRDHUP"),
        (EPOLLEXCLUSIVE, "EPOLLEXCLUSIVE"),
        (super::epoll::EPOLLWAKEUP, "EPOLLWAKEUP"),
        (EPOLLONESHOT, "EPOLLONESHOT"),
        (EPOLLET, "EPOLLET"),
    ];
    let mut out = String::new();
    let mut rest = mask;
    for (bit, name) in NAMES {
        if mask & bit != 0 {
            if !out.is_empty() {
                out.push('|');
            }
            out.push_str(name);
            rest &= !bit;
        }
    }
    if rest != 0 || out.is_empty() {
        if !out.is_empty() {
            out.push('|');
        }
        let _ = write!(out, "{rest:#x}");
    }
    out
}

fn id(key: impl Key) -> String {
    format!("{:?}", key.data())
}

impl Kernel {
    /// The whole kernel state as text.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "kernel at {} ns: {} fds open, {} network events queued, wake_count {}",
            self.clock,
            self.fds.len(),
            self.net.pending(),
            self.wake_count
        );
        // One process: its table, as before processes existed; more: each under its pid.
        let pids: Vec<super::Pid> = match self.process_count() {
            1 => vec![self.active_process()],
            _ => (1..=self.process_count() as u32).map(super::Pid).collect(),
        };
        for (pid, fd, file) in pids
            .iter()
            .flat_map(|&p| self.table(p).iter().map(move |(fd, file)| (p, fd, file)))
        {
            if pids.len() > 1 && self.table(pid).iter().next().map(|(f, _)| f) == Some(fd) {
                let _ = writeln!(out, "{pid}:");
            }
            let f = &self.files[file];
            let _ = write!(out, "{fd} -> file {} (refs {}): ", id(file), f.refs);
            match &f.kind {
                Kind::Epoll(ep) => {
                    let epoll = &self.epolls[*ep];
                    let _ = writeln!(out, "epoll {}", id(*ep));
                    for (&(efd, efile), &entry) in &epoll.interest {
                        let entry = &epoll.entries[entry];
                        let _ = writeln!(
                            out,
                            "    watches {efd} (file {}): {} data {:#x}{}",
                            id(efile),
                            epoll_bits(entry.events),
                            entry.data,
                            if entry.linked { " [ready list]" } else { "" }
                        );
                    }
                    let ready: Vec<String> = epoll
                        .ready
                        .iter()
                        .map(|&e| {
                            let (f, k) = epoll.entries[e].item;
                            format!("{f}/{}", id(k))
                        })
                        .collect();
                    let _ = writeln!(out, "    ready list: [{}]", ready.join(", "));
                }
                Kind::Socket(s) => {
                    let _ = writeln!(out, "{}", self.describe_socket(*s));
                }
                Kind::Udp(u) => {
                    let sock = &self.udps[*u];
                    let mut line = format!("udp socket {}", id(*u));
                    if let Some(local) = sock.local {
                        let _ = write!(line, " {local}");
                    }
                    if let Some(peer) = sock.peer {
                        let _ = write!(line, " -> {peer}");
                    }
                    let _ = write!(
                        line,
                        " queued {} ({} bytes charged)",
                        sock.queue.len(),
                        sock.rmem
                    );
                    if let Some(e) = sock.error {
                        let _ = write!(line, " error {e}");
                    }
                    let _ = writeln!(out, "{line}");
                }
                Kind::Unix(k) => {
                    let _ = writeln!(out, "{}", self.describe_unix(*k));
                }
                Kind::PipeRead(p) => {
                    let pipe = &self.pipes[*p];
                    let _ = writeln!(
                        out,
                        "pipe {} read end, {} bytes queued, writer {}",
                        id(*p),
                        pipe.len(),
                        if pipe.writer.is_some() {
                            "open"
                        } else {
                            "closed"
                        }
                    );
                }
                Kind::PipeWrite(p) => {
                    let pipe = &self.pipes[*p];
                    let _ = writeln!(
                        out,
                        "pipe {} write end, {} bytes queued, reader {}",
                        id(*p),
                        pipe.len(),
                        if pipe.reader.is_some() {
                            "open"
                        } else {
                            "closed"
                        }
                    );
                }
                Kind::EventFd(e) => {
                    let _ = writeln!(
                        out,
                        "eventfd count {}{}",
                        e.count,
                        if e.semaphore { " (semaphore)" } else { "" }
                    );
                }
            }
            let mask = self.poll_file(file, 0);
            let _ = writeln!(out, "    poll: {}", epoll_bits(mask));
        }
        for (s, sock) in &self.sockets {
            if !matches!(sock.owner, Owner::File(_)) {
                let _ = writeln!(out, "unnamed {}", self.describe_socket(s));
            }
        }
        for (k, sock) in &self.unixes {
            if sock.file.is_none() {
                let _ = writeln!(out, "embryo {}", self.describe_unix(k));
            }
        }
        for (name, k) in self.unix_names.iter() {
            let holder = match k {
                Some(k) => format!("{k:?}"),
                None => "a closed socket (until unlink)".to_string(),
            };
            let _ = writeln!(out, "unix name {name:?}: {holder}");
        }
        out
    }

    fn describe_socket(&self, s: SocketKey) -> String {
        let sock = &self.sockets[s];
        let mut out = format!("socket {} {}", id(s), sock.state_name());
        if let Some(local) = sock.local {
            let _ = write!(out, " {local}");
        }
        if let Some(peer) = sock.peer {
            let _ = write!(out, " -> {peer}");
        }
        match &sock.state {
            State::Listen(l) => {
                let _ = write!(
                    out,
                    " backlog {} queued {} in handshake {}",
                    l.backlog,
                    l.queue.len(),
                    l.syn_recv.len()
                );
            }
            State::SynSent => {
                let _ = write!(out, " syn retransmissions {}", sock.syn_attempt);
            }
            _ => {}
        }
        if let Some((c, side)) = sock.conn {
            let conn = &self.conns[c];
            let out_flow = &conn.flows[side.idx()];
            let _ = write!(
                out,
                " conn {} {:?}: readable {} unsent {} in flight {}",
                id(c),
                side,
                self.tcp_readable(s),
                out_flow.unsent(),
                out_flow.in_flight()
            );
        }
        if let Some(e) = sock.error {
            let _ = write!(out, " error {e}");
        }
        if sock.rcv_shutdown || sock.snd_shutdown {
            let _ = write!(
                out,
                " shutdown {}{}",
                if sock.rcv_shutdown { "rd" } else { "" },
                if sock.snd_shutdown { "wr" } else { "" }
            );
        }
        match sock.owner {
            Owner::File(_) => {}
            Owner::Listener(l) => {
                let _ = write!(out, " (child of {})", id(l));
            }
            Owner::Orphan => out.push_str(" (orphan)"),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::epoll_bits;
    use simkern_poller::sys::epoll::{EPOLLET, EPOLLIN, EPOLLRDHUP};

    /// Failure messages spell masks as strace does: names joined by `|`, unknown bits in hex.
    #[test]
    fn a_mask_is_spelled_with_linux_names() {
        assert_eq!(
            epoll_bits(EPOLLIN | EPOLLRDHUP | EPOLLET),
            "EPOLLIN|EPOLLRDHUP|EPOLLET"
        );
        assert_eq!(epoll_bits(EPOLLIN | 0x400), "EPOLLIN|0x400");
        assert_eq!(epoll_bits(0), "0x0");
    }
}
