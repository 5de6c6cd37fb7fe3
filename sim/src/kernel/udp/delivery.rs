//! Datagrams on the wire: sending one (`udp_transmit`), its arrival (`udp_arrive`), the
//! socket lookup that decides who gets it (`udp_lookup`), and the ICMP port-unreachable that
//! answers a datagram nobody takes.
//!
//! A datagram arrives whole at the socket the destination names when it arrives (not when it
//! was sent: a socket bound meanwhile gets it, one closed meanwhile does not). Nobody there:
//! the ICMP answer travels back one more drawn latency and, if it then finds the sender
//! connected to the datagram's destination, sets its error to `ECONNREFUSED` and wakes it
//! with `EPOLLERR`. A full receive queue drops the datagram with no answer. A partition (of
//! either port, or all) drops datagrams and ICMP answers alike.

use super::net::{Flight, Payload};
use super::socket::Datagram;
use super::{FlightKey, UdpKey};
use crate::kernel::choices::Choices;
use crate::kernel::tcp::{latency, Event};
use crate::kernel::Kernel;
use simkern_poller::sys::epoll::{EPOLLERR, EPOLLIN};
use simkern_poller::sys::Errno;
use std::net::SocketAddrV4;

impl Kernel {
    /// Puts a datagram from `u` (at `from`) to `to` on the wire at `now`.
    pub(crate) fn udp_transmit(
        &mut self,
        u: UdpKey,
        from: SocketAddrV4,
        to: SocketAddrV4,
        data: Vec<u8>,
        now: u64,
        ch: &mut dyn Choices,
    ) {
        if !to.ip().is_loopback() {
            return; // off the box: a black hole, as for TCP
        }
        let at = now.saturating_add(latency(&self.config, ch));
        let at = self.udps[u].fifo_arrival(to, at, now);
        let flight = self.udp.flights.insert(Flight {
            from,
            to,
            payload: Payload::Data(data),
        });
        self.net.schedule(at, Event::Datagram { flight });
    }

    /// A datagram or ICMP answer in flight arrives at `t`.
    pub(crate) fn udp_arrive(&mut self, flight: FlightKey, t: u64, ch: &mut dyn Choices) {
        let f = self
            .udp
            .flights
            .remove(flight)
            .expect("a live datagram event without its datagram");
        if self.net.is_partitioned(&[f.from, f.to]) {
            return;
        }
        match f.payload {
            Payload::Data(data) => {
                let Some(r) = self.udp_lookup(f.to, f.from) else {
                    // Nobody on that port: `icmp_send(ICMP_PORT_UNREACH)` back to the sender.
                    let at = t.saturating_add(latency(&self.config, ch));
                    let flight = self.udp.flights.insert(Flight {
                        payload: Payload::PortUnreachable,
                        ..f
                    });
                    self.net.schedule(at, Event::Datagram { flight });
                    return;
                };
                let rcvbuf = self.config.udp_rcvbuf;
                let d = Datagram { from: f.from, data };
                if self.udps[r].enqueue(d, rcvbuf) {
                    self.wake_udp(r, EPOLLIN); // `sk_data_ready`
                }
            }
            Payload::PortUnreachable => {
                // `__udp4_lib_err`: the socket a datagram from `to` to `from` would reach;
                // without `IP_RECVERR` only a connected one hears of it.
                let Some(s) = self.udp_lookup(f.from, f.to) else {
                    return;
                };
                if self.udps[s].peer.is_some() {
                    self.udps[s].error = Some(Errno::ECONNREFUSED);
                    self.wake_udp(s, EPOLLERR); // `sk_error_report`
                }
            }
        }
    }

    /// `__udp4_lib_lookup`: the socket a datagram to `dst` from `src` reaches, if any.
    /// Sockets bound to exactly `dst`'s address first, then those bound to 0.0.0.0; within
    /// each, the best score (a connected socket's peer must be `src`, and scores higher),
    /// ties to the socket bound last.
    pub(crate) fn udp_lookup(&self, dst: SocketAddrV4, src: SocketAddrV4) -> Option<UdpKey> {
        let candidates = self.udp.bound(dst.port());
        let best = |exact: bool| {
            candidates
                .iter()
                .copied()
                .filter_map(|u| {
                    let sock = &self.udps[u];
                    let local = sock.local.expect("a bound UDP socket without an address");
                    let fits = if exact {
                        local.ip() == dst.ip()
                    } else {
                        local.ip().is_unspecified()
                    };
                    if !fits {
                        return None;
                    }
                    let score = match sock.peer {
                        None => 0,
                        Some(p) if p.ip() != src.ip() => return None,
                        Some(p) if p.port() == 0 => 1,
                        Some(p) if p.port() != src.port() => return None,
                        Some(_) => 2,
                    };
                    Some((score, sock.bind_seq, u))
                })
                .max()
                .map(|(.., u)| u)
        };
        best(true).or_else(|| best(false))
    }
}
