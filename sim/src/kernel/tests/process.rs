//! Processes: per-process fd numbering and `RLIMIT_NOFILE`, one kernel socket pair across
//! processes, and exit closing a process's fds as Linux's `do_exit` does.

use super::*;
use crate::kernel::{Pid, XorShift};
use simkern_poller::sys::epoll::{EPOLLERR, EPOLLIN, EPOLLRDHUP};

/// `(client in process 2, server in process 1, listener in process 1)`, connected; process 1
/// is active afterwards.
fn pair_across(k: &mut Kernel, port: u16, ch: &mut dyn Choices) -> (Pid, Fd, Fd, Fd) {
    let client = k.create_process().unwrap();
    let l = listener(k, port, 16);
    k.enter(client);
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    let now = k.clock();
    assert_eq!(k.connect(c, addr(port), now, ch), Err(Errno::EINPROGRESS));
    settle(k, ch);
    assert_eq!(k.so_error(c), Ok(None), "{}", k.describe());
    k.enter(Pid::ROOT);
    let (s, _) = k
        .accept4(l)
        .unwrap_or_else(|e| panic!("accept4: {e}\n{}", k.describe()));
    (client, c, s, l)
}

#[test]
fn each_process_numbers_its_fds_lowest_first_from_zero() {
    let mut k = kernel();
    let a = k.eventfd(0, false).unwrap();
    let b = k.eventfd(0, false).unwrap();
    assert_eq!((a, b), (Fd(0), Fd(1)));
    let p2 = k.create_process().unwrap();
    k.enter(p2);
    assert_eq!(
        k.eventfd(0, false),
        Ok(Fd(0)),
        "a new process starts at fd 0"
    );
    assert_eq!(k.pipe2(), Ok((Fd(1), Fd(2))));
    assert_eq!(
        k.read(Fd(1), &mut [0u8; 1], 0, &mut Zero),
        Err(Errno::EAGAIN)
    );
    assert_eq!(
        k.read(Fd(3), &mut [0u8; 1], 0, &mut Zero),
        Err(Errno::EBADF),
        "process 1's numbers mean nothing here"
    );
    k.enter(Pid::ROOT);
    k.close(a, 0, &mut Zero).unwrap();
    assert_eq!(
        k.eventfd(0, false),
        Ok(Fd(0)),
        "process 1 reuses its own fd 0"
    );
    assert_eq!(k.open_fds_of(Pid::ROOT), vec![Fd(0), Fd(1)]);
    assert_eq!(k.open_fds_of(p2), vec![Fd(0), Fd(1), Fd(2)]);
}

#[test]
fn rlimit_nofile_is_per_process_so_one_at_its_limit_leaves_the_other_opening() {
    let mut k = kernel_with(|c| c.rlimit_nofile = 4);
    let p2 = k.create_process().unwrap();
    for i in 0..4 {
        assert_eq!(k.eventfd(0, false), Ok(Fd(i)));
    }
    assert_eq!(k.eventfd(0, false), Err(Errno::EMFILE));
    assert_eq!(k.pipe2(), Err(Errno::EMFILE));
    k.enter(p2);
    for i in 0..3 {
        assert_eq!(
            k.eventfd(0, false),
            Ok(Fd(i)),
            "process 2 opens while 1 is full"
        );
    }
    assert_eq!(
        k.pipe2(),
        Err(Errno::EMFILE),
        "a pipe needs two of its last one"
    );
    assert_eq!(k.eventfd(0, false), Ok(Fd(3)));
    assert_eq!(k.eventfd(0, false), Err(Errno::EMFILE));
}

#[test]
fn a_connection_across_processes_is_one_socket_pair() {
    let mut k = kernel();
    let ch = &mut XorShift::new(11);
    let (client, c, s, _l) = pair_across(&mut k, 7100, ch);
    let now = k.clock();
    assert_eq!(k.write(s, b"hi", now, ch), Ok(2));
    settle(&mut k, ch);
    k.enter(client);
    let mut buf = [0u8; 4];
    assert_eq!(rd(&mut k, c, &mut buf), Ok(2));
    assert_eq!(&buf[..2], b"hi");
}

