//! Simulated processes, the scheduler's half: which process each thread belongs to, the
//! calls that make and end processes (`SimSys::spawn_process`, `exit_process`, `kill`), and
//! what a process's end does to the run. The kernel's half (fd tables, exit closing fds) is
//! `crate::kernel`'s `process` module.
//!
//! Every thread belongs to one process: the root thread to process 1 (`Pid::ROOT`), a thread
//! made by `spawn` to its spawner's, the first thread of `spawn_process` to the new one.
//! Before each call the kernel enters the calling thread's process (`World::enter_current`),
//! so the fd numbers a thread sees are its process's own, lowest first per process, and each
//! process has its own `RLIMIT_NOFILE`.
//!
//! A process ends in one of two ways, as on Linux:
//! - its last thread returns (`exit`): if the scenario promised no fds at its end
//!   (`EXPECT_NO_FDS_AT_END`), the fd-leak oracle judges the fds the process still holds,
//!   as valgrind's `--track-fds` reports them at exit; then the kernel closes them. Process
//!   1 is the exception: its root thread's return ends the run, and the end-of-scenario check
//!   judges every live process's fds, process 1's included (`World::end_scenario`);
//! - it is killed (`exit_process` from one of its threads, like `exit_group`, or `kill` from
//!   any thread, like `SIGKILL`): every thread of it stops where it is (it never runs again;
//!   its stack is unwound at the run's end, with the others), and the kernel closes its fds.
//!   A killed process is not judged for leaks: closing what a dead process held is the
//!   kernel's job, and the very point of killing one in a test. Killing process 1 ends the run.
//!
//! Each end is one trace event (`exit_group`, `kill`, with the pid), so a scenario that never
//! makes a process traces exactly as before processes existed.
//!
//! Not modelled: exit codes and `wait`, process groups, signals other than the kill, `fork`
//! (a new process starts with no fds and only its first thread).

use crate::kernel::Pid;
use crate::sys::{syscall, SimSys, SimThread};
use crate::thread::{State, ThreadId};
use crate::trace::{Call, What};
use crate::world::{self, with_world, Stop, World};
use simkern_poller::sys::{Errno, SysResult};

/// Which process each thread belongs to, and how many live threads each process has.
#[derive(Default)]
pub(crate) struct Members {
    /// By thread index.
    of: Vec<Pid>,
    /// By pid (index `pid - 1`): threads that have neither returned nor been killed.
    live: Vec<u32>,
}

impl Members {
    /// Thread `thread`, the next one, belongs to `pid`.
    pub(crate) fn add(&mut self, thread: ThreadId, pid: Pid) {
        assert_eq!(
            thread.index(),
            self.of.len(),
            "threads join processes in spawn order"
        );
        self.of.push(pid);
        let i = pid.as_u32() as usize - 1;
        if self.live.len() <= i {
            self.live.resize(i + 1, 0);
        }
        self.live[i] += 1;
    }

    /// The process of `thread`.
    #[inline]
    pub(crate) fn of(&self, thread: ThreadId) -> Pid {
        self.of[thread.index()]
    }

    /// `thread` ended; the live threads its process has left.
    fn ended(&mut self, thread: ThreadId) -> u32 {
        let live = &mut self.live[self.of[thread.index()].as_u32() as usize - 1];
        assert!(
            *live > 0,
            "{thread} ended in a process with no live threads"
        );
        *live -= 1;
        *live
    }

    /// The threads of `pid`, ascending.
    fn threads_of(&self, pid: Pid) -> impl Iterator<Item = ThreadId> + '_ {
        (0..self.of.len() as u32)
            .map(ThreadId)
            .filter(move |&t| self.of[t.index()] == pid)
    }
}

impl World {
    /// Makes the kernel name the running thread's fds (before each of its calls).
    #[inline]
    pub(crate) fn enter_current(&mut self) {
        let pid = self.procs.of(self.current);
        self.kernel.enter(pid);
    }

    /// A new process with its first thread; `EAGAIN` when no thread or pid is left.
    fn add_process(&mut self, name: &str, f: Box<dyn FnOnce()>) -> SysResult<ThreadId> {
        if self.threads.len() >= crate::thread::THREADS_MAX {
            return Err(Errno::EAGAIN);
        }
        let pid = self.kernel.create_process()?;
        Ok(self
            .add_thread_in(name, f, pid)
            .expect("a thread fits: checked above"))
    }

    /// Thread `thread` returned. The last thread of a process other than 1 ends it (`exit`):
    /// the leak check of the promise, then the kernel closes its fds.
    pub(crate) fn thread_returned(&mut self, thread: ThreadId) {
        let pid = self.procs.of(thread);
        if self.procs.ended(thread) > 0 || pid == Pid::ROOT || !self.kernel.is_alive(pid) {
            return;
        }
        if let Some(v) = self.judge_fds(pid, false) {
            self.stop.get_or_insert(v);
        }
        self.record(What::Syscall {
            call: Call::ExitGroup,
            args: [pid.as_u32() as i64, 0, 0],
            result: 0,
        });
        let now = self.now_ns;
        self.kernel.exit_process(pid, now, &mut self.decisions);
    }

