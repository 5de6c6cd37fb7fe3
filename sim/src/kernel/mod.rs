//! The simulated kernel: Linux's fd, epoll, TCP and UDP over loopback, Unix-domain sockets, pipe
//! and eventfd objects for
//! one or more processes, as a deterministic state machine.
//!
//! It knows nothing of threads or scheduling and does no I/O. Time is a `u64` of nanoseconds
//! handed in (`now`); every nondeterministic outcome is drawn from a `Choices` handed in; it
//! iterates only ordered containers (`BTreeMap`, `Vec`, `VecDeque`, `slotmap`). So the same
//! calls with the same choices give the same state, which `describe()` prints.
//!
//! Modules (one line each):
//! - `choices`: `Choices`, the one door for nondeterminism, and `Choice`, the kinds of decision.
//! - `config`: `Config`, tunables with their Linux defaults, and the named bounds.
//! - `fd_table`: the fd table: lowest-free numbering and `RLIMIT_NOFILE`.
//! - `process`: processes: one fd table each, the active one, exit closing a process's fds.
//! - `file`: open file descriptions: reference counts (`dup`), release on the last `close`.
//! - `fd_calls`: `dup3`/`dup2`, `fcntl`'s flags, `ioctl(FIONREAD)`.
//! - `waits`: poll masks for `poll`/`ppoll` and blocking I/O, flagged `pipe2`/`eventfd`.
//! - `wait_queue`: each file's poll mask and the wakeups that queue epoll entries.
//! - `epoll`: epoll instances: interest and ready lists, `epoll_ctl`, the harvest half of wait.
//! - `tcp`: stream sockets, connections and the loopback network with its delivery events.
//! - `udp`: datagram sockets: bind table, receive queues, datagrams and ICMP on the wire.
//! - `unix`: Unix-domain stream and datagram sockets, `socketpair`, the namespace of names.
//! - `sockets`: the calls both socket types share (`sendto`, `recvfrom`, `getpeername`,
//!   `getsockopt`), dispatched by type.
//! - `pipe`: pipes with page buffers, `PIPE_BUF` atomicity and `EPIPE`.
//! - `eventfd`: eventfd counters, semaphore mode.
//! - `io`: `read`, `write`, `writev`, `close` dispatched by file kind.
//! - `describe`: the state as text for failure messages.
//!
//! How a scheduler drives it: each simulated syscall is one method call; calls that can put
//! something on the network (connect, read, write, sendto, recvfrom, shutdown, close) take the
//! current virtual time `now` and a `Choices`. Time handed in never goes back (asserted). Network events
//! happen only in `advance(now, ..)`, which applies everything due by `now`; call it whenever
//! virtual time moves (all events are scheduled at or after the time of the call that caused
//! them, so nothing is ever due in the past). `epoll_wait` is split: `epoll_harvest` never
//! blocks; a thread that harvested nothing parks until `epoll_is_ready` turns true
//! (`wake_count` moves whenever it may have), its timeout passes, or `next_event_time` comes.
//!
//! Each call returns Linux's errno for Linux's reason; where Linux leaves an outcome open,
//! the module that takes the freedom says so in its docs (ready order: `epoll`; latency and
//! short writes: `tcp`).
//!
//! Processes: each call names fds of the active process (`enter`); a scheduler enters the
//! calling thread's process before each call. Everything but the fd tables is shared.
//!
//! Not modelled, kernel-wide: fork, exec and fd passing (a process starts with no fds), signals
//! (`EINTR` is the fault plan's business, given only to a call that would wait), blocking fds (`O_NONBLOCK` cleared by `fcntl`
//! is kept and reported, not honoured), `ENFILE`/`ENOMEM`.
//! Each module lists its own omissions.

mod choices;
mod config;
mod describe;
mod epoll;
mod eventfd;
mod fd_calls;
mod fd_table;
mod file;
mod io;
mod pipe;
mod process;
mod sockets;
mod tcp;
mod udp;
mod unix;
mod wait_queue;
mod waits;

#[cfg(test)]
mod tests;

pub use choices::{Choice, Choices, XorShift, Zero};
pub use config::{
    Config, ConfigError, EPHEMERAL_PORT_MAX, EPHEMERAL_PORT_MIN, LATENCY_NS_MAX, LATENCY_NS_MIN,
    PAGE_SIZE, PIPE_BUF, PIPE_CAPACITY, PIPE_DEF_BUFFERS, RLIMIT_NOFILE, RMEM_DEFAULT, SOMAXCONN,
    STEP_NS_MAX, STEP_NS_MAX_MAX, TCP_RMEM_DEFAULT, TCP_SYN_RETRIES, TCP_TIMEOUT_INIT_NS,
    TCP_TIMEWAIT_LEN_NS, TCP_WMEM_DEFAULT, WMEM_DEFAULT,
};
pub use describe::epoll_bits;
pub use epoll::EP_MAX_EVENTS;
pub use eventfd::EVENTFD_MAX;
pub use io::UIO_MAXIOV;
pub use process::{Pid, PID_MAX};
pub use tcp::Partition;
pub use udp::{truesize as udp_truesize, UDP_MAX_PAYLOAD};
pub use unix::{unix_truesize, MAX_DGRAM_QLEN, STREAM_SKB_MAX};

