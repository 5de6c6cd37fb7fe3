//! `SimSys`'s `read`, `write`, `writev` and `close`: faults that reset or shorten, and waits on
//! a blocking file (`crate::blocking`).

use super::*;

pub(super) fn read(fd: Fd, buf: &mut [u8]) -> SysResult<usize> {
    blocking::take(
        Call::Read,
        [fd.0 as i64, buf.len() as i64, 0],
        fd,
        EPOLLIN,
        MsgFlags::EMPTY,
        len_result,
        |w, fault| {
            let now = w.now_ns;
            if fault == Some(Fault::Reset) {
                w.kernel.reset_connection(fd, now, &mut w.decisions);
            }
            w.kernel.read(fd, buf, now, &mut w.decisions)
        },
    )
}

pub(super) fn write(fd: Fd, buf: &[u8]) -> SysResult<usize> {
    let args = [fd.0 as i64, buf.len() as i64, 0];
    blocking::put(
        Call::Write,
        args,
        fd,
        buf.len(),
        MsgFlags::EMPTY,
        |w, fault, done| {
            let now = w.now_ns;
            let buf = &buf[done..];
            let len = match fault {
                Some(Fault::Reset) => {
                    w.kernel.reset_connection(fd, now, &mut w.decisions);
                    buf.len()
                }
                Some(Fault::Short) => shortened(w, fd, buf.len()),
                _ => buf.len(),
            };
            w.kernel.write(fd, &buf[..len], now, &mut w.decisions)
        },
    )
}

pub(super) fn writev(fd: Fd, bufs: &[IoSlice<'_>]) -> SysResult<usize> {
    let total: usize = bufs.iter().map(|b| b.len()).sum();
    let args = [fd.0 as i64, total as i64, bufs.len() as i64];
    // A blocking writev that queued part goes on with the rest as one buffer: on a stream
    // the bytes are the same (an eventfd takes 8 at a time, and never part of them).
    let mut rest: Vec<u8> = Vec::new();
    blocking::put(
        Call::Writev,
        args,
        fd,
        total,
        MsgFlags::EMPTY,
        |w, fault, done| {
            let now = w.now_ns;
            if done > 0 {
                if rest.is_empty() {
                    rest = bufs
                        .iter()
                        .flat_map(|b| b.iter().copied())
                        .skip(done)
                        .collect();
                } else {
                    let taken = total - done;
                    rest.drain(..rest.len() - taken);
                }
                return w.kernel.write(fd, &rest, now, &mut w.decisions);
            }
            let limit = match fault {
                Some(Fault::Reset) => {
                    w.kernel.reset_connection(fd, now, &mut w.decisions);
                    total
                }
                Some(Fault::Short) => shortened(w, fd, total),
                _ => total,
            };
            w.kernel.writev(fd, bufs, limit, now, &mut w.decisions)
        },
    )
}

pub(super) fn close(fd: Fd) -> SysResult<()> {
    syscall(
        Call::Close,
        [fd.0 as i64, 0, 0],
        |w, _| {
            let now = w.now_ns;
            w.kernel.close(fd, now, &mut w.decisions)
        },
        unit,
    )
}
