//! Simulated processes end to end (issue 17, item 3): threads belong to processes, each
//! process numbers its own fds and has its own `RLIMIT_NOFILE`, a process's end (its last
//! thread returning, `exit_process`, `kill`) closes its fds as Linux's exit does, and the
//! fd-leak oracle judges each process by its own fds. Written directly on `SimSys`, so each
//! step is a call the test names.

use crate::signature;
use simkern::poller::sys::epoll::{EPOLLIN, EPOLLOUT};
use simkern::poller::sys::{Domain, EpollEvent, EpollOp, Errno, Fd, SockType, Sys, SysResult};
use simkern::sim::oracles::EXPECT_NO_FDS_AT_END;
use simkern::sim::runner::{Config, Outcome};
use simkern::sim::{Pid, SimSys, Stop};
use std::net::SocketAddr;

fn run(seed: u64, root: impl FnOnce() + 'static) -> Outcome {
    simkern::sim::run(&Config::new(seed), root)
}

fn run_with_rlimit(seed: u64, nofile: u32, root: impl FnOnce() + 'static) -> Outcome {
    let mut c = Config::new(seed);
    c.kernel.rlimit_nofile = nofile;
    simkern::sim::run(&c, root)
}

fn assert_completed(o: &Outcome) {
    assert_eq!(
        o.stop,
        Stop::Completed,
        "{}\n{}",
        signature(&o.stop),
        o.kernel_state
    );
}

/// Waits up to a second of virtual time for `events` on `fd`; whether they came.
fn wait_for(sys: SimSys, fd: Fd, events: u32) -> bool {
    let ep = sys.epoll_create().unwrap();
    sys.epoll_ctl(ep, EpollOp::Add, fd, Some(EpollEvent::new(events, 0)))
        .unwrap();
    let mut ev = [EpollEvent::zeroed(); 1];
    let n = sys.epoll_wait(ep, &mut ev, 1_000).unwrap();
    sys.close(ep).unwrap();
    n == 1
}

