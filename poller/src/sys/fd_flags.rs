//! Flags of fds and of open file descriptions, and the typed arguments of the calls that read
//! and set them: `fcntl`'s commands (`Fcntl`), `dup3`'s flags (`Dup3Flags`).
//!
//! Two levels, as Linux keeps them: `FD_CLOEXEC` belongs to one fd (a `dup` of it starts
//! without it unless asked), `O_NONBLOCK` and `O_APPEND` to the open file (every fd of a
//! `dup`ed file sees a change made through any of them). Values are Linux's (x86_64 and
//! aarch64 share them: `include/uapi/asm-generic/fcntl.h`).

/// `O_RDONLY`: the access mode of a pipe's read end.
pub const O_RDONLY: i32 = 0;
/// `O_WRONLY`: the access mode of a pipe's write end.
pub const O_WRONLY: i32 = 0o1;
/// `O_RDWR`: the access mode of sockets, eventfds and epolls.
pub const O_RDWR: i32 = 0o2;
/// `O_ACCMODE`: the access-mode bits of `F_GETFL`'s answer.
pub const O_ACCMODE: i32 = 0o3;
/// `O_APPEND`: kept and reported; it changes nothing on sockets, pipes or eventfds.
pub const O_APPEND: i32 = 0o2000;
/// `O_NONBLOCK` (`O_NDELAY` is the same bit on Linux).
pub const O_NONBLOCK: i32 = 0o4000;
/// `O_DIRECT`: packet mode on a pipe; the simulated kernel does not model it.
pub const O_DIRECT: i32 = 0o40000;
/// `O_NOATIME`: needs the file's owner; the simulated kernel does not model it.
pub const O_NOATIME: i32 = 0o1000000;
/// `O_CLOEXEC`, as `dup3` takes it.
pub const O_CLOEXEC: i32 = 0o2000000;
/// The status flags `F_SETFL` may change (`SETFL_MASK` in `fs/fcntl.c`); it ignores the rest
/// of its argument (the access mode, `O_CREAT`, ...).
pub const SETFL_MASK: i32 = O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME;
/// `FD_CLOEXEC`: the one fd flag.
pub const FD_CLOEXEC: i32 = 1;

/// The `fcntl` commands the boundary offers. Anything else (locks, leases, `F_DUPFD`, pipe
/// sizes) is not offered; `dup`/`dup3` duplicate fds.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Fcntl {
    /// `F_GETFD`: the fd flags (`FD_CLOEXEC` or 0).
    GetFd,
    /// `F_SETFD`: sets the fd flags; Linux keeps `FD_CLOEXEC` and ignores every other bit.
    SetFd(i32),
    /// `F_GETFL`: the access mode and status flags of the open file.
    GetFl,
    /// `F_SETFL`: sets the status flags in `SETFL_MASK`, ignoring the other bits.
    SetFl(i32),
}

impl Fcntl {
    /// The command and argument as `fcntl(2)` takes them (`F_GETFD` 1, `F_SETFD` 2,
    /// `F_GETFL` 3, `F_SETFL` 4).
    pub fn raw(self) -> (i32, i32) {
        match self {
            Fcntl::GetFd => (1, 0),
            Fcntl::SetFd(arg) => (2, arg),
            Fcntl::GetFl => (3, 0),
            Fcntl::SetFl(arg) => (4, arg),
        }
    }
}

/// `flags` of `dup3`: 0 or `O_CLOEXEC`; any other bit is `EINVAL`, as Linux.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Dup3Flags(pub i32);

impl Dup3Flags {
    /// No flags: the new fd has no `FD_CLOEXEC` (as `dup2`).
    pub const EMPTY: Dup3Flags = Dup3Flags(0);
    /// `O_CLOEXEC`: the new fd has `FD_CLOEXEC`.
    pub const CLOEXEC: Dup3Flags = Dup3Flags(O_CLOEXEC);
}
