//! The waiting calls and blocking I/O on the real kernel: the behaviours `wait_body` checks,
//! on `LinuxSys`.

use crate::wait_body;
use simkern::poller::LinuxSys;

#[test]
fn poll_reports_what_is_asked_and_what_linux_reports_unasked() {
    let _fds = crate::support::fds_shared();
    wait_body::poll_reports(&LinuxSys);
}

#[test]
fn ppoll_without_timeout_waits_for_another_threads_write() {
    let _fds = crate::support::fds_shared();
    wait_body::ppoll_waits_for_a_writer(&LinuxSys);
}

#[test]
fn epoll_pwait_and_epoll_pwait2_answer_as_epoll_wait() {
    let _fds = crate::support::fds_shared();
    wait_body::epoll_pwait_forms(&LinuxSys);
}

#[test]
fn pipe2_and_eventfd_flags_reach_the_fd_and_the_file() {
    let _fds = crate::support::fds_shared();
    wait_body::open_flags(&LinuxSys);
}

#[test]
fn blocking_pipe_and_eventfd_io_waits() {
    let _fds = crate::support::fds_shared();
    wait_body::blocking_pipe_and_eventfd(&LinuxSys);
}

#[test]
fn blocking_tcp_connect_accept_and_read_wait() {
    let _fds = crate::support::fds_shared();
    wait_body::blocking_tcp(&LinuxSys);
}
