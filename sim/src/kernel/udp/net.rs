//! `Net`: UDP's share of the loopback network — its bind table (a namespace apart from
//! TCP's), and the datagrams on the wire. Their arrival events go on the one network queue
//! (`tcp::net::Net`, `Event::Datagram`), so TCP segments and UDP datagrams come due in one
//! `(time, seq)` order.

use super::UdpKey;
use std::collections::BTreeMap;
use std::net::SocketAddrV4;

slotmap::new_key_type! {
    /// A datagram (or the ICMP answer to one) on the wire.
    pub(crate) struct FlightKey;
}

/// What is on the wire.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Payload {
    /// A datagram's bytes.
    Data(Vec<u8>),
    /// An ICMP port-unreachable about a datagram `from` sent to `to`, on its way back.
    PortUnreachable,
}

/// One datagram in flight from `from` to `to` (for an ICMP answer: the original datagram's
/// addresses, travelling back to `from`).
#[derive(Debug)]
pub(crate) struct Flight {
    pub(crate) from: SocketAddrV4,
    pub(crate) to: SocketAddrV4,
    pub(crate) payload: Payload,
}

/// UDP's ports and datagrams in flight.
#[derive(Default)]
pub(crate) struct Net {
    /// Port → the UDP sockets bound to it, in bind order.
    ports: BTreeMap<u16, Vec<UdpKey>>,
    pub(crate) flights: slotmap::SlotMap<FlightKey, Flight>,
    next_ephemeral: u16,
    /// Bind order (`Socket::bind_seq`).
    bind_seq: u64,
}

impl Net {
    pub(crate) fn new(ephemeral_port_min: u16) -> Net {
        Net {
            next_ephemeral: ephemeral_port_min,
            ..Net::default()
        }
    }

    /// The UDP sockets bound to `port`.
    pub(crate) fn bound(&self, port: u16) -> &[UdpKey] {
        self.ports.get(&port).map_or(&[], Vec::as_slice)
    }

    /// Lists `u` under `port`; returns its bind sequence number.
    pub(crate) fn bind_port(&mut self, port: u16, u: UdpKey) -> u64 {
        let list = self.ports.entry(port).or_default();
        assert!(
            !list.contains(&u),
            "UDP socket {u:?} bound to port {port} twice"
        );
        list.push(u);
        self.next_seq()
    }

    /// A fresh bind sequence number: a later bind wins a tie in `udp_lookup`.
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.bind_seq += 1;
        self.bind_seq
    }

    pub(crate) fn unbind_port(&mut self, port: u16, u: UdpKey) {
        let list = self.ports.get_mut(&port).unwrap_or_else(|| {
            panic!("unbinding UDP socket {u:?} from port {port}, which has none")
        });
        let at = list.iter().position(|&k| k == u).unwrap_or_else(|| {
            panic!("unbinding UDP socket {u:?} from port {port}, where it is not bound")
        });
        list.remove(at);
        if list.is_empty() {
            self.ports.remove(&port);
        }
    }

    /// A UDP port in `[min, max]` nobody is bound to, if any (the same walk as TCP's).
    pub(crate) fn ephemeral(&mut self, min: u16, max: u16) -> Option<u16> {
        let ports = &self.ports;
        crate::kernel::tcp::ephemeral_port(&mut self.next_ephemeral, min, max, |p| {
            ports.contains_key(&p)
        })
    }
}
