//! epoll: interest keyed by (fd, file), LT/ET/ONESHOT/EXCLUSIVE, nesting, errors, order.

use super::*;
use crate::kernel::XorShift;
use simkern_poller::sys::epoll::{
    EPOLLERR, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLIN, EPOLLONESHOT, EPOLLOUT, EPOLLRDHUP,
};
use std::collections::BTreeSet;

fn bump(k: &mut Kernel, e: Fd, ch: &mut dyn Choices) {
    let now = k.clock();
    k.write(e, &1u64.to_ne_bytes(), now, ch).unwrap();
}

#[test]
fn dup_keeps_an_epoll_registration_alive_after_closing_the_original_fd() {
    // The classic gotcha: epoll forgets a file only when its last fd closes, and keeps
    // reporting it under the fd number it was registered with.
    let mut k = kernel();
    let ch = &mut zero();
    let ep = k.epoll_create().unwrap();
    let e = k.eventfd(0, false).unwrap();
    watch(&mut k, ep, e, EPOLLIN);
    let d = k.dup(e).unwrap();
    k.close(e, 0, ch).unwrap();
    bump(&mut k, d, ch);
    assert_eq!(harvest(&mut k, ep, ch), vec![(e, EPOLLIN, e.0 as u64)]);
    assert_eq!(
        k.epoll_ctl(ep, EpollOp::Del, e, None),
        Err(Errno::EBADF),
        "fd closed"
    );
    assert_eq!(
        k.epoll_ctl(ep, EpollOp::Del, d, None),
        Err(Errno::ENOENT),
        "registered under the other fd"
    );
    // The old number is reused by a new file: a distinct (fd, file) key, so ADD works.
    let fresh = k.eventfd(1, false).unwrap();
    assert_eq!(fresh, e);
    watch(&mut k, ep, fresh, EPOLLIN);
    k.close(d, 0, ch).unwrap();
    bump(&mut k, fresh, ch);
    let got = harvest(&mut k, ep, ch);
    assert_eq!(
        got.len(),
        1,
        "only the new file's entry is left\n{}",
        k.describe()
    );
}

#[test]
fn edge_triggered_reports_again_only_after_a_new_wakeup_while_level_reports_every_harvest() {
    let mut k = kernel();
    let ch = &mut zero();
    let ep = k.epoll_create().unwrap();
    let et = k.eventfd(1, false).unwrap();
    let lt = k.eventfd(1, false).unwrap();
    watch(&mut k, ep, et, EPOLLIN | EPOLLET);
    watch(&mut k, ep, lt, EPOLLIN);
    let fds = |v: Vec<(Fd, u32, u64)>| v.into_iter().map(|(f, ..)| f).collect::<BTreeSet<_>>();
    assert_eq!(fds(harvest(&mut k, ep, ch)), BTreeSet::from([et, lt]));
    assert_eq!(
        fds(harvest(&mut k, ep, ch)),
        BTreeSet::from([lt]),
        "ET: no new wakeup"
    );
    assert_eq!(fds(harvest(&mut k, ep, ch)), BTreeSet::from([lt]));
    // A write of 0 changes nothing but is still a wakeup: ET reports the file again.
    let now = k.clock();
    k.write(et, &0u64.to_ne_bytes(), now, ch).unwrap();
    assert_eq!(fds(harvest(&mut k, ep, ch)), BTreeSet::from([et, lt]));
    assert_eq!(fds(harvest(&mut k, ep, ch)), BTreeSet::from([lt]));
}

#[test]
fn an_edge_triggered_wakeup_for_an_unrequested_event_does_not_report() {
    // ep_poll_callback filters by the wakeup's key: an EPOLLOUT wakeup does not requeue an
    // EPOLLIN-only entry, even though the file is readable.
    let mut k = kernel();
    let ch = &mut zero();
    let ep = k.epoll_create().unwrap();
    let e = k.eventfd(3, true).unwrap();
    watch(&mut k, ep, e, EPOLLIN | EPOLLET);
    assert_eq!(harvest(&mut k, ep, ch).len(), 1);
    let mut buf = [0u8; 8];
    rd(&mut k, e, &mut buf).unwrap(); // semaphore read: wakes with EPOLLOUT, still readable
    assert_eq!(k.poll(e), Ok(EPOLLIN | EPOLLOUT));
    assert!(harvest(&mut k, ep, ch).is_empty(), "{}", k.describe());
}

