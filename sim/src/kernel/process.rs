//! Processes as the kernel sees them: each owns an fd table, with its own lowest-free
//! numbering and its own `RLIMIT_NOFILE` (`Config::rlimit_nofile` applies per process, as a
//! limit inherited by `fork` does on Linux), and dies by `exit`, which closes its fds.
//!
//! Everything else is one kernel shared by all: open files, sockets, connections, the
//! network, port and Unix name tables. A socket connected across processes is one kernel
//! socket pair, as on Linux; only the fd numbers that name files are per process.
//!
//! The active process. Every call acts on the fd table of the process `enter` chose last.
//! That table lives in `Kernel::fds`, the other processes' tables wait in `Processes::parked`
//! (the active one's slot there holds an empty placeholder), so an fd lookup costs what it
//! cost with one process: no extra indirection on the hot path, and a process switch is two
//! swaps of a table header. A scenario that never creates a process never switches.
//!
//! Exit (`exit_process`): the fds are closed in ascending order (Linux's `close_files`, from
//! `do_exit` → `exit_files`), each as `close` would: the last reference of a TCP socket with
//! unread received data sends RST, otherwise FIN (`tcp_close`); a listener resets every queued
//! and half-open connection (`inet_csk_listen_stop`); an epoll instance goes with its fd.
//! The dead process keeps its (empty) table, so a late call of a thread that was killed sees
//! `EBADF`, and its pid is never reused.
//!
//! Not modelled: `fork` (a new process starts with no fds: `posix_spawn` with every fd
//! close-on-exec), fd passing (`SCM_RIGHTS`), exit codes, signals other than the kill that
//! ends a process, `wait`/zombies, and per-process limits other than `RLIMIT_NOFILE`.

use super::fd_table::Table;
use super::{Choices, Kernel};
use simkern_poller::sys::{Errno, Fd, SysResult};
use std::fmt;

/// A simulated process's id. Pid 1 is the scenario's root process; later ones count up in
/// creation order and are never reused.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pid(pub(crate) u32);

impl Pid {
    /// The process of the scenario's root thread, which exists from the start.
    pub const ROOT: Pid = Pid(1);

    pub fn as_u32(self) -> u32 {
        self.0
    }

    fn index(self) -> usize {
        self.0 as usize - 1
    }
}

impl fmt::Debug for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pid {}", self.0)
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The most processes one run may create: Linux's default `kernel.pid_max` (32768). A
/// creation beyond it is `EAGAIN`, as `fork` answers.
pub const PID_MAX: usize = 32_768;

/// Every process's table but the active one's, and which are alive.
pub(crate) struct Processes {
    /// The process whose table is `Kernel::fds`.
    active: Pid,
    /// By pid index; the active process's slot holds an empty placeholder.
    parked: Vec<Table>,
    alive: Vec<bool>,
}

impl Processes {
    /// Process 1 alone, active.
    pub(crate) fn new() -> Processes {
        Processes {
            active: Pid::ROOT,
            parked: vec![Table::new(0)],
            alive: vec![true],
        }
    }
}

impl Kernel {
    /// Creates a process with an empty fd table; `EAGAIN` past `PID_MAX`.
    pub fn create_process(&mut self) -> SysResult<Pid> {
        let procs = &mut self.procs;
        if procs.parked.len() >= PID_MAX {
            return Err(Errno::EAGAIN);
        }
        procs.parked.push(Table::new(self.config.rlimit_nofile));
        procs.alive.push(true);
        Ok(Pid(procs.parked.len() as u32))
    }

    /// Makes `pid` the process whose fds the following calls name.
    #[inline]
    pub fn enter(&mut self, pid: Pid) {
        if pid != self.procs.active {
            self.switch_to(pid);
        }
    }

    #[cold]
    fn switch_to(&mut self, pid: Pid) {
        assert!(
            pid.index() < self.procs.parked.len(),
            "enter of {pid}, which was never created"
        );
        let old = self.procs.active.index();
        // The active table goes back to its slot (the placeholder comes out), then the new
        // one comes out of its slot (the placeholder goes in).
        std::mem::swap(&mut self.fds, &mut self.procs.parked[old]);
        std::mem::swap(&mut self.fds, &mut self.procs.parked[pid.index()]);
        self.procs.active = pid;
        assert_eq!(
            self.procs.parked[pid.index()].len(),
            0,
            "the slot of the active {pid} holds a table with fds: a switch lost a table"
        );
    }

    /// The process whose fds calls name now.
    pub fn active_process(&self) -> Pid {
        self.procs.active
    }

    pub fn is_alive(&self, pid: Pid) -> bool {
        self.procs.alive.get(pid.index()).copied() == Some(true)
    }

    /// The live processes, ascending.
    pub fn live_processes(&self) -> impl Iterator<Item = Pid> + '_ {
        (1..=self.procs.alive.len() as u32)
            .map(Pid)
            .filter(|&p| self.is_alive(p))
    }

    /// Number of processes ever created (process 1 included).
    pub fn process_count(&self) -> usize {
        self.procs.alive.len()
    }

    pub(crate) fn table(&self, pid: Pid) -> &Table {
        if pid == self.procs.active {
            &self.fds
        } else {
            &self.procs.parked[pid.index()]
        }
    }

    /// `pid`'s open fds in ascending order (for the fd-leak oracle).
    pub fn open_fds_of(&self, pid: Pid) -> Vec<Fd> {
        self.table(pid).iter().map(|(fd, _)| fd).collect()
    }

    /// `epoll_is_ready` of `pid`'s `epfd`, whichever process is active (a scheduler asks it
    /// of parked threads of every process).
    pub fn epoll_is_ready_in(&self, pid: Pid, epfd: Fd) -> bool {
        match self.table(pid).get(epfd).map(|f| &self.files[f].kind) {
            Some(super::file::Kind::Epoll(ep)) => self.epoll_has_events(*ep, 0),
            _ => false,
        }
    }

    /// The process `pid` exits: its fds are closed in ascending order, as `do_exit` closes
    /// them (see the module docs), at `now`. The active process stays what it was.
    pub fn exit_process(&mut self, pid: Pid, now: u64, ch: &mut dyn Choices) {
        assert!(self.is_alive(pid), "exit of {pid}, which is not alive");
        let back = self.procs.active;
        self.enter(pid);
        loop {
            let lowest = self.fds.iter().next().map(|(fd, _)| fd);
            let Some(fd) = lowest else { break };
            self.close(fd, now, ch)
                .expect("exit: an fd the table lists closes");
        }
        assert_eq!(self.fds.len(), 0, "{pid} exited with fds left open");
        self.procs.alive[pid.index()] = false;
        self.enter(back);
    }
}