#[test]
fn exit_sends_fin_for_a_socket_with_nothing_unread() {
    let mut k = kernel();
    let ch = &mut XorShift::new(12);
    let (client, _c, s, _l) = pair_across(&mut k, 7101, ch);
    let now = k.clock();
    k.exit_process(client, now, ch);
    assert_eq!(
        k.active_process(),
        Pid::ROOT,
        "exit leaves the active process alone"
    );
    assert!(!k.is_alive(client));
    assert_eq!(k.open_fds_of(client), vec![]);
    settle(&mut k, ch);
    assert_eq!(
        k.poll(s).unwrap() & (EPOLLIN | EPOLLRDHUP | EPOLLERR),
        EPOLLIN | EPOLLRDHUP,
        "FIN, no error\n{}",
        k.describe()
    );
    let mut buf = [0u8; 4];
    assert_eq!(rd(&mut k, s, &mut buf), Ok(0), "end of stream, not a reset");
}

#[test]
fn exit_resets_a_socket_with_unread_data() {
    let mut k = kernel();
    let ch = &mut XorShift::new(13);
    let (client, _c, s, _l) = pair_across(&mut k, 7102, ch);
    let now = k.clock();
    k.write(s, b"unread", now, ch).unwrap();
    settle(&mut k, ch);
    let now = k.clock();
    k.exit_process(client, now, ch);
    settle(&mut k, ch);
    assert_eq!(k.poll(s).unwrap() & EPOLLERR, EPOLLERR, "{}", k.describe());
    let mut buf = [0u8; 4];
    assert_eq!(rd(&mut k, s, &mut buf), Err(Errno::ECONNRESET));
}

#[test]
fn exit_of_a_listening_process_resets_its_queued_connections() {
    let mut k = kernel();
    let ch = &mut XorShift::new(14);
    let server = k.create_process().unwrap();
    k.enter(server);
    let l = listener(&mut k, 7103, 16);
    let ep = k.epoll_create().unwrap();
    watch(&mut k, ep, l, EPOLLIN);
    k.enter(Pid::ROOT);
    let c = k.socket(Domain::Inet, SockType::Stream).unwrap();
    let now = k.clock();
    assert_eq!(k.connect(c, addr(7103), now, ch), Err(Errno::EINPROGRESS));
    settle(&mut k, ch);
    assert_eq!(k.so_error(c), Ok(None), "queued, never accepted");
    let now = k.clock();
    k.exit_process(server, now, ch);
    settle(&mut k, ch);
    let mut buf = [0u8; 4];
    assert_eq!(
        rd(&mut k, c, &mut buf),
        Err(Errno::ECONNRESET),
        "the queued connection is reset\n{}",
        k.describe()
    );
    let c2 = k.socket(Domain::Inet, SockType::Stream).unwrap();
    let now = k.clock();
    assert_eq!(k.connect(c2, addr(7103), now, ch), Err(Errno::EINPROGRESS));
    settle(&mut k, ch);
    assert_eq!(
        k.so_error(c2),
        Ok(Some(Errno::ECONNREFUSED)),
        "the port is free: nobody listens"
    );
}

#[test]
fn exit_closes_every_fd_in_ascending_order_and_leaves_other_processes_alone() {
    let mut k = kernel();
    let ch = &mut XorShift::new(15);
    let keep = k.eventfd(0, false).unwrap();
    let p2 = k.create_process().unwrap();
    k.enter(p2);
    let ep = k.epoll_create().unwrap();
    let (r, w) = k.pipe2().unwrap();
    watch(&mut k, ep, r, EPOLLIN);
    k.enter(Pid::ROOT);
    k.exit_process(p2, 0, ch);
    assert_eq!(k.open_fds_of(p2), vec![]);
    assert_eq!(k.open_fds_of(Pid::ROOT), vec![keep]);
    assert_eq!(k.live_processes().collect::<Vec<_>>(), vec![Pid::ROOT]);
    k.enter(p2);
    assert_eq!(
        k.close(w, 0, ch),
        Err(Errno::EBADF),
        "a dead process holds nothing"
    );
}

#[test]
fn process_switches_leave_every_table_where_it_was() {
    let mut k = kernel();
    let p2 = k.create_process().unwrap();
    let p3 = k.create_process().unwrap();
    for (pid, n) in [(Pid::ROOT, 1), (p2, 2), (p3, 3)] {
        k.enter(pid);
        for _ in 0..n {
            k.eventfd(0, false).unwrap();
        }
    }
    for _ in 0..3 {
        for (pid, n) in [(p3, 3), (Pid::ROOT, 1), (p2, 2)] {
            k.enter(pid);
            assert_eq!(k.open_fds().len(), n, "{pid}\n{}", k.describe());
            assert_eq!(k.open_fds_of(p3).len(), 3, "from {pid}");
        }
    }
    assert!(k.describe().contains("pid 3:"), "{}", k.describe());
}
