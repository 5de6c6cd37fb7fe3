//! The Unix socket calls: the `Kernel`'s public `*_unix` calls, `socketpair` and `unlink`,
//! and the Unix arm of the calls every socket takes (`socket`, `bind`, `shutdown`,
//! `setsockopt`, `getsockopt`, names, `read`/`write`, release on the last `close`). The
//! public socket calls (`tcp::calls`, `sockets`, `io`) check `EBADF` and `ENOTSOCK` and
//! dispatch here. See `unix` for the semantics.

use super::socket::{Socket, State, UnixKey};
use crate::kernel::choices::Choices;
use crate::kernel::file::Kind;
use crate::kernel::io::Src;
use crate::kernel::sockets::SockRef;
use crate::kernel::Kernel;
use simkern_poller::sys::{Errno, Fd, MsgFlags, Shutdown, SockOpt, SockType, SysResult, UnixAddr};
use std::io::IoSlice;

impl Kernel {
    /// A new Unix socket of type `ty`, installed at the lowest free fd (the caller checked
    /// `EMFILE`).
    pub(crate) fn unix_socket(&mut self, ty: SockType) -> Fd {
        let k = self.unixes.insert(Socket::new(ty));
        self.unix_install(k)
    }

    /// Installs a file for socket `k`.
    fn unix_install(&mut self, k: UnixKey) -> Fd {
        let fd = self.install(Kind::Unix(k));
        self.unixes[k].file = Some(self.fds.get(fd).expect("just installed"));
        fd
    }

    /// The live socket named `name` of type `ty` (`unix_find_other`).
    pub(crate) fn unix_find(&self, name: &UnixAddr, ty: SockType) -> SysResult<UnixKey> {
        self.unix_names
            .find(name, ty, |k| self.unixes.get(k).map(|s| s.ty))
    }

    /// `socketpair(AF_UNIX, ty | SOCK_NONBLOCK | SOCK_CLOEXEC)`: two connected, unnamed ends.
    pub fn socketpair(&mut self, ty: SockType) -> SysResult<(Fd, Fd)> {
        if !self.fds.can_alloc(2) {
            return Err(Errno::EMFILE);
        }
        let (a, b) = (
            self.unixes.insert(Socket::new(ty)),
            self.unixes.insert(Socket::new(ty)),
        );
        for (k, peer) in [(a, b), (b, a)] {
            let sock = &mut self.unixes[k];
            sock.peer = Some(peer);
            if ty == SockType::Stream {
                sock.state = State::Connected;
            }
        }
        Ok((self.unix_install(a), self.unix_install(b)))
    }

    /// `bind` of a Unix socket to `addr` (see `unix::names`); on an inet socket, as Linux:
    /// `EINVAL` when the `sockaddr_un` is shorter than a `sockaddr_in`, else `EAFNOSUPPORT`.
    pub fn bind_unix(&mut self, fd: Fd, addr: &UnixAddr) -> SysResult<()> {
        // The real backend refuses a name no `sockaddr_un` can hold before the call.
        addr.check()?;
        let k = match self.sock_ref(fd)? {
            SockRef::Unix(k) => k,
            _ => return Err(inet_mismatch(addr)),
        };
        let path = matches!(addr, UnixAddr::Path(_));
        if path && self.unix_names.path_exists(addr) {
            return Err(Errno::EADDRINUSE); // mknod runs before the bound check
        }
        if self.unixes[k].name != UnixAddr::Unnamed {
            return Err(Errno::EINVAL);
        }
        let ty = self.unixes[k].ty;
        self.unix_names.bind(addr, k, ty)?;
        self.unixes[k].name = addr.clone();
        self.unixes[k].binder = true;
        // Linux reads a socket's address when asked (`unix_getname` of the peer,
        // `unix_copy_addr(skb->sk)` at `recvfrom`): a name bound now is the peer name of the
        // sockets connected to `k` and the sender of what `k` sent before.
        for (_, sock) in self.unixes.iter_mut() {
            if sock.peer == Some(k) {
                sock.peer_name = addr.clone();
            }
            for skb in sock.queue.iter_mut().filter(|skb| skb.sender == k) {
                skb.from = addr.clone();
            }
        }
        Ok(())
    }

    /// `connect` of a Unix socket: a stream connect completes or fails at once; a datagram
    /// connect sets the default peer. On an inet socket, as `bind_unix`.
    pub fn connect_unix(&mut self, fd: Fd, addr: &UnixAddr) -> SysResult<()> {
        addr.check()?; // before the call, as the real backend
        let k = match self.sock_ref(fd)? {
            SockRef::Unix(k) => k,
            _ => return Err(inet_mismatch(addr)),
        };
        match self.unixes[k].ty {
            SockType::Stream => self.unix_stream_connect(k, addr),
            SockType::Dgram => self.unix_dgram_connect(k, addr),
        }
    }

