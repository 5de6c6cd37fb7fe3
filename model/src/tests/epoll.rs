//! epoll: ctl errors, level and edge triggering, ONESHOT, EXCLUSIVE, maxevents, file
//! lifetimes, nesting.

use super::*;
use crate::errno::*;
use crate::event::*;
use crate::Shut;

fn data(fd: Fd) -> u64 {
    u64::try_from(fd.0).unwrap()
}

#[test]
fn level_triggered_entries_are_reported_while_ready() {
    let mut m = model();
    let (r, w) = pipe(&mut m);
    let ep = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(ep, r, EPOLLIN));
    wait(&mut m, ep, 8, &[]);
    bytes(&mut m, Op::Write { fd: w, len: 2 });
    wait(&mut m, ep, 8, &[(3, EPOLLIN)]);
    wait(&mut m, ep, 8, &[(3, EPOLLIN)]);
    bytes(&mut m, Op::Read { fd: r, len: 2 });
    wait(&mut m, ep, 8, &[]);
}

#[test]
fn edge_triggered_entries_are_reported_once_per_wakeup() {
    let mut m = model();
    let e = new_fd(
        &mut m,
        Op::EventFd {
            init: 0,
            semaphore: true,
        },
    );
    let ep = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(ep, e, EPOLLIN | EPOLLET));
    run(
        &mut m,
        Op::EventFdWrite {
            fd: e,
            value: 2,
            len: 8,
        },
    );
    wait(&mut m, ep, 8, &[(3, EPOLLIN)]);
    wait(&mut m, ep, 8, &[]);
    // Still readable, but no new wakeup: nothing. A read is no wakeup for EPOLLIN.
    run(&mut m, Op::EventFdRead { fd: e, len: 8 });
    wait(&mut m, ep, 8, &[]);
    run(
        &mut m,
        Op::EventFdWrite {
            fd: e,
            value: 1,
            len: 8,
        },
    );
    wait(&mut m, ep, 8, &[(3, EPOLLIN)]);
}

#[test]
fn an_edge_triggered_pipe_write_to_a_non_empty_pipe_may_or_may_not_be_an_edge() {
    let mut m = model();
    let (r, w) = pipe(&mut m);
    let ep = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(ep, r, EPOLLIN | EPOLLET));
    bytes(&mut m, Op::Write { fd: w, len: 1 });
    wait(&mut m, ep, 8, &[(3, EPOLLIN)]);
    bytes(&mut m, Op::Write { fd: w, len: 1 });
    // Linux 5.16+ wakes readers on every write once the pipe was polled; older kernels
    // only when the pipe was empty.
    assert_eq!(ready(&m, ep, 8), vec![(3, vec![EPOLLIN], false)]);
}

#[test]
fn oneshot_disarms_the_entry_until_mod_rearms_it() {
    let mut m = model();
    let (r, w) = pipe(&mut m);
    let ep = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(ep, r, EPOLLIN | EPOLLONESHOT));
    bytes(&mut m, Op::Write { fd: w, len: 1 });
    wait(&mut m, ep, 8, &[(3, EPOLLIN)]);
    wait(&mut m, ep, 8, &[]);
    ok(&mut m, Op::Close { fd: w });
    wait(&mut m, ep, 8, &[]);
    ok(&mut m, modify(ep, r, EPOLLIN | EPOLLONESHOT));
    wait(&mut m, ep, 8, &[(3, EPOLLIN | EPOLLHUP)]);
}

#[test]
fn mod_requeues_an_edge_triggered_entry_that_is_ready() {
    let mut m = model();
    let (r, w) = pipe(&mut m);
    let ep = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(ep, r, EPOLLIN | EPOLLET));
    bytes(&mut m, Op::Write { fd: w, len: 1 });
    wait(&mut m, ep, 8, &[(3, EPOLLIN)]);
    ok(&mut m, modify(ep, r, EPOLLIN | EPOLLET));
    wait(&mut m, ep, 8, &[(3, EPOLLIN)]);
}

