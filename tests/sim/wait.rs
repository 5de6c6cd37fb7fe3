//! The waiting calls and blocking I/O on the simulated kernel: the bodies `tests/real` runs on
//! Linux, here on `SimSys` over seeds (schedules, latencies), each seed run twice for the same
//! trace hash.

use crate::body_runs::over_seeds;
use crate::wait_body;
use simkern::sim::{run, Config, SimSys, Stop};

#[test]
fn poll_on_the_simulator_is_as_on_linux() {
    over_seeds(|| wait_body::poll_reports(&SimSys));
}

#[test]
fn ppoll_on_the_simulator_waits_for_a_writer_as_on_linux() {
    over_seeds(|| wait_body::ppoll_waits_for_a_writer(&SimSys));
}

#[test]
fn epoll_pwait_forms_on_the_simulator_are_as_on_linux() {
    over_seeds(|| wait_body::epoll_pwait_forms(&SimSys));
}

#[test]
fn pipe2_and_eventfd_flags_on_the_simulator_are_as_on_linux() {
    over_seeds(|| wait_body::open_flags(&SimSys));
}

#[test]
fn blocking_pipe_and_eventfd_on_the_simulator_wait_as_on_linux() {
    over_seeds(|| wait_body::blocking_pipe_and_eventfd(&SimSys));
}

#[test]
fn blocking_tcp_on_the_simulator_waits_as_on_linux() {
    over_seeds(|| wait_body::blocking_tcp(&SimSys));
}

/// A blocking read that nothing will ever satisfy is a deadlock, and the report names the
/// call the thread waits in; a sleeper beside it does not hide it (its deadline passes).
#[test]
fn a_blocking_read_nobody_answers_is_a_deadlock_that_names_the_read() {
    use simkern::poller::sys::{PipeFlags, Sys};
    use simkern::sim::thread::State;
    use simkern::sim::trace::Call;
    let outcome = run(&Config::new(3), || {
        let (r, w) = SimSys.pipe2_flags(PipeFlags::CLOEXEC).unwrap();
        let sleeper = SimSys
            .spawn("sleeper", || {
                SimSys
                    .nanosleep(std::time::Duration::from_millis(50))
                    .unwrap()
            })
            .unwrap();
        let mut buf = [0u8; 4];
        let _ = SimSys.read(r, &mut buf); // no writer ever writes, and `w` stays open
        SimSys.join(sleeper);
        let _ = w;
    });
    let Stop::Deadlock { parked } = &outcome.stop else {
        panic!("expected a deadlock, got {:?}", outcome.stop);
    };
    assert_eq!(parked.len(), 1, "only the reader is left: {parked:?}");
    assert!(
        matches!(
            parked[0].1,
            State::Wait {
                call: Call::Read,
                deadline_ns: None
            }
        ),
        "{parked:?}"
    );
    assert!(outcome.virtual_ns >= 50_000_000, "the sleeper slept first");
}

/// Linux takes `O_DIRECT` (a packet-mode pipe, each write one packet); the simulated kernel does
/// not model packets, so it refuses the flag by name rather than make a byte pipe that would
/// merge the writes a packet pipe keeps apart.
#[test]
fn a_packet_mode_pipe_is_refused_not_made_a_byte_pipe() {
    use simkern::poller::sys::fd_flags::O_DIRECT;
    use simkern::poller::sys::{Errno, PipeFlags, Sys};
    over_seeds(|| {
        assert_eq!(
            SimSys.pipe2_flags(PipeFlags(O_DIRECT)),
            Err(Errno::EINVAL),
            "pipe2(O_DIRECT)"
        );
        assert_eq!(
            SimSys.pipe2_flags(PipeFlags(O_DIRECT) | PipeFlags::CLOEXEC),
            Err(Errno::EINVAL),
            "pipe2(O_DIRECT | O_CLOEXEC)"
        );
    });
}
