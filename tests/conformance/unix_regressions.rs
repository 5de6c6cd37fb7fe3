//! Unix-domain sockets on all three (the model, the simulator with small and large buffers,
//! Linux): the behaviours issue 12 names, each a named test, and every Unix disagreement the
//! random sequences found, with a doc comment saying who was wrong against Linux and how it
//! was fixed.
//!
//! The constructors are the ones a failure report prints (`judge::as_regression`); names are
//! `Path(k)`, `Abstract(k)` and `Unnamed` (`UnixName`).

use crate::gen::Profile;
use crate::judge::{judge, table};
use crate::regressions::{
    close, ctl, epoll_create, fd, fionread, getsockopt, listen, read, setsockopt, shutdown,
    so_error, wait, write, writev,
};
use crate::step::{Step, UnixStep};
use simkern::model::UnixName::{self, Abstract, Path, Unnamed};
use simkern::model::{event, Ctl, Shut, SockOpt, SockOptGet};

const IN: u32 = event::EPOLLIN;
const OUT: u32 = event::EPOLLOUT;
const RDHUP: u32 = event::EPOLLRDHUP;
const ET: u32 = event::EPOLLET;

/// Runs `steps` on all three (simulator seeds 0 and 1); panics with the table on a problem.
fn check(steps: &[Step]) {
    for seed in [0, 1] {
        let v = judge(steps, Profile::Mixed, seed, true);
        if v.problem.is_some() {
            panic!("seed {seed}:\n{}", table(&v));
        }
    }
}

fn unix(step: UnixStep) -> Step {
    Step::Unix(step)
}
fn unix_socket(dgram: bool) -> Step {
    unix(UnixStep::Socket { dgram })
}
fn socketpair(dgram: bool) -> Step {
    unix(UnixStep::Pair { dgram })
}
fn unix_bind(f: i32, name: UnixName) -> Step {
    unix(UnixStep::Bind { fd: fd(f), name })
}
fn unix_connect(f: i32, name: UnixName) -> Step {
    unix(UnixStep::Connect { fd: fd(f), name })
}
fn unix_accept(f: i32) -> Step {
    unix(UnixStep::Accept { fd: fd(f) })
}
fn unix_sendto(f: i32, len: usize, to: Option<UnixName>, dontwait: bool) -> Step {
    unix(UnixStep::SendTo {
        fd: fd(f),
        len,
        to,
        dontwait,
    })
}
fn unix_recvfrom(f: i32, len: usize, peek: bool, trunc: bool, dontwait: bool) -> Step {
    unix(UnixStep::RecvFrom {
        fd: fd(f),
        len,
        peek,
        trunc,
        dontwait,
    })
}
fn unix_name(f: i32, peer: bool) -> Step {
    unix(UnixStep::Name { fd: fd(f), peer })
}
fn unlink(name: UnixName) -> Step {
    unix(UnixStep::Unlink { name })
}

/// A stream socketpair's life: bytes both ways, a peek, a half-close, the peer's close
/// (read 0, then `EPIPE`), with an edge-triggered epoll watching one end throughout.
#[test]
fn a_stream_socketpair_lives_and_ends_alike_on_all_three() {
    check(&[
        socketpair(false),
        epoll_create(),
        ctl(5, Ctl::Add, 3, IN | OUT | RDHUP | ET),
        wait(5, 4),
        write(4, 1000),
        writev(4, &[10, 0, 20]),
        wait(5, 4),
        unix_recvfrom(3, 100, true, false, false),
        fionread(3),
        read(3, 2000),
        wait(5, 4),
        shutdown(4, Shut::Wr),
        wait(5, 4),
        read(3, 10),
        write(3, 10),
        read(4, 100),
        close(4),
        wait(5, 4),
        read(3, 10),
        write(3, 10),
        so_error(3),
        unix_name(3, true),
        close(3),
    ]);
}

/// Datagram boundaries: each `read` takes one datagram, a short buffer truncates it (the rest
/// is lost), `MSG_TRUNC` reports its real length, `MSG_PEEK` leaves it queued.
#[test]
fn datagrams_keep_their_boundaries_and_truncate_alike() {
    check(&[
        socketpair(true),
        unix_sendto(3, 100, None, false),
        unix_sendto(3, 0, None, true),
        write(3, 3000),
        fionread(4),
        unix_recvfrom(4, 10, true, true, false),
        unix_recvfrom(4, 10, false, false, true),
        read(4, 64),
        unix_recvfrom(4, 8, false, true, false),
        read(4, 64),
        unix_sendto(3, 212_961, None, false),
        getsockopt(3, SockOptGet::Type),
        getsockopt(3, SockOptGet::SndBuf),
        getsockopt(3, SockOptGet::NoDelay),
    ]);
}