#[test]
fn epoll_ctl_errors_come_in_linux_order() {
    let mut m = model();
    let (r, _) = pipe(&mut m);
    let ep = new_fd(&mut m, Op::EpollCreate);
    let ctl = |epfd, op, fd, events| Op::EpollCtl {
        epfd,
        op,
        fd,
        events,
        data: 0,
    };
    assert_eq!(errno(&mut m, ctl(Fd(9), Ctl::Add, r, EPOLLIN)), EBADF);
    assert_eq!(errno(&mut m, ctl(ep, Ctl::Add, Fd(9), EPOLLIN)), EBADF);
    assert_eq!(
        errno(&mut m, ctl(r, Ctl::Add, ep, EPOLLIN)),
        EINVAL,
        "not an epoll"
    );
    assert_eq!(
        errno(&mut m, ctl(ep, Ctl::Add, ep, EPOLLIN)),
        EINVAL,
        "itself"
    );
    assert_eq!(errno(&mut m, ctl(ep, Ctl::Mod, r, EPOLLIN)), ENOENT);
    assert_eq!(errno(&mut m, ctl(ep, Ctl::Del, r, 0)), ENOENT);
    ok(&mut m, ctl(ep, Ctl::Add, r, EPOLLIN));
    assert_eq!(errno(&mut m, ctl(ep, Ctl::Add, r, EPOLLIN)), EEXIST);
    ok(&mut m, ctl(ep, Ctl::Del, r, 0));
}

#[test]
fn epollexclusive_is_only_for_add_and_only_with_its_ok_bits() {
    let mut m = model();
    let (r, _) = pipe(&mut m);
    let ep = new_fd(&mut m, Op::EpollCreate);
    let inner = new_fd(&mut m, Op::EpollCreate);
    let x = EPOLLIN | EPOLLEXCLUSIVE;
    assert_eq!(errno(&mut m, add(ep, r, x | EPOLLONESHOT)), EINVAL);
    assert_eq!(errno(&mut m, add(ep, r, x | EPOLLRDHUP)), EINVAL);
    assert_eq!(errno(&mut m, add(ep, inner, x)), EINVAL, "not on an epoll");
    assert_eq!(
        errno(&mut m, modify(ep, r, x)),
        EINVAL,
        "checked before the lookup"
    );
    ok(&mut m, add(ep, r, x | EPOLLET));
    assert_eq!(
        errno(&mut m, modify(ep, r, EPOLLIN)),
        EINVAL,
        "an exclusive entry"
    );
}

#[test]
fn exclusive_entries_in_two_epolls_both_see_events_when_nobody_sleeps() {
    let mut m = model();
    let (r, w) = pipe(&mut m);
    let a = new_fd(&mut m, Op::EpollCreate);
    let b = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(a, r, EPOLLIN | EPOLLEXCLUSIVE));
    ok(&mut m, add(b, r, EPOLLIN | EPOLLEXCLUSIVE));
    bytes(&mut m, Op::Write { fd: w, len: 1 });
    wait(&mut m, a, 8, &[(3, EPOLLIN)]);
    wait(&mut m, b, 8, &[(3, EPOLLIN)]);
}

#[test]
fn hup_and_err_are_reported_even_when_not_requested_and_rdhup_only_when_requested() {
    let mut m = model();
    let (_, c, s) = connected(&mut m, 0);
    let ep = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(ep, c, EPOLLIN));
    ok(&mut m, add(ep, s, 0));
    wait(&mut m, ep, 8, &[]);
    ok(
        &mut m,
        Op::Shutdown {
            fd: s,
            how: Shut::Wr,
        },
    );
    ok(&mut m, Op::Settle);
    // c got a FIN: readable (EOF) and RDHUP, but RDHUP was not asked for.
    wait(&mut m, ep, 8, &[(data(c), EPOLLIN)]);
    ok(&mut m, modify(ep, c, EPOLLIN | EPOLLRDHUP));
    wait(&mut m, ep, 8, &[(data(c), EPOLLIN | EPOLLRDHUP)]);
    ok(&mut m, Op::Close { fd: c });
    ok(&mut m, Op::Settle);
    // s had shut writing and now has the FIN: both directions shut is EPOLLHUP.
    wait(&mut m, ep, 8, &[(data(s), EPOLLHUP)]);
}

