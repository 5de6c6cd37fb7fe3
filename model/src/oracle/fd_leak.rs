//! `fd_leak`: fds still open when a scenario that promised none would be ends.
//!
//! Opt-in: user scenarios may legitimately end with fds open (a listener kept for the next
//! phase, a process-wide eventfd), so the oracle judges only a run that asked for it with
//! `ExpectNoFdsAtEnd` (in the simulator: `Probe::User { name: EXPECT_NO_FDS_AT_END, .. }`).
//!
//! Per process: fd numbers are per process, so each judgement is of one process's fds —
//! every process alive at `ScenarioEnd`, and a process that ends on its own (`ProcessExit`,
//! before the kernel closes what it left). The promise covers every process of the run.
//!
//! State: `Off` → `Expecting` (on the promise) → a verdict at each `ScenarioEnd` or
//! `ProcessExit`.

use super::{At, Fact};

pub const NAME: &str = "fd_leak";

/// The name of the user probe that opts a scenario in.
pub const EXPECT_NO_FDS_AT_END: &str = "expect_no_fds_at_end";

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
enum State {
    #[default]
    Off,
    Expecting,
}

#[derive(Copy, Clone, Debug)]
enum Step<'a> {
    Promise,
    /// `what` ended (the scenario, or a process on its own) with `open_fds` in `process`.
    End {
        what: &'static str,
        process: u32,
        open_fds: &'a [i32],
    },
}

#[derive(Default)]
pub struct FdLeak {
    state: State,
}

fn transition(from: State, step: Step<'_>) -> Result<State, String> {
    match (from, step) {
        (State::Off | State::Expecting, Step::Promise) => Ok(State::Expecting),
        (State::Off, Step::End { .. }) => Ok(State::Off),
        (State::Expecting, Step::End { open_fds: [], .. }) => Ok(State::Expecting),
        (
            State::Expecting,
            Step::End {
                what,
                process,
                open_fds,
            },
        ) => Err(format!(
            "{what} ended with {} fd(s) open in process {process}: {open_fds:?}. Likely cause: \
             a path that drops a connection or a cancelled operation without closing its fd \
             (an fd parked for a later close that never came)",
            open_fds.len()
        )),
    }
}

impl FdLeak {
    pub fn observe(&mut self, _at: At, fact: &Fact) -> Result<(), String> {
        let step = match fact {
            Fact::ExpectNoFdsAtEnd => Step::Promise,
            &Fact::ScenarioEnd { process, open_fds } => Step::End {
                what: "the scenario",
                process,
                open_fds,
            },
            &Fact::ProcessExit { process, open_fds } => Step::End {
                what: "a process",
                process,
                open_fds,
            },
            _ => return Ok(()),
        };
        self.state = transition(self.state, step)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_fds_at_the_end_are_caught_only_when_promised() {
        let at = At::new(0, 0);
        let end = Fact::ScenarioEnd {
            process: 1,
            open_fds: &[3, 7],
        };
        let mut quiet = FdLeak::default();
        quiet.observe(at, &end).unwrap();
        let mut promised = FdLeak::default();
        promised.observe(at, &Fact::ExpectNoFdsAtEnd).unwrap();
        let err = promised.observe(at, &end).unwrap_err();
        assert!(err.contains("in process 1: [3, 7]"), "{err}");
        let mut clean = FdLeak::default();
        clean.observe(at, &Fact::ExpectNoFdsAtEnd).unwrap();
        clean
            .observe(
                at,
                &Fact::ScenarioEnd {
                    process: 1,
                    open_fds: &[],
                },
            )
            .unwrap();
    }

    #[test]
    fn a_process_that_ends_on_its_own_is_judged_by_its_own_fds() {
        let at = At::new(0, 0);
        let mut promised = FdLeak::default();
        promised.observe(at, &Fact::ExpectNoFdsAtEnd).unwrap();
        promised
            .observe(
                at,
                &Fact::ProcessExit {
                    process: 2,
                    open_fds: &[],
                },
            )
            .unwrap();
        let err = promised
            .observe(
                at,
                &Fact::ProcessExit {
                    process: 3,
                    open_fds: &[0],
                },
            )
            .unwrap_err();
        assert!(
            err.starts_with("a process ended with 1 fd(s) open in process 3: [0]"),
            "{err}"
        );
    }
}
