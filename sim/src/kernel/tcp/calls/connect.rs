//! `connect` of a TCP socket (a UDP one goes to `udp::calls`; an inet address on a Unix one is
//! `EINVAL`), and `tcp_disconnect` after a failed connect; errors in the order the module docs
//! of `calls` give.

use crate::kernel::choices::Choices;
use crate::kernel::sockets::SockRef;
use crate::kernel::tcp::socket::Ss;
use crate::kernel::tcp::{net, SegKind, Side, SocketKey, State};
use crate::kernel::Kernel;
use simkern_poller::sys::epoll::EPOLLERR;
use simkern_poller::sys::{Errno, Fd, SysResult};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

impl Kernel {
    /// `connect`: a nonblocking connect that starts returns `Err(EINPROGRESS)`.
    pub fn connect(
        &mut self,
        fd: Fd,
        addr: SocketAddr,
        now: u64,
        ch: &mut dyn Choices,
    ) -> SysResult<()> {
        self.set_clock(now);
        let s = match self.sock_ref(fd)? {
            SockRef::Tcp(s) => s,
            SockRef::Udp(u) => return self.udp_connect(u, addr),
            SockRef::Unix(_) => return Err(Errno::EINVAL),
        };
        let SocketAddr::V4(dst) = addr else {
            return Err(Errno::EAFNOSUPPORT);
        };
        let sock = &mut self.sockets[s];
        match (sock.ss, &sock.state) {
            (Ss::Connected, _) => return Err(Errno::EISCONN),
            (Ss::Disconnecting, _) => return Err(Errno::EINVAL),
            (Ss::Connecting, State::SynSent) => return Err(Errno::EALREADY),
            (Ss::Connecting, State::Established) => {
                sock.ss = Ss::Connected;
                return Ok(());
            }
            (Ss::Connecting, _) => {
                // The attempt failed since: report it once and make the socket reusable.
                let e = sock.error.take().unwrap_or(Errno::ECONNABORTED);
                self.disconnect(s);
                return Err(e);
            }
            (Ss::Unconnected, State::Closed) => {
                if sock.listened && self.config.linux.connect_after_listen_einval {
                    return Err(Errno::EINVAL);
                }
            }
            (Ss::Unconnected, _) => return Err(Errno::EISCONN),
        }
        let dst = if dst.ip().is_unspecified() {
            SocketAddrV4::new(Ipv4Addr::LOCALHOST, dst.port())
        } else {
            dst
        };
        let local = match sock.local {
            Some(l) if l.ip().is_unspecified() => SocketAddrV4::new(Ipv4Addr::LOCALHOST, l.port()),
            Some(l) => l,
            None => {
                let (min, max) = (
                    self.config.ephemeral_port_min,
                    self.config.ephemeral_port_max,
                );
                let port = self.net.ephemeral(min, max).ok_or(Errno::EADDRNOTAVAIL)?;
                self.net.bind_port(port, s);
                SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)
            }
        };
        let sock = &mut self.sockets[s];
        sock.autobound |= sock.local.is_none();
        sock.local = Some(local);
        sock.name = None;
        sock.peer = Some(dst);
        sock.state = State::SynSent;
        sock.ss = Ss::Connecting;
        sock.syn_attempt = 0;
        sock.attempted = true;
        sock.error = None;
        let c = self.new_conn(s, local, dst);
        self.send(c, Side::Client, SegKind::Syn, None, now, ch);
        let rto = self.config.syn_rto_initial_ns;
        self.net.schedule(
            now.saturating_add(rto),
            net::Event::SynTimer {
                sock: s,
                attempt: 0,
            },
        );
        Err(Errno::EINPROGRESS)
    }

    /// `tcp_disconnect` after a failed connect: back to a fresh, unconnected socket (bound
    /// only if `bind` chose the port), with a wakeup of key `EPOLLERR`.
    pub(super) fn disconnect(&mut self, s: SocketKey) {
        self.detach(s);
        self.tcp_put_port(s);
        let sock = &mut self.sockets[s];
        if !sock.addr_locked {
            // `inet_reset_saddr`: getsockname shows 0.0.0.0 (with the old port).
            for a in [&mut sock.local, &mut sock.name].into_iter().flatten() {
                a.set_ip(Ipv4Addr::UNSPECIFIED);
            }
        }
        sock.state = State::Closed;
        sock.ss = Ss::Unconnected;
        sock.peer = None;
        sock.rcv_shutdown = false;
        sock.snd_shutdown = false;
        sock.done = false;
        sock.fin_queued = false;
        sock.fin_acked = false;
        sock.closing = false;
        sock.nospace = false;
        self.wake_socket(s, EPOLLERR); // `sk_error_report`, the last thing it does
    }
}