/// A listener on 127.0.0.1:`port` in the calling thread's process.
fn listen(sys: SimSys, port: u16) -> Fd {
    let l = sys.socket(Domain::Inet, SockType::Stream).unwrap();
    sys.bind(l, addr(port)).unwrap();
    sys.listen(l, 16).unwrap();
    l
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A connected stream to `port`, from the calling thread's process.
fn dial(sys: SimSys, port: u16) -> Fd {
    let c = sys.socket(Domain::Inet, SockType::Stream).unwrap();
    assert_eq!(sys.connect(c, addr(port)), Err(Errno::EINPROGRESS));
    assert!(
        wait_for(sys, c, EPOLLOUT),
        "connect to {port} never completed"
    );
    assert_eq!(sys.so_error(c), Ok(None));
    c
}

fn read(sys: SimSys, fd: Fd) -> SysResult<usize> {
    sys.read(fd, &mut [0u8; 64])
}

#[test]
fn the_fds_a_thread_sees_are_its_processs_own_lowest_first() {
    let o = run(1, || {
        let sys = SimSys;
        assert_eq!(sys.getpid(), Pid::ROOT);
        assert_eq!(sys.eventfd(0, false), Ok(Fd(0)));
        assert_eq!(sys.eventfd(0, false), Ok(Fd(1)));
        let child = sys
            .spawn_process("child", move || {
                let me = sys.getpid();
                assert_ne!(me, Pid::ROOT);
                assert_eq!(
                    sys.eventfd(0, false),
                    Ok(Fd(0)),
                    "a new process starts at 0"
                );
                let t = sys
                    .spawn("child-thread", move || {
                        assert_eq!(sys.getpid(), me, "a spawned thread joins its spawner's");
                        assert_eq!(sys.eventfd(0, false), Ok(Fd(1)), "the same table");
                        assert_eq!(simkern::sim::open_fds(), vec![Fd(0), Fd(1)]);
                    })
                    .unwrap();
                sys.join(t);
            })
            .unwrap();
        sys.join(child);
        assert_eq!(
            sys.eventfd(0, false),
            Ok(Fd(2)),
            "process 1's numbering went on alone"
        );
        assert_eq!(simkern::sim::open_fds(), vec![Fd(0), Fd(1), Fd(2)]);
    });
    assert_completed(&o);
}

#[test]
fn emfile_in_one_process_leaves_the_other_opening() {
    let o = run_with_rlimit(2, 3, || {
        let sys = SimSys;
        // The client floods itself up to its limit; the server's process is untouched.
        let client = sys
            .spawn_process("client", move || {
                for i in 0..3 {
                    assert_eq!(sys.eventfd(0, false), Ok(Fd(i)));
                }
                assert_eq!(sys.eventfd(0, false), Err(Errno::EMFILE));
                assert_eq!(
                    sys.socket(Domain::Inet, SockType::Stream),
                    Err(Errno::EMFILE)
                );
            })
            .unwrap();
        sys.join(client);
        for i in 0..3 {
            assert_eq!(
                sys.eventfd(0, false),
                Ok(Fd(i)),
                "process 1 opens its own 3"
            );
        }
        assert_eq!(sys.eventfd(0, false), Err(Errno::EMFILE));
    });
    assert_completed(&o);
}

/// What the server in process 1 reads after the client process ends with `unread` bytes it
/// never read.
fn server_read_after_client_exit(seed: u64, unread: bool) -> SysResult<usize> {
    let result = std::rc::Rc::new(std::cell::Cell::new(None));
    let seen = result.clone();
    let o = run(seed, move || {
        let sys = SimSys;
        let l = listen(sys, 7200);
        let client = sys
            .spawn_process("client", move || {
                let c = dial(sys, 7200);
                if unread {
                    assert!(wait_for(sys, c, EPOLLIN), "the server's bytes never came");
                }
                // Returning ends the process: the kernel closes `c`.
            })
            .unwrap();
        assert!(wait_for(sys, l, EPOLLIN));
        let (s, _) = sys.accept4(l).unwrap();
        if unread {
            assert_eq!(sys.write(s, b"unread"), Ok(6));
        }
        sys.join(client);
        assert!(wait_for(sys, s, EPOLLIN), "no FIN or RST came");
        seen.set(Some(read(sys, s)));
        sys.close(s).unwrap();
        sys.close(l).unwrap();
    });
    assert_completed(&o);
    result.get().expect("the server read")
}

#[test]
fn a_process_that_ends_with_nothing_unread_sends_fin() {
    for seed in 0..20 {
        assert_eq!(
            server_read_after_client_exit(seed, false),
            Ok(0),
            "seed {seed}"
        );
    }
}

#[test]
fn a_process_that_ends_with_unread_data_sends_rst() {
    for seed in 0..20 {
        assert_eq!(
            server_read_after_client_exit(seed, true),
            Err(Errno::ECONNRESET),
            "seed {seed}"
        );
    }
}

#[test]
fn killing_a_listening_process_resets_its_accept_queue() {
    let o = run(3, || {
        let sys = SimSys;
        let server = sys
            .spawn_process("server", move || {
                let _l = listen(sys, 7201);
                // Never accepts: parks until it is killed.
                let ep = sys.epoll_create().unwrap();
                let mut ev = [EpollEvent::zeroed(); 1];
                let _ = sys.epoll_wait(ep, &mut ev, -1);
                unreachable!("the killed server ran on");
            })
            .unwrap();
        let server_pid = sys.pid_of(&server);
        // Dial until the listener is up, then leave the connection in its queue.
        let c = loop {
            let c = sys.socket(Domain::Inet, SockType::Stream).unwrap();
            assert_eq!(sys.connect(c, addr(7201)), Err(Errno::EINPROGRESS));
            assert!(wait_for(sys, c, EPOLLOUT));
            if sys.so_error(c) == Ok(None) {
                break c;
            }
            sys.close(c).unwrap();
        };
        assert_eq!(sys.kill(server_pid), Ok(()));
        assert_eq!(sys.kill(server_pid), Err(Errno::ESRCH), "it is gone");
        sys.join(server);
        assert!(wait_for(sys, c, EPOLLIN), "no RST came");
        assert_eq!(read(sys, c), Err(Errno::ECONNRESET));
        sys.close(c).unwrap();
    });
    assert_completed(&o);
}

#[test]
fn exit_process_stops_every_thread_of_the_process_and_closes_its_fds() {
    let o = run(4, || {
        let sys = SimSys;
        let l = listen(sys, 7202);
        let client = sys
            .spawn_process("client", move || {
                let c = dial(sys, 7202);
                let _parked = sys
                    .spawn("parked", move || {
                        let ep = sys.epoll_create().unwrap();
                        let mut ev = [EpollEvent::zeroed(); 1];
                        let _ = sys.epoll_wait(ep, &mut ev, -1);
                        unreachable!("a thread of an exited process ran on");
                    })
                    .unwrap();
                sys.sched_point();
                let _ = c;
                sys.exit_process();
            })
            .unwrap();
        assert!(wait_for(sys, l, EPOLLIN));
        let (s, _) = sys.accept4(l).unwrap();
        sys.join(client);
        assert!(wait_for(sys, s, EPOLLIN));
        assert_eq!(
            read(sys, s),
            Ok(0),
            "the exit closed the client's socket: FIN"
        );
        sys.close(s).unwrap();
        sys.close(l).unwrap();
    });
    assert_completed(&o);
}

fn promise() {
    SimSys.probe(simkern::poller::Probe::User {
        name: EXPECT_NO_FDS_AT_END,
        a: 0,
        b: 0,
    });
}

#[test]
fn a_process_that_returns_with_fds_open_fails_the_promise_by_its_own_fds() {
    let o = run(5, || {
        promise();
        let sys = SimSys;
        let child = sys
            .spawn_process("leaky", move || {
                sys.eventfd(0, false).unwrap();
                sys.eventfd(0, false).unwrap();
            })
            .unwrap();
        sys.join(child);
    });
    let Stop::Oracle {
        oracle, message, ..
    } = &o.stop
    else {
        panic!("no leak verdict: {}", signature(&o.stop));
    };
    assert_eq!(*oracle, "fd_leak");
    assert!(
        message.starts_with("a process ended with 2 fd(s) open in process 2: [0, 1]"),
        "{message}"
    );
}

#[test]
fn a_killed_process_leaves_no_leak_and_process_1_is_judged_at_the_end() {
    let clean = run(6, || {
        promise();
        let sys = SimSys;
        let child = sys
            .spawn_process("killed", move || {
                sys.eventfd(0, false).unwrap();
                sys.exit_process();
            })
            .unwrap();
        sys.join(child);
    });
    assert_completed(&clean);
    let leaky = run(6, || {
        promise();
        let sys = SimSys;
        sys.eventfd(0, false).unwrap();
        let child = sys.spawn_process("clean", || {}).unwrap();
        sys.join(child);
    });
    let Stop::Oracle { message, .. } = &leaky.stop else {
        panic!("no leak verdict: {}", signature(&leaky.stop));
    };
    assert!(
        message.starts_with("the scenario ended with 1 fd(s) open in process 1: [0]"),
        "{message}"
    );
}

#[test]
fn killing_process_1_ends_the_run() {
    let o = run(7, || {
        let sys = SimSys;
        let _other = sys
            .spawn_process("other", move || {
                sys.eventfd(0, false).unwrap();
                let ep = sys.epoll_create().unwrap();
                let _ = sys.epoll_wait(ep, &mut [EpollEvent::zeroed(); 1], -1);
            })
            .unwrap();
        sys.sched_point();
        sys.exit_process();
    });
    assert_completed(&o);
}

/// A run with three processes talking: the same seed gives the same trace hash.
fn chatty(seed: u64) -> Outcome {
    run(seed, || {
        let sys = SimSys;
        let l = listen(sys, 7203);
        let clients: Vec<_> = (0..3)
            .map(|i| {
                sys.spawn_process(&format!("client{i}"), move || {
                    let c = dial(sys, 7203);
                    assert_eq!(sys.write(c, b"hello"), Ok(5));
                    if i == 1 {
                        sys.exit_process();
                    }
                })
                .unwrap()
            })
            .collect();
        let mut accepted = Vec::new();
        while accepted.len() < 3 {
            assert!(wait_for(sys, l, EPOLLIN));
            while let Ok((s, _)) = sys.accept4(l) {
                accepted.push(s);
            }
        }
        for t in clients {
            sys.join(t);
        }
        for s in accepted {
            while wait_for(sys, s, EPOLLIN) && matches!(read(sys, s), Ok(1..)) {}
            sys.close(s).unwrap();
        }
        sys.close(l).unwrap();
    })
}

#[test]
fn a_run_with_processes_is_deterministic() {
    for seed in 0..10 {
        let (a, b) = (chatty(seed), chatty(seed));
        assert_completed(&a);
        assert_eq!(a.trace_hash, b.trace_hash, "seed {seed}");
        assert_eq!(a.steps, b.steps, "seed {seed}");
    }
    let hashes: std::collections::BTreeSet<u64> = (0..10).map(|s| chatty(s).trace_hash).collect();
    assert!(hashes.len() > 1, "the seeds explore different runs");
}