    /// Kills `pid` (alive): its threads stop for good, the kernel closes its fds. Killing
    /// process 1 ends the scenario.
    fn kill_process(&mut self, pid: Pid) {
        let victims: Vec<ThreadId> = self
            .procs
            .threads_of(pid)
            .filter(|&t| self.threads[t.index()] != State::Finished)
            .collect();
        for t in victims {
            self.set_state(t, State::Finished);
            self.procs.ended(t);
        }
        let now = self.now_ns;
        self.kernel.exit_process(pid, now, &mut self.decisions);
        if pid == Pid::ROOT {
            self.end_scenario();
        }
    }

    /// The scenario ended (its root thread returned, or process 1 was killed): the fd-leak
    /// check of every live process, ascending; the first verdict, if any, is the run's stop.
    pub(crate) fn end_scenario(&mut self) {
        let live: Vec<Pid> = self.kernel.live_processes().collect();
        let verdict = live.into_iter().find_map(|pid| self.judge_fds(pid, true));
        self.stop.get_or_insert(verdict.unwrap_or(Stop::Completed));
    }

    /// The fd-leak oracle's verdict on the fds `pid` holds now, at the scenario's end or at
    /// the process's own.
    fn judge_fds(&mut self, pid: Pid, scenario_end: bool) -> Option<Stop> {
        let open = self.kernel.open_fds_of(pid);
        let oracles = self.oracles.as_mut()?;
        let v = match scenario_end {
            true => oracles.finish(pid.as_u32(), &open),
            false => oracles.process_exit(pid.as_u32(), &open),
        }?;
        Some(Stop::Oracle {
            oracle: v.oracle,
            message: v.message,
            subjects: v.subjects,
        })
    }
}

/// Parks the calling thread for good: it was killed with its process.
fn stop_here() -> ! {
    let me = with_world(|w| w.current);
    world::suspend(me);
    unreachable!("{me} was killed with its process and resumed");
}

impl SimSys {
    /// Starts a new process, empty of fds, whose first thread runs `f`; threads `f` spawns
    /// belong to it. The process ends when its last thread returns (its fds then closed, as
    /// `exit` closes them) or when it is killed (`exit_process`, `kill`). A thread marked
    /// `harness` makes harness processes. `EAGAIN` when `THREADS_MAX` or `PID_MAX` is reached.
    pub fn spawn_process<F: FnOnce() + Send + 'static>(
        &self,
        name: &str,
        f: F,
    ) -> SysResult<SimThread> {
        syscall(
            Call::SpawnProcess,
            [0; 3],
            |w, _| {
                if w.tearing_down {
                    return Err(Errno::EAGAIN);
                }
                w.add_process(name, Box::new(f)).map(SimThread)
            },
            |t| t.0.as_u32() as i64,
        )
    }

    /// The calling thread's process. Not a step (`getpid` reads the task's own state).
    pub fn getpid(&self) -> Pid {
        with_world(|w| w.procs.of(w.current))
    }

    /// The process `thread` belongs to (for `spawn_process`'s answer: the pid to `kill`).
    /// Not a step.
    pub fn pid_of(&self, thread: &SimThread) -> Pid {
        with_world(|w| w.procs.of(thread.0))
    }

    /// Ends the calling thread's process at once, as `exit_group` (or a crash) does: every
    /// thread of it stops, the kernel closes its fds (RST for a socket with unread data, FIN
    /// otherwise; a listener's queue reset). Never returns. Panics if called while the run's
    /// survivors are torn down (a destructor cannot end a process).
    pub fn exit_process(&self) -> ! {
        let pid = self.getpid();
        assert!(
            !with_world(|w| w.tearing_down),
            "exit_process of {pid} from a destructor during the run's teardown"
        );
        let _ = syscall(
            Call::ExitGroup,
            [pid.as_u32() as i64, 0, 0],
            |w, _| {
                if w.kernel.is_alive(pid) {
                    w.kill_process(pid);
                }
                Ok(())
            },
            |_: &()| 0,
        );
        // `exit_group` cannot fail: a fault plan that named it only cost the step.
        with_world(|w| {
            if w.kernel.is_alive(pid) {
                w.kill_process(pid);
            }
        });
        stop_here()
    }

    /// `kill(pid, SIGKILL)`: ends process `pid` as `exit_process` ends the caller's; `ESRCH`
    /// if it is not alive. Killing one's own process does not return.
    pub fn kill(&self, pid: Pid) -> SysResult<()> {
        let own = self.getpid() == pid;
        syscall(
            Call::Kill,
            [pid.as_u32() as i64, 9, 0],
            |w, _| {
                if !w.kernel.is_alive(pid) {
                    return Err(Errno::ESRCH);
                }
                w.kill_process(pid);
                Ok(())
            },
            |_: &()| 0,
        )?;
        if own && !with_world(|w| w.tearing_down) {
            stop_here();
        }
        Ok(())
    }
}
