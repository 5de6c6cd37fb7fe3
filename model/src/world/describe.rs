//! `World::describe`: the fd table, the epoll interest lists and the sockets as text, for
//! failure messages.

use super::World;
use crate::file::Kind;
use std::fmt::Write as _;

impl World {
    /// The fd table, the epoll interest lists and the sockets, for failure messages.
    pub(crate) fn describe(&self) -> String {
        let mut out = String::from("fd table:\n");
        for (fd, file) in self.fds.iter() {
            let f = self.file(file);
            let _ = write!(out, "  {fd:?} -> {file:?} (refs {}): ", f.refs);
            match &f.kind {
                Kind::PipeRead(p) => {
                    let _ = writeln!(out, "read end of {p:?}, {} bytes", self.pipes[p].len());
                }
                Kind::PipeWrite(p) => {
                    let _ = writeln!(out, "write end of {p:?}, {} bytes", self.pipes[p].len());
                }
                Kind::EventFd(e) => {
                    let _ = writeln!(out, "eventfd count {} semaphore {}", e.count, e.semaphore);
                }
                Kind::Socket(s) => {
                    let _ = writeln!(out, "{s:?}");
                }
                Kind::Udp(u) => {
                    let _ = writeln!(out, "{u:?}");
                }
                Kind::Unix(u) => {
                    let _ = writeln!(out, "{u:?}");
                }
                Kind::Epoll(epoll) => {
                    let _ = writeln!(out, "epoll");
                    for (key, e) in &epoll.entries {
                        let _ = writeln!(
                            out,
                            "      fd{} {:?}: {} data {} pending {:?}{}",
                            key.fd,
                            key.file,
                            crate::event::describe(e.events),
                            e.data,
                            e.pending,
                            if e.armed { "" } else { " disarmed" }
                        );
                    }
                }
            }
        }
        out.push_str("sockets:\n");
        for (id, s) in &self.sockets {
            let _ = writeln!(
                out,
                "  {id:?} {:?} {:?} {:?} peer {:?} unread {}{} sent {} done {} shut rd {} wr {} \
                 err {:?} in flight {:?}{}",
                s.tcp,
                s.ss,
                s.bound,
                s.peer,
                s.unread,
                if s.lossy > 0 {
                    format!(" ({} lossy)", s.lossy)
                } else {
                    String::new()
                },
                s.sent,
                s.done,
                s.rd_shut,
                s.wr_shut,
                s.err.map(crate::errno::describe),
                s.outbox,
                s.backlog
                    .as_ref()
                    .map(|b| format!(" queue {:?} (max {})", b.queue, b.max))
                    .unwrap_or_default()
            );
        }
        self.describe_udp(&mut out);
        self.describe_unix(&mut out);
        if !self.time_wait.is_empty() {
            let _ = writeln!(out, "TIME_WAIT: {:?}", self.time_wait);
        }
        out
    }
}
