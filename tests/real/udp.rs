//! UDP on the real kernel: the behaviours `udp_body` checks (boundaries, truncation, peek,
//! `EDESTADDRREQ`, the ICMP `ECONNREFUSED` of a connected socket, getpeername and getsockopt),
//! on `LinuxSys` and 127.0.0.1. `tests/sim` runs the same body on the simulator.

use simkern::poller::LinuxSys;

#[test]
fn udp_on_loopback_behaves_as_the_simulator_assumes() {
    let _fds = crate::support::fds_shared();
    crate::udp_body::udp_behaviours(&LinuxSys);
}
