//! Network fault hooks: abrupt resets and partitions. Mechanism only; a fault plan decides
//! when to use them.
//!
//! - `reset_connection(fd)`: an RST reaches the fd's socket now, and one leaves it for the
//!   peer, arriving after a drawn latency — as when a middlebox kills the connection, or the
//!   peer host died and its rebooted kernel answers. The fd's end takes Linux's `tcp_reset`
//!   path at once (its unsent data is lost); the peer gets the in-flight data ahead of the RST,
//!   then resets. An abrupt death that sends nothing is a partition of the dead side's port.
//! - `set_partition(scope, on)`: segments of connections touching a partitioned port (or all)
//!   are held until it heals (see `net`); a dial into a partition times out.

use super::net::Event;
use super::{SegKind, Side, State};
use crate::kernel::choices::Choices;
use crate::kernel::file::Kind;
use crate::kernel::Kernel;
use simkern_poller::sys::Fd;

/// What a partition cuts off.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Partition {
    /// Every connection.
    All,
    /// Every connection with an endpoint on this local port (a listener's port cuts off its
    /// server; a client's ephemeral port cuts off one dialer).
    Port(u16),
}

impl Kernel {
    /// Resets `fd`'s connection at `now` (see the module docs). Returns whether there was a
    /// connection to reset: a fault plan may aim this at any fd, and anything but a connecting
    /// or established socket is left alone.
    pub fn reset_connection(&mut self, fd: Fd, now: u64, ch: &mut dyn Choices) -> bool {
        self.set_clock(now);
        let Some(Kind::Socket(s)) = self.fds.get(fd).map(|f| &self.files[f].kind) else {
            return false;
        };
        let s = *s;
        let sock = &self.sockets[s];
        let established = match sock.state {
            State::Established => true,
            State::SynSent => false,
            _ => return false,
        };
        let conn = sock.conn;
        if let (true, Some((c, side))) = (established, conn) {
            // The middlebox drops what this end has on its way; a received RST would not.
            self.conns[c].flows[side.idx()].discard_in_flight(false);
        }
        self.tcp_reset(s);
        if let (true, Some((c, side))) = (established, conn) {
            self.send(c, side, SegKind::Rst, None, now, ch);
        }
        true
    }

    /// Starts (`on`) or heals a partition at `now`. Healing releases held segments at once.
    pub fn set_partition(&mut self, scope: Partition, on: bool, now: u64) {
        self.set_clock(now);
        match (scope, on) {
            (Partition::All, on) => self.net.partition_all = on,
            (Partition::Port(p), true) => {
                self.net.partitioned_ports.insert(p);
            }
            (Partition::Port(p), false) => {
                self.net.partitioned_ports.remove(&p);
            }
        }
        if on {
            return;
        }
        for (c, conn) in &mut self.conns {
            if self.net.is_partitioned(&conn.addrs) {
                continue;
            }
            for side in [Side::Client, Side::Server] {
                let flow = &mut conn.flows[side.idx()];
                if flow.held {
                    flow.held = false;
                    flow.scheduled = Some(now);
                    self.net.schedule(now, Event::Flow { conn: c, side });
                }
            }
        }
    }
}
