//! An error is looked at once (`error_ready_body`), on Linux.

use crate::error_ready_body;
use simkern::poller::LinuxSys;

#[test]
fn a_read_after_an_error_waits_for_the_next_datagram() {
    let _fds = crate::support::fds_shared();
    error_ready_body::a_read_after_an_error_waits_for_the_next_datagram(LinuxSys);
}
