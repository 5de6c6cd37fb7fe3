//! `ALLOWED`: the faults each call may be given. Every entry is one Linux can produce for the
//! call (its documented errnos, or what follows from a reset under it), so a failure found
//! under faults is a bug that can happen. `EINTR` is listed for the calls that can wait, and
//! fires only when the call would (see `super`'s docs): on the nonblocking sockets an event
//! loop uses it never reaches `read` or `accept4`.

use super::Fault;
use crate::trace::Call;
use simkern_poller::sys::Errno;

/// The faults each call may be given (the ones Linux documents for it, or that follow from
/// the connection being reset under it).
pub const ALLOWED: &[(Call, &[Fault])] = &[
    (
        Call::EpollWait,
        &[Fault::Errno(Errno::EINTR), Fault::EarlyWake],
    ),
    (
        Call::EpollCtl,
        &[Fault::Errno(Errno::ENOMEM), Fault::Errno(Errno::ENOSPC)],
    ),
    (
        Call::EpollCreate,
        &[
            Fault::Errno(Errno::EMFILE),
            Fault::Errno(Errno::ENFILE),
            Fault::Errno(Errno::ENOMEM),
        ],
    ),
    (
        Call::Socket,
        &[
            Fault::Errno(Errno::EMFILE),
            Fault::Errno(Errno::ENFILE),
            Fault::Errno(Errno::ENOMEM),
        ],
    ),
    (
        Call::Accept4,
        &[
            Fault::Errno(Errno::EMFILE),
            Fault::Errno(Errno::ENFILE),
            Fault::Errno(Errno::ENOMEM),
            Fault::Errno(Errno::EINTR),
            Fault::Errno(Errno::ECONNABORTED),
        ],
    ),
    (
        Call::Connect,
        &[
            Fault::Errno(Errno::ECONNREFUSED),
            Fault::Errno(Errno::EADDRNOTAVAIL),
            Fault::Errno(Errno::EINTR),
        ],
    ),
    (Call::Read, &[Fault::Errno(Errno::EINTR), Fault::Reset]),
    (
        Call::Write,
        &[Fault::Errno(Errno::EINTR), Fault::Reset, Fault::Short],
    ),
    (
        Call::Writev,
        &[Fault::Errno(Errno::EINTR), Fault::Reset, Fault::Short],
    ),
    (Call::Dup, &[Fault::Errno(Errno::EMFILE)]),
    (
        Call::Pipe2,
        &[Fault::Errno(Errno::EMFILE), Fault::Errno(Errno::ENFILE)],
    ),
    (
        Call::Eventfd,
        &[
            Fault::Errno(Errno::EMFILE),
            Fault::Errno(Errno::ENFILE),
            Fault::Errno(Errno::ENOMEM),
        ],
    ),
    // Appended after the older calls, so `swarm` draws their rates as before.
    (
        Call::Sendto,
        &[
            Fault::Errno(Errno::EINTR),
            Fault::Errno(Errno::ENOBUFS),
            Fault::Errno(Errno::ENOMEM),
            Fault::Reset,
            Fault::Short,
        ],
    ),
    (
        Call::Recvfrom,
        &[
            Fault::Errno(Errno::EINTR),
            Fault::Errno(Errno::ENOMEM),
            Fault::Reset,
        ],
    ),
    (Call::Getpeername, &[Fault::Errno(Errno::ENOBUFS)]),
    // Unix sockets, appended likewise (bind(2), connect(2), accept(2), socketpair(2),
    // send(2), recv(2), getsockname(2), unlink(2)). Directory errnos stand for the path
    // checks the simulated namespace does not make.
    (
        Call::BindUnix,
        &[
            Fault::Errno(Errno::EACCES),
            Fault::Errno(Errno::ENOENT),
            Fault::Errno(Errno::ENOTDIR),
            Fault::Errno(Errno::ENOMEM),
        ],
    ),
    (
        Call::ConnectUnix,
        &[
            Fault::Errno(Errno::EINTR),
            Fault::Errno(Errno::EACCES),
            Fault::Errno(Errno::EAGAIN),
            Fault::Errno(Errno::ENOMEM),
        ],
    ),
    (
        Call::Accept4Unix,
        &[
            Fault::Errno(Errno::EINTR),
            Fault::Errno(Errno::EMFILE),
            Fault::Errno(Errno::ENFILE),
            Fault::Errno(Errno::ENOBUFS),
            Fault::Errno(Errno::ENOMEM),
        ],
    ),
    (Call::UnixName, &[Fault::Errno(Errno::ENOBUFS)]),
    (
        Call::Socketpair,
        &[
            Fault::Errno(Errno::EMFILE),
            Fault::Errno(Errno::ENFILE),
            Fault::Errno(Errno::ENOMEM),
        ],
    ),
    (
        Call::SendtoUnix,
        &[
            Fault::Errno(Errno::EINTR),
            Fault::Errno(Errno::ENOBUFS),
            Fault::Errno(Errno::ENOMEM),
            Fault::Short,
        ],
    ),
    (
        Call::RecvfromUnix,
        &[Fault::Errno(Errno::EINTR), Fault::Errno(Errno::ENOMEM)],
    ),
    (
        Call::Unlink,
        &[
            Fault::Errno(Errno::EACCES),
            Fault::Errno(Errno::EBUSY),
            Fault::Errno(Errno::EIO),
        ],
    ),
    // fd calls, appended likewise. dup2(2): EBUSY (a race with open(2)), EINTR (the close
    // of the old file was interrupted); EMFILE as for dup. fcntl(2) and ioctl(2) list no
    // errno for F_GETFD/F_SETFD/F_GETFL/F_SETFL or FIONREAD that a valid call may meet.
    (
        Call::Dup3,
        &[
            Fault::Errno(Errno::EBUSY),
            Fault::Errno(Errno::EINTR),
            Fault::Errno(Errno::EMFILE),
        ],
    ),
    (
        Call::Dup2,
        &[
            Fault::Errno(Errno::EBUSY),
            Fault::Errno(Errno::EINTR),
            Fault::Errno(Errno::EMFILE),
        ],
    ),
    (Call::Fcntl, &[]),
    (Call::Ioctl, &[]),
    // Waits, appended likewise: epoll_pwait(2) and epoll_pwait2 as epoll_wait; poll(2) and
    // ppoll(2) EINTR and ENOMEM (no room for the kernel's copy of the fd table); an early
    // return of poll is not Linux's (its timeout is a lower bound). clock_nanosleep(2): EINTR.
    (
        Call::EpollPwait,
        &[Fault::Errno(Errno::EINTR), Fault::EarlyWake],
    ),
    (
        Call::EpollPwait2,
        &[Fault::Errno(Errno::EINTR), Fault::EarlyWake],
    ),
    (
        Call::Poll,
        &[Fault::Errno(Errno::EINTR), Fault::Errno(Errno::ENOMEM)],
    ),
    (
        Call::Ppoll,
        &[Fault::Errno(Errno::EINTR), Fault::Errno(Errno::ENOMEM)],
    ),
    (Call::Nanosleep, &[Fault::Errno(Errno::EINTR)]),
];

pub(super) fn allowed(call: Call) -> &'static [Fault] {
    ALLOWED
        .iter()
        .find(|(c, _)| *c == call)
        .map(|(_, f)| *f)
        .unwrap_or(&[])
}