/// Names: a path nobody bound is `ENOENT`, a name whose socket does not listen or is gone
/// `ECONNREFUSED`, the other type `EPROTOTYPE`; a closed socket's path stays (`EADDRINUSE`)
/// until `unlink`; an abstract name goes with its socket.
#[test]
fn names_refuse_and_free_alike_on_all_three() {
    check(&[
        unix_socket(false),
        unix_connect(3, Path(0)),
        unix_connect(3, Abstract(0)),
        unix_bind(3, Path(0)),
        unix_bind(3, Path(1)),
        unix_socket(false),
        unix_connect(4, Path(0)),
        unix_socket(true),
        unix_connect(5, Path(0)),
        unix_sendto(5, 10, Some(Path(0)), false),
        unix_bind(5, Abstract(0)),
        close(3),
        unix_connect(4, Path(0)),
        unix_bind(4, Path(0)),
        unlink(Path(0)),
        unlink(Path(0)),
        unix_connect(4, Path(0)),
        unix_bind(4, Path(0)),
        close(5),
        unix_connect(4, Abstract(0)),
        unix_bind(4, Abstract(0)),
        unix_name(4, false),
        unix_name(4, true),
    ]);
}

/// A listener with a backlog of 1 queues two connections, then `connect` is `EAGAIN`; the
/// embryos take data before `accept4`; closing the listener resets the one left.
#[test]
fn a_full_backlog_refuses_and_a_closed_listener_resets_alike() {
    check(&[
        unix_socket(false),
        unix_bind(3, Abstract(1)),
        listen(3, 1),
        epoll_create(),
        ctl(4, Ctl::Add, 3, IN | ET),
        unix_socket(false),
        unix_connect(5, Abstract(1)),
        wait(4, 2),
        unix_socket(false),
        unix_bind(6, Path(2)),
        unix_connect(6, Abstract(1)),
        unix_socket(false),
        unix_connect(7, Abstract(1)),
        write(5, 500),
        write(6, 70_000),
        unix_accept(3),
        unix_name(8, false),
        unix_name(8, true),
        unix_recvfrom(8, 100, false, false, false),
        unix_name(5, true),
        close(3),
        ctl(4, Ctl::Add, 6, IN | OUT | RDHUP),
        wait(4, 4),
        read(6, 10),
        read(6, 10),
        write(6, 10),
        read(8, 1000),
        unix_connect(7, Abstract(1)),
    ]);
}

/// Connected datagram sockets: a receiver takes 11 datagrams from a sender it is not
/// connected to, then `EAGAIN`; a socket connected elsewhere refuses (`EPERM`); a dead
/// default peer is `ECONNREFUSED` once, then `ENOTCONN`.
#[test]
fn connected_datagrams_fill_refuse_and_disconnect_alike() {
    let mut steps = vec![
        unix_socket(true),
        unix_bind(3, Path(0)),
        unix_socket(true),
        unix_connect(4, Path(0)),
        epoll_create(),
        ctl(5, Ctl::Add, 4, OUT | ET),
        wait(5, 2),
    ];
    steps.extend((0..12).map(|_| write(4, 10)));
    steps.extend([
        wait(5, 2),
        unix_socket(true),
        unix_bind(6, Path(1)),
        unix_connect(3, Path(1)),
        unix_sendto(4, 10, Some(Path(0)), false),
        read(3, 64),
        wait(5, 2),
        write(4, 10),
        unix_name(4, true),
        close(3),
        write(4, 10),
        write(4, 10),
        unix_name(4, true),
        so_error(4),
        setsockopt(4, SockOpt::NoDelay(true)),
    ]);
    check(&steps);
}