use epoll::Epoll;
pub(crate) use epoll::EpollKey;
use file::{File, FileKey};
use pipe::{Pipe, PipeKey};
use simkern_poller::sys::{Fd, SysResult};
use slotmap::SlotMap;
use tcp::{Conn, ConnKey, Net, Socket, SocketKey};

/// The simulated kernel of a set of processes.
pub struct Kernel {
    config: Config,
    /// The latest time the kernel was told about; time never goes back.
    clock: u64,
    /// The active process's fd table (`process` says why it lives here).
    fds: fd_table::Table,
    /// The other processes' fd tables, and which processes are alive.
    procs: process::Processes,
    files: SlotMap<FileKey, File>,
    epolls: SlotMap<EpollKey, Epoll>,
    sockets: SlotMap<SocketKey, Socket>,
    conns: SlotMap<ConnKey, Conn>,
    pipes: SlotMap<PipeKey, Pipe>,
    udps: SlotMap<udp::UdpKey, udp::Socket>,
    net: Net,
    /// UDP's bind table and datagrams in flight (their events are on `net`'s queue).
    udp: udp::Net,
    unixes: SlotMap<unix::UnixKey, unix::Socket>,
    /// Unix socket names: paths (kept after close until `unlink`) and abstract names.
    unix_names: unix::Names,
    /// Wakeups that passed an epoll entry's filters, ever.
    wake_count: u64,
    /// Epolls that may have become ready since the scheduler last asked (`take_woken`):
    /// every entry queued or re-queued, so a scheduler re-checks only the threads parked on
    /// these instead of every parked thread.
    woken: Vec<EpollKey>,
    /// Reused buffer for a harvest's level-triggered re-queues (no allocation per harvest).
    requeue: Vec<epoll::EntryKey>,
    /// The sources of the last `epoll_harvest_in_place` (no allocation per harvest).
    harvested: Vec<Fd>,
}

impl Kernel {
    /// A kernel with no open fds at time 0. Panics on a config `Config::check` refuses
    /// (check it first where the config is user input).
    pub fn new(config: Config) -> Kernel {
        if let Err(e) = config.check() {
            panic!("Kernel::new: {e}");
        }
        Kernel {
            fds: fd_table::Table::new(config.rlimit_nofile),
            procs: process::Processes::new(),
            net: Net::new(&config),
            udp: udp::Net::new(config.ephemeral_port_min),
            udps: SlotMap::with_key(),
            unixes: SlotMap::with_key(),
            unix_names: unix::Names::default(),
            config,
            clock: 0,
            files: SlotMap::with_key(),
            epolls: SlotMap::with_key(),
            sockets: SlotMap::with_key(),
            conns: SlotMap::with_key(),
            pipes: SlotMap::with_key(),
            wake_count: 0,
            woken: Vec::new(),
            requeue: Vec::new(),
            harvested: Vec::new(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The latest virtual time the kernel has seen, in ns.
    pub fn clock(&self) -> u64 {
        self.clock
    }

    /// Whether `take_woken` would hand out any epoll.
    #[inline]
    pub(crate) fn has_woken(&self) -> bool {
        !self.woken.is_empty()
    }

    /// Moves the epolls that may have become ready since the last call into `out`.
    pub(crate) fn take_woken(&mut self, out: &mut Vec<EpollKey>) {
        out.clear();
        std::mem::swap(&mut self.woken, out);
    }

    /// The epoll behind `epfd`, if it is one.
    pub(crate) fn epoll_key(&self, epfd: Fd) -> Option<EpollKey> {
        match self.files.get(self.fds.get(epfd)?)?.kind {
            file::Kind::Epoll(ep) => Some(ep),
            _ => None,
        }
    }

    /// Counts every wakeup that queued (or re-queued) an epoll entry. A parked `epoll_wait`
    /// can only become ready when this moves.
    pub fn wake_count(&self) -> u64 {
        self.wake_count
    }

    /// The active process's open fds in ascending order (for the fd-leak oracle).
    pub fn open_fds(&self) -> Vec<Fd> {
        self.fds.iter().map(|(fd, _)| fd).collect()
    }

    /// The fd's current readiness mask, as `poll(2)` would compute it (no side effects).
    pub fn poll(&self, fd: Fd) -> SysResult<u32> {
        Ok(self.poll_file(self.file_of(fd)?, 0))
    }

    /// Moves the clock to `now`, which must not be in the past.
    fn set_clock(&mut self, now: u64) {
        assert!(
            now >= self.clock,
            "virtual time went back from {} ns to {now} ns: the scheduler passed a stale now",
            self.clock
        );
        self.clock = now;
    }
}