    /// `accept4` on a Unix listener: the new fd and the peer's name. On an inet listener the
    /// connection is accepted and its address reported `Unnamed`.
    pub fn accept4_unix(&mut self, fd: Fd) -> SysResult<(Fd, UnixAddr)> {
        let k = match self.sock_ref(fd)? {
            SockRef::Unix(k) => k,
            _ => return self.accept4(fd).map(|(new, _)| (new, UnixAddr::Unnamed)),
        };
        if !self.fds.can_alloc(1) {
            return Err(Errno::EMFILE);
        }
        let (child, peer) = self.unix_accept(k)?;
        Ok((self.unix_install(child), peer))
    }

    /// `getsockname` (`peer` false) or `getpeername` of a Unix socket; `EAFNOSUPPORT` on an
    /// inet socket.
    pub fn unix_name(&self, fd: Fd, peer: bool) -> SysResult<UnixAddr> {
        let SockRef::Unix(k) = self.sock_ref(fd)? else {
            return Err(Errno::EAFNOSUPPORT);
        };
        let sock = &self.unixes[k];
        match (peer, sock.peer) {
            (false, _) => Ok(sock.name.clone()),
            (true, Some(_)) => Ok(sock.peer_name.clone()),
            (true, None) => Err(Errno::ENOTCONN),
        }
    }

    /// `sendto` on a Unix socket (`addr` `None` is `send`). A stream socket given an address
    /// is `EISCONN` connected, else `EOPNOTSUPP`. On an inet socket: a UDP socket given an
    /// address is as `bind_unix`; otherwise as `sendto`.
    pub fn sendto_unix(
        &mut self,
        fd: Fd,
        buf: &[u8],
        flags: MsgFlags,
        addr: Option<&UnixAddr>,
        now: u64,
        ch: &mut dyn Choices,
    ) -> SysResult<usize> {
        if let Some(addr) = addr {
            addr.check()?; // before the call, as the real backend
        }
        let k = match (self.sock_ref(fd)?, addr) {
            (SockRef::Unix(k), _) => k,
            (SockRef::Udp(_), Some(addr)) => return Err(inet_mismatch(addr)),
            _ => return self.sendto(fd, buf, flags, None, now, ch),
        };
        self.set_clock(now);
        let bufs = [IoSlice::new(buf)];
        self.unix_send(k, &Src::new(&bufs, usize::MAX), addr)
    }

    /// `recvfrom` on a Unix socket: the bytes and the sender's name. On an inet socket the
    /// data is taken, then the call is `EAFNOSUPPORT` when there is a sender (UDP), else the
    /// sender is `Unnamed` (TCP).
    pub fn recvfrom_unix(
        &mut self,
        fd: Fd,
        buf: &mut [u8],
        flags: MsgFlags,
        now: u64,
        ch: &mut dyn Choices,
    ) -> SysResult<(usize, UnixAddr)> {
        let k = match self.sock_ref(fd)? {
            SockRef::Unix(k) => k,
            _ => {
                return match self.recvfrom(fd, buf, flags, now, ch)? {
                    (n, None) => Ok((n, UnixAddr::Unnamed)),
                    (_, Some(_)) => Err(Errno::EAFNOSUPPORT),
                }
            }
        };
        self.set_clock(now);
        self.unix_recv(k, buf, flags)
    }

    /// `unlink` of a socket path (only socket paths exist here).
    pub fn unlink(&mut self, path: &[u8]) -> SysResult<()> {
        self.unix_names.unlink(path)
    }

    /// `send`/`sendto`/`write` on Unix socket `k`.
    pub(crate) fn unix_send(
        &mut self,
        k: UnixKey,
        src: &Src<'_, '_>,
        addr: Option<&UnixAddr>,
    ) -> SysResult<usize> {
        let sock = &self.unixes[k];
        match (sock.ty, addr) {
            (SockType::Stream, None) => self.unix_stream_write(k, src),
            (SockType::Stream, Some(_)) => Err(if matches!(sock.state, State::Connected) {
                Errno::EISCONN
            } else {
                Errno::EOPNOTSUPP
            }),
            (SockType::Dgram, _) => self.unix_dgram_send(k, src, addr),
        }
    }