/// Names are read when asked: a socketpair end that binds after sending is named by its
/// peer's `getpeername` and by the sender's name of what it sent before (Linux reads
/// `unix_sk(skb->sk)->addr` at `recvfrom`, not at `sendto`).
#[test]
fn a_name_bound_after_sending_is_the_sender_of_what_was_sent_before() {
    check(&[
        socketpair(false),
        write(3, 10),
        unix_bind(3, Path(0)),
        unix_name(4, true),
        unix_recvfrom(4, 100, false, false, false),
        socketpair(true),
        write(5, 10),
        unix_bind(5, Abstract(2)),
        unix_recvfrom(6, 100, false, false, false),
        unix_name(6, true),
        unix_name(5, false),
    ]);
}

/// A datagram socket sending to itself is never refused for a full queue (`other != sk` in
/// `unix_dgram_sendmsg`): only its send buffer bounds it.
#[test]
fn a_datagram_socket_sending_to_itself_is_never_full() {
    let mut steps = vec![unix_socket(true), unix_bind(3, Path(0))];
    steps.extend((0..14).map(|_| unix_sendto(3, 10, Some(Path(0)), false)));
    steps.extend([fionread(3), read(3, 64)]);
    check(&steps);
}

/// Zero-length reads: `read` of 0 bytes is 0 before the protocol looks (`sock_read_iter`),
/// even on a datagram socket with one queued (which stays); `recvfrom` of 0 bytes goes to the
/// protocol: `EINVAL` on an unconnected stream socket, `EAGAIN` on an empty connected one.
#[test]
fn zero_length_reads_answer_alike() {
    check(&[
        socketpair(true),
        write(3, 10),
        read(4, 0),
        fionread(4),
        unix_recvfrom(4, 0, false, false, false),
        fionread(4),
        unix_socket(false),
        read(5, 0),
        unix_recvfrom(5, 0, false, false, false),
        socketpair(false),
        unix_recvfrom(6, 0, false, false, false),
        write(7, 5),
        unix_recvfrom(6, 0, false, false, false),
        fionread(6),
    ]);
}

/// A reconnected datagram socket loses what was queued at it, and its old peer, connected
/// back, learns it: `ECONNRESET`, ahead of its own queued datagrams.
#[test]
fn reconnecting_a_datagram_socket_resets_its_old_peer_alike() {
    check(&[
        unix_socket(true),
        unix_bind(3, Path(0)),
        unix_socket(true),
        unix_bind(4, Path(1)),
        unix_connect(3, Path(1)),
        unix_connect(4, Path(0)),
        write(3, 10),
        write(4, 20),
        unix_socket(true),
        unix_bind(5, Path(2)),
        unix_connect(3, Path(2)),
        fionread(3),
        read(4, 64),
        read(4, 64),
        unix_name(3, true),
        unix_name(4, true),
    ]);
}

/// A stream `connect` wakes the listener (`EPOLLIN`), not the connecting socket, whose mask
/// only loses `EPOLLHUP`: an edge-triggered entry on it reports nothing new.
#[test]
fn a_stream_connect_wakes_the_listener_and_not_the_client() {
    check(&[
        unix_socket(false),
        unix_bind(3, Path(0)),
        listen(3, 5),
        epoll_create(),
        ctl(4, Ctl::Add, 3, IN | ET),
        unix_socket(false),
        ctl(4, Ctl::Add, 5, IN | OUT | RDHUP | ET),
        wait(4, 4),
        unix_connect(5, Path(0)),
        wait(4, 4),
        unix_accept(3),
        wait(4, 4),
        unix_sendto(5, 10, Some(Unnamed), false),
        unix_sendto(6, 10, None, true),
        wait(4, 4),
    ]);
}

/// Found by the random sequences (case 603): an unconnected datagram socket shut for writing
/// `write`s `EPIPE` on 6.18.44, where the model and the simulator said `ENOTCONN` (6.18 looks
/// for the default peer after allocating the skb, whose allocation sees `SHUT_WR`; a datagram
/// over `sndbuf - 32` is `EMSGSIZE` before either). Fixed in both.
#[test]
fn an_unconnected_datagram_socket_shut_for_writing_is_epipe() {
    check(&[
        unix_socket(true),
        write(3, 1),
        write(3, 213_000),
        shutdown(3, Shut::Wr),
        write(3, 1),
        write(3, 213_000),
        unix_sendto(3, 1, Some(Path(0)), false),
    ]);
}

