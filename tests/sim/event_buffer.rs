//! The poller's `epoll_wait` buffer: `INITIAL_EVENTS` entries, doubled by each harvest that
//! fills it, never past `MAX_EVENTS`, and nothing lost while it is small.

use simkern::poller::net::IoSource;
use simkern::poller::reactor::Direction;
use simkern::poller::runtime::{INITIAL_EVENTS, MAX_EVENTS};
use simkern::poller::{Runtime, Sys};
use simkern::sim::trace::{Call, What};
use simkern::sim::{run, Config, SimSys, Stop};
use std::cell::Cell;
use std::rc::Rc;

/// 300 eventfds ready at once, a task awaiting each: the loop harvests 64, grows to 128,
/// harvests 128, grows to 256, and wakes every task.
#[test]
fn a_full_harvest_doubles_the_buffer_and_every_ready_fd_is_served() {
    const FDS: usize = 300;
    let mut config = Config::new(3);
    config.keep_events = true;
    let served = Rc::new(Cell::new(0));
    let count = served.clone();
    let outcome = run(&config, move || {
        let rt = Runtime::new(SimSys).unwrap();
        let h = rt.handle().clone();
        rt.block_on(async move {
            let mut tasks = Vec::new();
            for _ in 0..FDS {
                let fd = SimSys.eventfd(1, false).unwrap();
                let source = IoSource::new(&h, fd).unwrap();
                let count = count.clone();
                tasks.push(h.spawn(async move {
                    source.ready(Direction::Read).await;
                    count.set(count.get() + 1);
                    drop(source); // deregisters and closes the eventfd
                }));
            }
            for t in tasks {
                t.await;
            }
        })
        .unwrap();
    });
    assert_eq!(outcome.stop, Stop::Completed, "{:?}", outcome.stop);
    assert_eq!(served.get(), FDS);
    let waits: Vec<(i64, i64)> = outcome
        .all_events
        .as_ref()
        .expect("events kept")
        .iter()
        .filter_map(|e| match e.what {
            What::Syscall {
                call: Call::EpollWait,
                args,
                result,
            } => Some((args[1], result)),
            _ => None,
        })
        .collect();
    assert_eq!(waits[0].0, INITIAL_EVENTS as i64, "{waits:?}");
    for pair in waits.windows(2) {
        let ((max, got), (next, _)) = (pair[0], pair[1]);
        let grown = (max * 2).min(MAX_EVENTS as i64);
        assert_eq!(next, if got == max { grown } else { max }, "{waits:?}");
    }
    let sizes: Vec<i64> = waits.iter().map(|w| w.0).collect();
    assert!(sizes.contains(&128) && sizes.contains(&256), "{sizes:?}");
    assert!(!sizes.contains(&512), "{sizes:?}: 300 fds never fill 256");
}
