//! `spawn`: a thread of the calling thread's kernel (Simkern's addition, not mio's API).
//!
//! mio has no threads of its own, but tests of mio code start a client beside the server.
//! `std::thread::spawn` inside a simulation would make a real OS thread, outside the run, whose
//! mio objects would be real ones; this makes a simulated thread there and a real one outside,
//! so one test body runs on both kernels.

use super::os::{io_error, Os};
use crate::sys::{SimSys, SimThread};
use simkern_poller::sys::linux::LinuxSys;
use simkern_poller::sys::Sys;
use std::io;

/// A thread started by `spawn`.
#[derive(Debug)]
pub struct JoinHandle(Handle);

#[derive(Debug)]
enum Handle {
    Linux(std::thread::JoinHandle<()>),
    Sim(SimThread),
}

/// Starts `f` on a new thread of the calling thread's kernel.
pub fn spawn<F: FnOnce() + Send + 'static>(name: &str, f: F) -> io::Result<JoinHandle> {
    let handle = match Os::current() {
        Os::Linux => Handle::Linux(LinuxSys.spawn(name, f).map_err(io_error)?),
        Os::Sim => Handle::Sim(SimSys.spawn(name, f).map_err(io_error)?),
    };
    Ok(JoinHandle(handle))
}

impl JoinHandle {
    /// Waits for the thread; a panic in it is re-raised here.
    pub fn join(self) {
        match self.0 {
            Handle::Linux(t) => LinuxSys.join(t),
            Handle::Sim(t) => SimSys.join(t),
        }
    }
}