/// Found by the random sequences (case 859): a datagram `sendto` an abstract name a stream
/// socket holds is `ECONNREFUSED` on Linux, where the model and the simulator said
/// `EPROTOTYPE`: `unix_abstract_hash` mixes the socket type into the hash and the lookup
/// compares names only, so the other type's socket is never found, and binding the same
/// abstract name from the other type succeeds. A path of the other type is `EPROTOTYPE`.
/// Fixed in both (abstract names are keyed by name and type).
#[test]
fn an_abstract_name_is_per_socket_type_and_a_path_is_not() {
    check(&[
        unix_socket(false),
        unix_bind(3, Abstract(0)),
        listen(3, 1),
        socketpair(true),
        unix_sendto(5, 10, Some(Abstract(0)), false),
        unix_socket(true),
        unix_bind(6, Abstract(0)),
        unix_sendto(5, 10, Some(Abstract(0)), false),
        unix_socket(false),
        unix_connect(7, Abstract(0)),
        unix_bind(3, Path(0)),
        unix_bind(6, Path(0)),
        unix_socket(true),
        unix_bind(8, Path(1)),
        unix_connect(7, Path(1)),
        unix_sendto(5, 10, Some(Path(0)), false),
        read(6, 64),
        close(6),
        unix_sendto(5, 10, Some(Abstract(0)), false),
        unix_name(3, false),
    ]);
}

/// Found by the random sequences (case 4587): a datagram `sendto` that fails after its skb
/// is allocated (here `ENOENT` for a path nobody bound) frees the skb, and `sock_wfree` calls
/// `unix_write_space`, which wakes the sender for `EPOLLOUT`: an edge-triggered entry reports
/// it again on Linux. The model and the simulator sent no wakeup. Fixed in both.
#[test]
fn a_datagram_send_that_fails_after_allocating_wakes_the_sender() {
    check(&[
        socketpair(true),
        epoll_create(),
        ctl(5, Ctl::Add, 3, IN | OUT | ET),
        wait(5, 8),
        unix_sendto(3, 2455, Some(Path(0)), true),
        wait(5, 2),
        close(4),
        wait(5, 2),
        write(3, 10),
        wait(5, 2),
        unix_sendto(3, 213_000, None, false),
        wait(5, 2),
    ]);
}

/// Found by the random sequences (seed 3, case 3131): a datagram of more than
/// `SKB_MAX_ALLOC + MAX_SKB_FRAGS` pages keeps the rest in its head, a page-order allocation,
/// so a 134,891-byte datagram charges 200,960 bytes (256 + 131,072 + 17 pages), and the next
/// send after one of 7,911 bytes is `EAGAIN` on Linux. The model and the simulator paged it
/// all (139,520). Fixed in both.
#[test]
fn a_large_datagram_charges_a_page_order_head_beyond_max_skb_frags() {
    check(&[
        socketpair(true),
        write(3, 7911),
        write(3, 134_891),
        write(3, 1),
        read(4, 10),
        write(3, 1),
        unix_sendto(3, 100_000, None, false),
        read(4, 200_000),
        unix_sendto(3, 100_000, None, false),
        unix_sendto(3, 90_000, None, false),
        unix_sendto(3, 1, None, false),
    ]);
}

/// A Unix socket has no `IP_TTL` nor the multicast options (`EOPNOTSUPP` both ways) but keeps `SO_BROADCAST`, which an
/// accepted socket does not inherit (`unix_stream_connect` makes it fresh, not a clone).
#[test]
fn a_unix_socket_refuses_ip_ttl_and_keeps_so_broadcast_uninherited() {
    check(&[
        unix_socket(false),
        setsockopt(3, SockOpt::Ttl(64)),
        getsockopt(3, SockOptGet::Ttl),
        setsockopt(3, SockOpt::MulticastTtl(1)),
        getsockopt(3, SockOptGet::MulticastTtl),
        setsockopt(3, SockOpt::MulticastLoop(true)),
        getsockopt(3, SockOptGet::MulticastLoop),
        setsockopt(3, SockOpt::Broadcast(true)),
        getsockopt(3, SockOptGet::Broadcast),
        unix_bind(3, Abstract(1)),
        listen(3, 1),
        unix_socket(false),
        unix_connect(4, Abstract(1)),
        unix_accept(3),
        getsockopt(5, SockOptGet::Broadcast),
        getsockopt(4, SockOptGet::Broadcast),
    ]);
}