#[test]
fn oneshot_is_disabled_after_one_report_until_mod() {
    let mut k = kernel();
    let ch = &mut zero();
    let ep = k.epoll_create().unwrap();
    let e = k.eventfd(1, false).unwrap();
    watch(&mut k, ep, e, EPOLLIN | EPOLLONESHOT);
    assert_eq!(harvest(&mut k, ep, ch).len(), 1);
    bump(&mut k, e, ch);
    assert!(
        harvest(&mut k, ep, ch).is_empty(),
        "disabled: wakeups are ignored"
    );
    assert!(!k.epoll_is_ready(ep));
    let ev = EpollEvent::new(EPOLLIN | EPOLLONESHOT, 7);
    k.epoll_ctl(ep, EpollOp::Mod, e, Some(ev)).unwrap();
    assert!(k.epoll_is_ready(ep), "MOD re-polls and queues a ready file");
    assert_eq!(harvest(&mut k, ep, ch), vec![(e, EPOLLIN, 7)]);
    assert!(harvest(&mut k, ep, ch).is_empty());
}

#[test]
fn epollexclusive_with_mod_is_einval() {
    let mut k = kernel();
    let ep = k.epoll_create().unwrap();
    let inner = k.epoll_create().unwrap();
    let e = k.eventfd(0, false).unwrap();
    let f = k.eventfd(0, false).unwrap();
    watch(&mut k, ep, e, EPOLLIN | EPOLLEXCLUSIVE);
    let ex = Some(EpollEvent::new(EPOLLIN | EPOLLEXCLUSIVE, 0));
    let plain = Some(EpollEvent::new(EPOLLIN, 0));
    assert_eq!(k.epoll_ctl(ep, EpollOp::Mod, e, ex), Err(Errno::EINVAL));
    assert_eq!(
        k.epoll_ctl(ep, EpollOp::Mod, e, plain),
        Err(Errno::EINVAL),
        "an exclusive entry cannot be modified at all"
    );
    let ex_oneshot = Some(EpollEvent::new(EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0));
    assert_eq!(
        k.epoll_ctl(ep, EpollOp::Add, f, ex_oneshot),
        Err(Errno::EINVAL)
    );
    let ex_rdhup = Some(EpollEvent::new(EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP, 0));
    assert_eq!(
        k.epoll_ctl(ep, EpollOp::Add, f, ex_rdhup),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        k.epoll_ctl(ep, EpollOp::Add, inner, ex),
        Err(Errno::EINVAL),
        "no exclusive nested epoll"
    );
    assert_eq!(k.epoll_ctl(ep, EpollOp::Del, e, None), Ok(()));
}

#[test]
fn a_nested_epoll_cycle_is_eloop_and_self_watch_is_einval() {
    let mut k = kernel();
    let a = k.epoll_create().unwrap();
    let b = k.epoll_create().unwrap();
    let c = k.epoll_create().unwrap();
    watch(&mut k, a, b, EPOLLIN);
    watch(&mut k, b, c, EPOLLIN);
    let ev = Some(EpollEvent::new(EPOLLIN, 0));
    assert_eq!(k.epoll_ctl(c, EpollOp::Add, a, ev), Err(Errno::ELOOP));
    assert_eq!(k.epoll_ctl(b, EpollOp::Add, a, ev), Err(Errno::ELOOP));
    assert_eq!(k.epoll_ctl(a, EpollOp::Add, a, ev), Err(Errno::EINVAL));
    let a2 = k.dup(a).unwrap();
    assert_eq!(
        k.epoll_ctl(a, EpollOp::Add, a2, ev),
        Err(Errno::EINVAL),
        "a dup of the epoll is the same file"
    );
}

