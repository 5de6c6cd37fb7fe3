//! The fd calls on the real kernel: the behaviours `fd_body` checks, on `LinuxSys`.

use crate::fd_body;
use simkern::poller::LinuxSys;

#[test]
fn fcntl_flags_live_at_the_fd_or_the_file_as_the_simulator_assumes() {
    let _fds = crate::support::fds_shared();
    fd_body::fcntl_flags(&LinuxSys);
}

#[test]
fn dup2_and_dup3_replace_fds_and_keep_epoll_entries_as_the_simulator_assumes() {
    let _fds = crate::support::fds_shared();
    fd_body::dup2_dup3(&LinuxSys);
}

#[test]
fn fionread_counts_what_a_read_could_take_as_the_simulator_assumes() {
    let _fds = crate::support::fds_shared();
    fd_body::fionread(&LinuxSys);
}

#[test]
fn writev_gathers_on_pipes_and_sockets_as_the_simulator_assumes() {
    let _fds = crate::support::fds_shared();
    fd_body::writev_gathers(&LinuxSys);
}

#[test]
fn epoll_ctl_without_an_event_registers_no_interest_as_the_simulator_assumes() {
    let _fds = crate::support::fds_shared();
    fd_body::epoll_ctl_without_an_event(&LinuxSys);
}
