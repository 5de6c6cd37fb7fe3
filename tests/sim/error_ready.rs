//! An error is looked at once (`error_ready_body`), on the simulated kernel over seeds (each
//! run twice, the same trace hash both times).

use crate::body_runs::over_seeds;
use crate::error_ready_body;
use simkern::sim::SimSys;

#[test]
fn a_read_after_an_error_waits_for_the_next_datagram_over_seeds() {
    over_seeds(|| error_ready_body::a_read_after_an_error_waits_for_the_next_datagram(SimSys));
}
