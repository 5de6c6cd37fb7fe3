//! The closing half of arrivals: a `FIN` (end of stream, and the last `ACK` of a close), the
//! `FIN_WAIT`/`TIME_WAIT` moves it makes, and a reset (`tcp_reset`).

use super::super::{ConnKey, Owner, SegKind, Side, SocketKey, State};
use crate::kernel::choices::Choices;
use crate::kernel::Kernel;
use simkern_poller::sys::Errno;

impl Kernel {
    pub(super) fn on_fin(
        &mut self,
        c: ConnKey,
        side: Side,
        receiver: Option<SocketKey>,
        t: u64,
        ch: &mut dyn Choices,
    ) {
        let sender = self.conns[c].ends[side.idx()];
        match receiver {
            Some(r) if matches!(self.sockets[r].state, State::Established) => {
                let sock = &mut self.sockets[r];
                sock.done = true;
                sock.rcv_shutdown = true;
                if sock.fin_queued && !sock.fin_acked {
                    sock.closing = true; // CLOSING: TIME_WAIT once ours is acknowledged
                } else if sock.fin_queued {
                    self.tcp_time_wait(r, t);
                }
                self.wake_socket(r, 0);
                self.maybe_free_orphan(r);
                if let Some(s) = sender {
                    self.tcp_fin_acked(s, t);
                }
            }
            // A closed receiver answers RST: the FIN is never acknowledged.
            _ => self.send(c, side.peer(), SegKind::Rst, None, t, ch),
        }
        if let Some(s) = self.conns.get(c).and_then(|conn| conn.ends[side.idx()]) {
            self.maybe_free_orphan(s);
        }
    }

    /// `s`'s FIN was received (its ACK implied): LAST_ACK ends in CLOSE, with `tcp_done`'s
    /// state-change wakeup; CLOSING ends in TIME_WAIT.
    pub(super) fn tcp_fin_acked(&mut self, s: SocketKey, t: u64) {
        let sock = &mut self.sockets[s];
        sock.fin_acked = true;
        if !(matches!(sock.state, State::Established) && sock.done) {
            return;
        }
        if sock.closing {
            self.tcp_time_wait(s, t);
        } else {
            sock.state = State::Closed;
            self.tcp_put_port(s);
        }
        self.wake_socket(s, 0);
    }

    /// The socket that sent its FIN first got its peer's (FIN_WAIT2 or CLOSING, the ACKs
    /// implied): TIME_WAIT. The socket itself is CLOSE (giving back a port the kernel chose);
    /// a TIME_WAIT entry keeps its address busy for `TCP_TIMEWAIT_LEN_NS` (see `net`).
    pub(super) fn tcp_time_wait(&mut self, s: SocketKey, t: u64) {
        let sock = &mut self.sockets[s];
        sock.state = State::Closed;
        if let Some(local) = sock.local {
            let until = t.saturating_add(crate::kernel::TCP_TIMEWAIT_LEN_NS);
            self.net.add_time_wait(local, sock.reuseaddr, until, t);
        }
        self.tcp_put_port(s);
    }

    /// `tcp_reset`: an RST arrived at `s` (or was injected). The pending error becomes
    /// `ECONNREFUSED` while connecting, `EPIPE` after the peer's FIN (`CLOSE_WAIT`), else
    /// `ECONNRESET`; unsent data (held back by the peer's window) is purged
    /// (`tcp_write_queue_purge`), while segments already on their way still arrive; received
    /// data stays readable. A child still in its handshake is simply dropped.
    pub(crate) fn tcp_reset(&mut self, s: SocketKey) {
        let sock = &mut self.sockets[s];
        match sock.state {
            State::Closed | State::Listen(_) => return,
            State::SynRecv { listener } => {
                let State::Listen(queue) = &mut self.sockets[listener].state else {
                    unreachable!("a SYN_RECV child whose listener stopped listening")
                };
                queue.syn_recv.retain(|&k| k != s);
                self.sockets[s].owner = Owner::Orphan;
                self.free_socket(s);
                return;
            }
            State::SynSent => {
                sock.error = Some(Errno::ECONNREFUSED);
                self.detach(s);
            }
            State::Established => {
                let close_wait = sock.done && !sock.snd_shutdown;
                sock.error = Some(if close_wait {
                    Errno::EPIPE
                } else {
                    Errno::ECONNRESET
                });
                if let Some((c, side)) = sock.conn {
                    let flow = &mut self.conns[c].flows[side.idx()];
                    if flow.blocked {
                        flow.discard_in_flight(false); // all of it waits for the window
                    }
                }
            }
        }
        let sock = &mut self.sockets[s];
        sock.state = State::Closed;
        sock.rcv_shutdown = true;
        sock.snd_shutdown = true;
        self.tcp_put_port(s);
        self.wake_socket(s, 0);
        if self.sockets[s].owner == Owner::Orphan {
            self.free_socket(s);
        }
    }
}