#[test]
fn epoll_chains_longer_than_ep_max_nests_are_eloop() {
    let mut k = kernel();
    let eps: Vec<Fd> = (0..6).map(|_| k.epoll_create().unwrap()).collect();
    for w in eps.windows(2).take(4) {
        watch(&mut k, w[0], w[1], EPOLLIN); // 5 epolls, 4 edges: the limit
    }
    let ev = Some(EpollEvent::new(EPOLLIN, 0));
    assert_eq!(
        k.epoll_ctl(eps[4], EpollOp::Add, eps[5], ev),
        Err(Errno::ELOOP)
    );
    // Built top-down too: the depth above the inserting epoll counts.
    let top = k.epoll_create().unwrap();
    assert_eq!(
        k.epoll_ctl(top, EpollOp::Add, eps[0], ev),
        Err(Errno::ELOOP)
    );
    // Joined in the middle: three edges above the inserting epoll, one below the target, and
    // the new edge between them make five.
    let above: Vec<Fd> = (0..4).map(|_| k.epoll_create().unwrap()).collect();
    for w in above.windows(2) {
        watch(&mut k, w[0], w[1], EPOLLIN);
    }
    let (to, leaf) = (k.epoll_create().unwrap(), k.epoll_create().unwrap());
    watch(&mut k, to, leaf, EPOLLIN);
    assert_eq!(
        k.epoll_ctl(above[3], EpollOp::Add, to, ev),
        Err(Errno::ELOOP),
        "3 edges above, 1 below and the new one: 5 > EP_MAX_NESTS"
    );
    watch(&mut k, above[2], to, EPOLLIN); // 2 + 1 + 1 = 4: the limit
}

#[test]
fn a_nested_epoll_is_readable_while_its_ready_list_has_events() {
    let mut k = kernel();
    let ch = &mut zero();
    let outer = k.epoll_create().unwrap();
    let inner = k.epoll_create().unwrap();
    let e = k.eventfd(0, false).unwrap();
    watch(&mut k, outer, inner, EPOLLIN | EPOLLET);
    watch(&mut k, inner, e, EPOLLIN);
    assert!(!k.epoll_is_ready(outer));
    let before = k.wake_count();
    bump(&mut k, e, ch);
    assert!(k.wake_count() > before);
    assert_eq!(
        harvest(&mut k, outer, ch),
        vec![(inner, EPOLLIN, inner.0 as u64)]
    );
    assert_eq!(harvest(&mut k, inner, ch), vec![(e, EPOLLIN, e.0 as u64)]);
}

#[test]
fn epoll_ctl_and_harvest_errors_follow_linux() {
    let mut k = kernel();
    let ch = &mut zero();
    let ep = k.epoll_create().unwrap();
    let e = k.eventfd(0, false).unwrap();
    let ev = Some(EpollEvent::new(EPOLLIN, 0));
    assert_eq!(k.epoll_ctl(Fd(9), EpollOp::Add, e, ev), Err(Errno::EBADF));
    assert_eq!(k.epoll_ctl(ep, EpollOp::Add, Fd(9), ev), Err(Errno::EBADF));
    assert_eq!(k.epoll_ctl(e, EpollOp::Add, ep, ev), Err(Errno::EINVAL));
    assert_eq!(k.epoll_ctl(ep, EpollOp::Mod, e, ev), Err(Errno::ENOENT));
    assert_eq!(k.epoll_ctl(ep, EpollOp::Del, e, None), Err(Errno::ENOENT));
    k.epoll_ctl(ep, EpollOp::Add, e, ev).unwrap();
    assert_eq!(k.epoll_ctl(ep, EpollOp::Add, e, ev), Err(Errno::EEXIST));
    let mut none: [EpollEvent; 0] = [];
    let mut sources = vec![];
    assert_eq!(
        k.epoll_harvest(ep, &mut none, &mut sources, ch),
        Err(Errno::EINVAL)
    );
    let mut one = [EpollEvent::zeroed(); 1];
    assert_eq!(
        k.epoll_harvest(e, &mut one, &mut sources, ch),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        k.epoll_harvest(Fd(9), &mut one, &mut sources, ch),
        Err(Errno::EBADF)
    );
    let mut buf = [0u8; 8];
    assert_eq!(
        rd(&mut k, ep, &mut buf),
        Err(Errno::EINVAL),
        "an epoll is not readable"
    );
}

