//! A source that outlives its loop. Dropping a `Runtime` closes its epoll fd; a listener or
//! stream kept past it must then only close its own fd: an `EPOLL_CTL_DEL` on the dead epoll
//! fd's number would reach whatever file has that number by then (here, the next loop's
//! epoll, which Linux gives the lowest free number).

use crate::traced::{dump, Entry, Traced};
use simkern::poller::{Runtime, TcpListener};

#[test]
fn a_listener_dropped_after_its_runtime_only_closes_its_fd() {
    let _fds = crate::support::fds_shared();
    let sys = Traced::default();
    let rt = Runtime::new(sys.clone()).expect("a loop");
    let h = rt.handle().clone();
    let listener = rt
        .block_on(async move { TcpListener::bind(&h, "127.0.0.1:0".parse().unwrap()) })
        .expect("the loop ran")
        .expect("bind");
    let fd = listener.fd();
    drop(rt);
    let log = sys.log();
    let epfd = log
        .iter()
        .find_map(|e| match *e {
            Entry::EpollCreate(epfd) => Some(epfd),
            _ => None,
        })
        .expect("the loop made an epoll fd");
    assert!(
        log.contains(&Entry::Close(epfd)),
        "the dropped loop closed its epoll fd:\n{}",
        dump(&log)
    );
    // The next loop takes the freed number: a stale DEL would now name its epoll.
    let next = Runtime::new(sys.clone()).expect("a second loop");
    let mark = sys.log().len();
    drop(listener);
    let after = sys.log().split_off(mark);
    let ctls: Vec<&Entry> = after
        .iter()
        .filter(|e| matches!(e, Entry::EpollCtl(..)))
        .collect();
    assert!(
        ctls.is_empty(),
        "a listener outliving its loop (epoll {epfd:?}) made epoll calls on drop: {ctls:?}\n{}",
        dump(&after)
    );
    assert!(
        after.contains(&Entry::Close(fd)),
        "the listener's {fd:?} was not closed:\n{}",
        dump(&after)
    );
    drop(next);
}