#[test]
fn a_short_maxevents_may_return_any_of_the_ready_entries() {
    let mut m = model();
    let ep = new_fd(&mut m, Op::EpollCreate);
    let mut fds = Vec::new();
    for _ in 0..3 {
        let e = new_fd(
            &mut m,
            Op::EventFd {
                init: 1,
                semaphore: false,
            },
        );
        ok(&mut m, add(ep, e, EPOLLIN));
        fds.push(data(e));
    }
    let op = Op::EpollWait {
        epfd: ep,
        maxevents: 2,
    };
    for (a, b) in [(0, 1), (1, 2), (2, 0)] {
        let answer = events(&[(fds[a], EPOLLIN), (fds[b], EPOLLIN)]);
        assert!(allows(&m, &op, &answer), "{a} and {b}");
    }
    assert!(
        !allows(&m, &op, &events(&[(fds[0], EPOLLIN)])),
        "two are ready"
    );
    let three = events(&[(fds[0], EPOLLIN), (fds[1], EPOLLIN), (fds[2], EPOLLIN)]);
    assert!(!allows(&m, &op, &three));
    let twice = events(&[(fds[0], EPOLLIN), (fds[0], EPOLLIN)]);
    assert!(
        !allows(&m, &op, &twice),
        "an entry is reported at most once"
    );
    assert!(allows(
        &m,
        &Op::EpollWait {
            epfd: ep,
            maxevents: 3
        },
        &three
    ));
}

#[test]
fn edge_triggered_entries_left_out_by_maxevents_stay_ready_for_the_next_wait() {
    let mut m = model();
    let ep = new_fd(&mut m, Op::EpollCreate);
    let a = new_fd(
        &mut m,
        Op::EventFd {
            init: 1,
            semaphore: false,
        },
    );
    let b = new_fd(
        &mut m,
        Op::EventFd {
            init: 1,
            semaphore: false,
        },
    );
    ok(&mut m, add(ep, a, EPOLLIN | EPOLLET));
    ok(&mut m, add(ep, b, EPOLLIN | EPOLLET));
    wait(&mut m, ep, 1, &[(data(b), EPOLLIN)]);
    wait(&mut m, ep, 1, &[(data(a), EPOLLIN)]);
    wait(&mut m, ep, 1, &[]);
}

#[test]
fn closing_one_of_two_fds_keeps_the_entry_with_its_old_data() {
    let mut m = model();
    let (r, w) = pipe(&mut m);
    let ep = new_fd(&mut m, Op::EpollCreate);
    let r2 = new_fd(&mut m, Op::Dup { fd: r });
    ok(&mut m, add(ep, r, EPOLLIN));
    ok(&mut m, Op::Close { fd: r });
    bytes(&mut m, Op::Write { fd: w, len: 1 });
    wait(&mut m, ep, 8, &[(3, EPOLLIN)]);
    // The entry is (file, fd 3): fd 6 names the same file, but not the same entry.
    let del = |fd| Op::EpollCtl {
        epfd: ep,
        op: Ctl::Del,
        fd,
        events: 0,
        data: 0,
    };
    assert_eq!(errno(&mut m, del(r2)), ENOENT);
    assert_eq!(errno(&mut m, del(r)), EBADF);
    ok(&mut m, Op::Close { fd: r2 });
    wait(&mut m, ep, 8, &[]);
}

#[test]
fn a_reused_fd_number_gets_its_own_entry_beside_the_stale_one() {
    let mut m = model();
    let (r, w) = pipe(&mut m);
    let ep = new_fd(&mut m, Op::EpollCreate);
    let keep = new_fd(&mut m, Op::Dup { fd: r });
    ok(&mut m, add(ep, r, EPOLLIN));
    ok(&mut m, Op::Close { fd: r });
    let e = new_fd(
        &mut m,
        Op::EventFd {
            init: 1,
            semaphore: false,
        },
    );
    assert_eq!(e, r, "lowest free");
    ok(&mut m, add(ep, e, EPOLLIN));
    bytes(&mut m, Op::Write { fd: w, len: 1 });
    // Two entries with data 3: the stale pipe one and the eventfd.
    wait(&mut m, ep, 8, &[(3, EPOLLIN), (3, EPOLLIN)]);
    ok(&mut m, Op::Close { fd: keep });
    wait(&mut m, ep, 8, &[(3, EPOLLIN)]);
}