#[test]
fn hup_and_err_are_reported_even_when_not_requested() {
    let mut k = kernel();
    let ch = &mut zero();
    let ep = k.epoll_create().unwrap();
    let (r, w) = k.pipe2().unwrap();
    let (r2, w2) = k.pipe2().unwrap();
    k.epoll_ctl(ep, EpollOp::Add, w, None).unwrap(); // no events requested
    k.epoll_ctl(ep, EpollOp::Add, r2, None).unwrap();
    assert!(harvest(&mut k, ep, ch).is_empty());
    k.close(r, 0, ch).unwrap();
    k.close(w2, 0, ch).unwrap();
    let got: BTreeSet<_> = harvest(&mut k, ep, ch)
        .into_iter()
        .map(|(f, ev, _)| (f, ev))
        .collect();
    assert_eq!(got, BTreeSet::from([(w, EPOLLERR), (r2, EPOLLHUP)]));
}

#[test]
fn a_fresh_socket_polls_hup_and_out_until_it_connects() {
    // Linux reports EPOLLOUT|EPOLLHUP for a socket in TCP_CLOSE; a poller that registers
    // before connect and harvests in between sees it.
    let mut k = kernel();
    let s = k.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(k.poll(s), Ok(EPOLLOUT | EPOLLHUP));
}

#[test]
fn level_triggered_entries_rotate_when_maxevents_is_short() {
    let mut k = kernel_with(|c| c.permute_ready = false);
    let ch = &mut zero();
    let ep = k.epoll_create().unwrap();
    let fds: Vec<Fd> = (0..3).map(|_| k.eventfd(1, false).unwrap()).collect();
    for &f in &fds {
        watch(&mut k, ep, f, EPOLLIN);
    }
    let mut events = [EpollEvent::zeroed(); 2];
    let mut sources = vec![];
    k.epoll_harvest(ep, &mut events, &mut sources, ch).unwrap();
    assert_eq!(sources, vec![fds[0], fds[1]]);
    k.epoll_harvest(ep, &mut events, &mut sources, ch).unwrap();
    assert_eq!(
        sources,
        vec![fds[2], fds[0]],
        "unscanned entries first, then re-queued ones"
    );
}

#[test]
fn ready_order_is_a_choice_that_reaches_every_order() {
    // 3 ready entries have 6 orders; 200 seeds miss one with odds below 6 * (5/6)^200.
    let mut orders = BTreeSet::new();
    for seed in 0..200 {
        let mut k = kernel();
        let ch = &mut XorShift::new(seed);
        let ep = k.epoll_create().unwrap();
        let fds: Vec<Fd> = (0..3).map(|_| k.eventfd(1, false).unwrap()).collect();
        for &f in &fds {
            watch(&mut k, ep, f, EPOLLIN | EPOLLET);
        }
        let order: Vec<Fd> = harvest(&mut k, ep, ch)
            .into_iter()
            .map(|(f, ..)| f)
            .collect();
        assert_eq!(order.len(), 3);
        orders.insert(order);
    }
    assert_eq!(orders.len(), 6, "orders seen: {orders:?}");
    // Off: FIFO of wakeups, as Linux.
    let mut k = kernel_with(|c| c.permute_ready = false);
    let ch = &mut XorShift::new(1);
    let ep = k.epoll_create().unwrap();
    let fds: Vec<Fd> = (0..3).map(|_| k.eventfd(0, false).unwrap()).collect();
    for &f in &fds {
        watch(&mut k, ep, f, EPOLLIN | EPOLLET);
    }
    for &f in fds.iter().rev() {
        bump(&mut k, f, ch);
    }
    let order: Vec<Fd> = harvest(&mut k, ep, ch)
        .into_iter()
        .map(|(f, ..)| f)
        .collect();
    assert_eq!(order, fds.iter().rev().copied().collect::<Vec<_>>());
}

