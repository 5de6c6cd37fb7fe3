//! `EPIPE`, never `SIGPIPE`: every socket write of the `Sys` trait passes `MSG_NOSIGNAL`,
//! whatever flags the caller gave (`MSG_NOSIGNAL` itself included). Rust ignores `SIGPIPE` in
//! its binaries, which hides a missing flag, so the check runs in a child (this test binary
//! again, this test alone) that first restores the default action: a write that raised
//! `SIGPIPE` would kill it.

use simkern::poller::sys::{MsgFlags, Shutdown, SockType};
use simkern::poller::{Errno, Fd, LinuxSys, Sys};
use std::io::IoSlice;
use std::os::fd::AsRawFd;
use std::process::Command;

const CHILD: &str = "SIMKERN_SIGPIPE_CHILD";
const NAME: &str = "sigpipe::socket_writes_to_a_closed_peer_are_epipe_with_sigpipe_at_its_default";

#[test]
fn socket_writes_to_a_closed_peer_are_epipe_with_sigpipe_at_its_default() {
    let _fds = crate::support::fds_shared();
    if std::env::var_os(CHILD).is_some() {
        return writes_are_epipe();
    }
    let exe = std::env::current_exe().expect("current_exe");
    let out = Command::new(exe)
        .args(["--exact", NAME, "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .expect("run the child");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "the child ({:?}; killed by SIGPIPE is signal 13):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("1 passed"),
        "the child ran no test:\n{stdout}"
    );
}

/// In the child: `SIGPIPE` back to its default, then each write to a Unix stream whose peer
/// is gone and to a TCP socket shut for writing, with each kind of flags.
fn writes_are_epipe() {
    // SAFETY: restores a signal's default disposition; no handler is involved.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let sys = LinuxSys;
    let flag_sets = [
        MsgFlags::EMPTY,
        MsgFlags::NOSIGNAL,
        MsgFlags::DONTWAIT | MsgFlags::NOSIGNAL,
    ];
    for flags in flag_sets {
        let (a, b) = sys.socketpair(SockType::Stream).expect("socketpair");
        sys.close(b).expect("close");
        assert_eq!(
            sys.sendto_unix(a, b"x", flags, None),
            Err(Errno::EPIPE),
            "{flags:?}"
        );
        sys.close(a).expect("close");
    }
    let (a, b) = sys.socketpair(SockType::Stream).expect("socketpair");
    sys.close(b).expect("close");
    assert_eq!(sys.write(a, b"x"), Err(Errno::EPIPE), "write, Unix");
    assert_eq!(
        sys.writev(a, &[IoSlice::new(b"x")]),
        Err(Errno::EPIPE),
        "writev, Unix"
    );
    sys.close(a).expect("close");

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let client =
        std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let (_server, _) = listener.accept().expect("accept");
    let c = Fd(client.as_raw_fd());
    sys.shutdown(c, Shutdown::Write).expect("shutdown");
    for flags in flag_sets {
        assert_eq!(
            sys.sendto(c, b"x", flags, None),
            Err(Errno::EPIPE),
            "{flags:?}"
        );
    }
    assert_eq!(sys.write(c, b"x"), Err(Errno::EPIPE), "write, TCP");
    assert_eq!(
        sys.writev(c, &[IoSlice::new(b"x")]),
        Err(Errno::EPIPE),
        "writev, TCP"
    );
}