    /// `recv`/`recvfrom`/`read` on Unix socket `k`.
    pub(crate) fn unix_recv(
        &mut self,
        k: UnixKey,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> SysResult<(usize, UnixAddr)> {
        match self.unixes[k].ty {
            SockType::Stream => self.unix_stream_read(k, buf, flags),
            SockType::Dgram => self.unix_dgram_recv(k, buf, flags),
        }
    }

    /// `unix_shutdown`: sets the bits, and on a connected stream socket the mirrored bits on
    /// its peer; succeeds unconnected. Wakes both.
    pub(crate) fn unix_shutdown(&mut self, k: UnixKey, how: Shutdown) -> SysResult<()> {
        let (rd, wr) = match how {
            Shutdown::Read => (true, false),
            Shutdown::Write => (false, true),
            Shutdown::Both => (true, true),
        };
        let sock = &mut self.unixes[k];
        sock.rcv_shutdown |= rd;
        sock.snd_shutdown |= wr;
        let peer = match (sock.ty, &sock.state) {
            (SockType::Stream, State::Connected) => sock.peer,
            _ => None,
        };
        self.wake_unix(k, 0);
        if let Some(p) = peer.filter(|&p| self.unixes.contains_key(p)) {
            let other = &mut self.unixes[p];
            other.snd_shutdown |= rd;
            other.rcv_shutdown |= wr;
            self.wake_unix(p, 0);
        }
        Ok(())
    }

    /// `setsockopt` on a Unix socket: the `SOL_SOCKET` options are accepted and change
    /// nothing here but `SO_BROADCAST`, which `getsockopt` reads back; `TCP_NODELAY`,
    /// `IP_TTL`, `IP_MULTICAST_TTL` and `IP_MULTICAST_LOOP` are `EOPNOTSUPP` (no
    /// protocol-level options).
    pub(crate) fn unix_setsockopt(&mut self, k: UnixKey, opt: SockOpt) -> SysResult<()> {
        match opt {
            SockOpt::ReuseAddr(_) | SockOpt::Linger(_) => Ok(()),
            SockOpt::Broadcast(on) => {
                self.unixes[k].broadcast = on;
                Ok(())
            }
            SockOpt::NoDelay(_)
            | SockOpt::Ttl(_)
            | SockOpt::MulticastTtl(_)
            | SockOpt::MulticastLoop(_) => Err(Errno::EOPNOTSUPP),
        }
    }

    /// `unix_release_sock`: the last close of socket `k` (or of an embryo, `k` never
    /// accepted). A stream peer gets both directions shut (and `ECONNRESET` if `k` had unread
    /// data or was never accepted); a listener's embryos are released in turn; the queue is
    /// dropped; the name is released (a path stays until `unlink`).
    pub(crate) fn unix_close(&mut self, k: UnixKey) {
        let mut sock = self.unixes.remove(k).expect("closing a unix socket twice");
        if sock.binder {
            self.unix_names.release(&sock.name, k, sock.ty);
        }
        let embryo = sock.file.is_none();
        if let (SockType::Stream, Some(p)) = (sock.ty, sock.peer) {
            if let Some(other) = self.unixes.get_mut(p) {
                if other.peer == Some(k) {
                    if !sock.queue.is_empty() || embryo {
                        other.error = Some(Errno::ECONNRESET);
                    }
                    other.rcv_shutdown = true;
                    other.snd_shutdown = true;
                    self.wake_unix(p, 0);
                }
            }
        }
        for skb in std::mem::take(&mut sock.queue) {
            self.unix_uncharge(skb.sender, skb.charge);
        }
        if let State::Listen { queue, .. } = sock.state {
            for e in queue {
                self.unix_close(e);
            }
        }
        if sock.ty == SockType::Dgram {
            // Senders that had lost EPOLLOUT to its full queue may send (and learn it is gone).
            self.unix_wake_senders(k);
        }
    }
}

/// A Unix address given to an inet socket: `inet_bind`, `tcp_v4_connect`, `udp_sendmsg` and
/// `ip4_datagram_connect` refuse a short address (`EINVAL`) before a foreign family
/// (`EAFNOSUPPORT`). (A TCP socket already connected or connecting answers `EISCONN` or
/// `EALREADY` first on Linux; not modelled.)
fn inet_mismatch(addr: &UnixAddr) -> Errno {
    const SOCKADDR_IN_LEN: usize = 16;
    if addr.sockaddr_len() < SOCKADDR_IN_LEN {
        Errno::EINVAL
    } else {
        Errno::EAFNOSUPPORT
    }
}
