//! `ioctl(FIONREAD)`: the bytes a read could take now, per kind of file.
//!
//! A pipe's bytes from either end (`pipe_ioctl` is in the fops both ends share); a UDP
//! socket's next datagram's payload, 0 when none (`udp_ioctl` `SIOCINQ`,
//! `first_packet_length`); `ENOTTY` on an eventfd (no ioctl); on an epoll `EINVAL` since 6.9,
//! `ENOTTY` before (`linux::EPOLL_IOCTL`, FREEDOMS.md 7).
//! Does not model: TCP (`tcp_inq` would take the receive-window freedom of FREEDOMS.md 4):
//! `FIONREAD` on a TCP socket is unsupported.

use crate::errno::{EBADF, EINVAL, ENOTTY};
use crate::file::Kind;
use crate::model::Branch;
use crate::op::{Fd, Outcome};
use crate::world::World;

impl World {
    pub(crate) fn fionread(&self, fd: Fd) -> Vec<Branch> {
        let Some(file) = self.fds.get(fd) else {
            return self.fail(EBADF);
        };
        let n = match &self.file(file).kind {
            Kind::PipeRead(p) | Kind::PipeWrite(p) => self.pipes[p].len(),
            Kind::Udp(u) => self.udps[u].queue.front().map_or(0, |&(len, _)| len),
            Kind::EventFd(_) => return self.fail(ENOTTY),
            Kind::Epoll(_) => {
                return match self.cfg.linux {
                    None => [self.fail(EINVAL), self.fail(ENOTTY)].concat(),
                    Some(b) if b.epoll_ioctl_einval => self.fail(EINVAL),
                    Some(_) => self.fail(ENOTTY),
                }
            }
            Kind::Socket(_) => panic!("world: FIONREAD on TCP is unsupported (checked)"),
            Kind::Unix(_) => unreachable!("unix_branches answers FIONREAD on Unix sockets"),
        };
        let n = i32::try_from(n).expect("FIONREAD: a queue longer than i32::MAX");
        vec![Branch::Exact(Outcome::Int(n), self.clone())]
    }
}
