//! SIGINT and SIGTERM during `run` and `nightly`: stop handing out seeds, let the seeds in
//! flight finish, write the report and the seed files found so far, exit `128 + signal`
//! (130 for Ctrl-C, 143 for a `kill` or a Kubernetes pod's termination).
//!
//! The handler only stores the signal's number in an atomic (the one thing a signal handler
//! may safely do); the search polls `requested()` between seeds. It is installed with
//! `SA_RESETHAND`, so a second Ctrl-C gets the default action and ends the process at once
//! (the workers then see their stdin close and exit). Worker processes run in their own
//! process group (`worker`), so a terminal's Ctrl-C reaches only the parent, which stops
//! them in order; they are never recorded as `crash: SIGINT`.

use std::sync::atomic::{AtomicI32, Ordering};

/// The signal received, 0 while none has been.
static SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    SIGNAL.store(sig, Ordering::SeqCst);
}

/// Installs the handler for SIGINT and SIGTERM (once per process is enough; again is harmless).
pub fn install() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed `sigaction` is a valid empty one; the handler is an `extern "C"`
        // fn that only stores to an atomic, which is async-signal-safe.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESETHAND | libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

/// The signal that asked the search to stop, if one has.
pub fn requested() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// The exit code for a stop by `sig`: `128 + sig`, as a shell reports a process it killed.
pub fn exit_code(sig: i32) -> u8 {
    u8::try_from(128 + sig).unwrap_or(255)
}

/// `SIGINT`, `SIGTERM`, or `signal N`.
pub fn name(sig: i32) -> String {
    match sig {
        libc::SIGINT => "SIGINT".into(),
        libc::SIGTERM => "SIGTERM".into(),
        n => format!("signal {n}"),
    }
}