#[test]
fn closing_an_epoll_fd_frees_its_registrations() {
    let mut k = kernel();
    let ch = &mut zero();
    let ep = k.epoll_create().unwrap();
    let outer = k.epoll_create().unwrap();
    let e = k.eventfd(1, false).unwrap();
    watch(&mut k, ep, e, EPOLLIN);
    watch(&mut k, outer, ep, EPOLLIN);
    k.close(ep, 0, ch).unwrap();
    assert!(harvest(&mut k, outer, ch).is_empty(), "{}", k.describe());
    bump(&mut k, e, ch); // must not reach the dead epoll
    assert_eq!(k.open_fds(), vec![outer, e]);
}

/// epoll_wait(2): when more entries are ready than `maxevents`, successive calls round-robin
/// through them. The ready-order freedom must keep that: 13 ready level-triggered fds,
/// `maxevents` 1, 52 harvests give each fd exactly 4 times, in every one of 200 seeds, and
/// each round of 13 reports 13 distinct fds.
#[test]
fn level_triggered_entries_round_robin_under_the_ready_order_freedom() {
    for seed in 0..200 {
        let mut k = kernel();
        let ch = &mut XorShift::new(seed);
        let ep = k.epoll_create().unwrap();
        let fds: Vec<Fd> = (0..13).map(|_| k.eventfd(1, false).unwrap()).collect();
        for &f in &fds {
            watch(&mut k, ep, f, EPOLLIN);
        }
        let mut counts = std::collections::BTreeMap::new();
        let mut events = [EpollEvent::zeroed(); 1];
        let mut sources = vec![];
        for round in 0..4 {
            let mut seen = BTreeSet::new();
            for _ in 0..13 {
                assert_eq!(k.epoll_harvest(ep, &mut events, &mut sources, ch), Ok(1));
                seen.insert(sources[0]);
                *counts.entry(sources[0]).or_insert(0) += 1;
            }
            assert_eq!(seen.len(), 13, "seed {seed} round {round}: {seen:?}");
        }
        assert!(counts.values().all(|&c| c == 4), "seed {seed}: {counts:?}");
    }
}

/// The same guarantee with `maxevents` 2 over 5 ready fds: every fd comes once before any
/// comes twice, across the harvests, while the order within one harvest is drawn (both
/// orders of a pair are seen).
#[test]
fn short_harvests_take_the_ready_lists_head_and_only_order_it() {
    let mut orders = BTreeSet::new();
    for seed in 0..100 {
        let mut k = kernel();
        let ch = &mut XorShift::new(seed);
        let ep = k.epoll_create().unwrap();
        let fds: Vec<Fd> = (0..5).map(|_| k.eventfd(1, false).unwrap()).collect();
        for &f in &fds {
            watch(&mut k, ep, f, EPOLLIN);
        }
        let mut events = [EpollEvent::zeroed(); 2];
        let mut sources = vec![];
        let mut got = vec![];
        for _ in 0..5 {
            assert_eq!(k.epoll_harvest(ep, &mut events, &mut sources, ch), Ok(2));
            orders.insert((sources[0] < sources[1]) as u8);
            got.extend(sources.iter().copied());
        }
        // FIFO: [0 1] [2 3] [4 0] [1 2] [3 4], each pair in either order.
        let sets: Vec<BTreeSet<Fd>> = got.chunks(2).map(|c| c.iter().copied().collect()).collect();
        let want: Vec<BTreeSet<Fd>> = [[0, 1], [2, 3], [4, 0], [1, 2], [3, 4]]
            .iter()
            .map(|p| p.iter().map(|&i| fds[i]).collect())
            .collect();
        assert_eq!(sets, want, "seed {seed}");
    }
    assert_eq!(orders.len(), 2, "both orders of a pair are drawn");
}