#[test]
fn a_nested_epoll_is_readable_while_its_inner_epoll_has_events() {
    let mut m = model();
    let (r, w) = pipe(&mut m);
    let inner = new_fd(&mut m, Op::EpollCreate);
    let outer = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(inner, r, EPOLLIN | EPOLLET));
    ok(&mut m, add(outer, inner, EPOLLIN | EPOLLET));
    wait(&mut m, outer, 8, &[]);
    bytes(&mut m, Op::Write { fd: w, len: 1 });
    wait(&mut m, outer, 8, &[(data(inner), EPOLLIN)]);
    wait(&mut m, outer, 8, &[]);
    wait(&mut m, inner, 8, &[(3, EPOLLIN)]);
}

#[test]
fn epolls_watching_each_other_is_eloop() {
    let mut m = model();
    let a = new_fd(&mut m, Op::EpollCreate);
    let b = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(a, b, EPOLLIN));
    assert_eq!(errno(&mut m, add(b, a, EPOLLIN)), ELOOP);
}

#[test]
fn nesting_past_ep_max_nests_is_eloop_on_current_kernels() {
    let mut m = model();
    let eps: Vec<Fd> = (0..6).map(|_| new_fd(&mut m, Op::EpollCreate)).collect();
    for pair in eps.windows(2).take(4) {
        ok(&mut m, add(pair[1], pair[0], EPOLLIN));
    }
    let deep = add(eps[5], eps[4], EPOLLIN);
    assert!(allows(&m, &deep, &Outcome::Err(ELOOP)));
    assert!(
        allows(&m, &deep, &Outcome::Ok),
        "older kernels only looked downwards"
    );
}

#[test]
fn epoll_wait_rejects_bad_arguments() {
    let mut m = model();
    let ep = new_fd(&mut m, Op::EpollCreate);
    let (r, _) = pipe(&mut m);
    assert_eq!(
        errno(
            &mut m,
            Op::EpollWait {
                epfd: ep,
                maxevents: 0
            }
        ),
        EINVAL
    );
    assert_eq!(
        errno(
            &mut m,
            Op::EpollWait {
                epfd: r,
                maxevents: 1
            }
        ),
        EINVAL
    );
    assert_eq!(
        errno(
            &mut m,
            Op::EpollWait {
                epfd: Fd(9),
                maxevents: 1
            }
        ),
        EBADF
    );
    let both = Op::EpollWait {
        epfd: Fd(9),
        maxevents: -1,
    };
    assert!(allows(&m, &both, &Outcome::Err(EBADF)) && allows(&m, &both, &Outcome::Err(EINVAL)));
}

#[test]
fn data_arriving_on_a_socket_is_an_edge_every_time() {
    let mut m = model();
    let (_, c, s) = connected(&mut m, 0);
    // Nagle off, or the second byte might still wait for the first one's (delayed) ACK.
    let nodelay = crate::SockOpt::NoDelay(true);
    ok(
        &mut m,
        Op::SetSockOpt {
            fd: c,
            opt: nodelay,
        },
    );
    let ep = new_fd(&mut m, Op::EpollCreate);
    ok(&mut m, add(ep, s, EPOLLIN | EPOLLET));
    bytes(&mut m, Op::Write { fd: c, len: 1 });
    ok(&mut m, Op::Settle);
    wait(&mut m, ep, 8, &[(data(s), EPOLLIN)]);
    bytes(&mut m, Op::Write { fd: c, len: 1 });
    ok(&mut m, Op::Settle);
    assert_eq!(ready(&m, ep, 8), vec![(data(s), vec![EPOLLIN], true)]);
}

#[test]
fn a_connecting_socket_becomes_writable_when_connected() {
    let mut m = model();
    let l = new_fd(&mut m, Op::Socket);
    ok(
        &mut m,
        Op::Bind {
            fd: l,
            port: Port(0),
        },
    );
    ok(&mut m, Op::Listen { fd: l, backlog: 4 });
    let c = new_fd(&mut m, Op::Socket);
    let ep = new_fd(&mut m, Op::EpollCreate);
    errno(
        &mut m,
        Op::Connect {
            fd: c,
            port: Port(0),
        },
    );
    ok(&mut m, add(ep, c, EPOLLOUT | EPOLLET));
    ok(&mut m, add(ep, l, EPOLLIN));
    ok(&mut m, Op::Settle);
    wait(&mut m, ep, 8, &[(data(c), EPOLLOUT), (data(l), EPOLLIN)]);
}
