#!/usr/bin/env python3
"""Echo clients for the real-kernel tests, written on Python's own sockets (not on the poller).

Two modes, each printing one JSON summary line on stdout and exiting 0, or describing the
first failure on stderr and exiting 1:

  echo  --port P --conns N [--size-min A] [--size-max B] [--seed S]
        Opens N connections at once (all N are open before any byte is sent), sends each a
        message of a size drawn from [A, B] with seeded pseudo-random content, half-closes
        (SHUT_WR) and reads until EOF. Every echoed byte is compared with what was sent, and
        the stream must end right after the last one (the server closes on EOF).

  reset --port P --conns N [--seed S]
        Opens N connections and kills each abruptly with SO_LINGER {1, 0} + close (an RST),
        in three flavours by index modulo 3:
          0: right after connecting, before any byte (the server may not have accepted yet);
          1: after sending the first part of a message (the server is mid-message);
          2: after sending until the pipes are full in both directions without reading, so
             the server is blocked mid-write on a full send buffer.

Python stdlib only. RLIMIT_NOFILE's soft limit is raised to the hard limit when N needs it.
"""

import argparse
import json
import random
import resource
import selectors
import socket
import struct
import sys
import time

DEADLINE_S = 40.0  # whole-run bound; the Rust side waits a little longer before killing us
CHUNK = 64 * 1024
FULL_PIPE_MAX = 8 * 1024 * 1024  # flavour 2 stops sending here even if nothing blocked


def fail(msg):
    print(f"echo_client: {msg}", file=sys.stderr)
    sys.exit(1)


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            fail(f"RLIMIT_NOFILE hard limit {hard} is below the {need} fds this run needs")
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def connect_all(port, n, bufsize=None):
    socks = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if bufsize is not None:
            # Before connect, so the window is negotiated small and autotuning stays off.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, bufsize)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, bufsize)
        s.settimeout(10.0)
        try:
            s.connect(("127.0.0.1", port))
        except OSError as e:
            fail(f"connect #{i} of {n} to 127.0.0.1:{port} failed: {e!r}")
        s.setblocking(False)
        socks.append(s)
    return socks


def run_echo(args):
    raise_nofile(args.conns + 64)
    rng = random.Random(args.seed)
    payloads = []
    for _ in range(args.conns):
        size = rng.randint(args.size_min, args.size_max)
        payloads.append(rng.randbytes(size))
    socks = connect_all(args.port, args.conns)
    sel = selectors.DefaultSelector()
    sent = [0] * args.conns
    got = [0] * args.conns
    for i, s in enumerate(socks):
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, i)
    open_count = args.conns
    start = time.monotonic()
    while open_count:
        if time.monotonic() - start > DEADLINE_S:
            stuck = [
                f"#{i}: sent {sent[i]}/{len(payloads[i])} got {got[i]}"
                for i in range(args.conns)
                if socks[i] is not None
            ]
            fail(f"{open_count} connections unfinished after {DEADLINE_S}s: " + "; ".join(stuck[:20]))
        for key, mask in sel.select(timeout=1.0):
            i = key.data
            s = socks[i]
            payload = payloads[i]
            if mask & selectors.EVENT_WRITE and sent[i] < len(payload):
                try:
                    sent[i] += s.send(payload[sent[i] : sent[i] + CHUNK])
                except BlockingIOError:
                    pass
                except OSError as e:
                    fail(f"conn #{i}: send failed after {sent[i]} bytes: {e!r}")
                if sent[i] == len(payload):
                    s.shutdown(socket.SHUT_WR)
                    sel.modify(s, selectors.EVENT_READ, i)
            if mask & selectors.EVENT_READ:
                try:
                    data = s.recv(CHUNK)
                except BlockingIOError:
                    continue
                except OSError as e:
                    fail(f"conn #{i}: recv failed after {got[i]} of {len(payload)} bytes: {e!r}")
                if not data:
                    if got[i] != len(payload):
                        fail(f"conn #{i}: EOF after {got[i]} of {len(payload)} bytes")
                    sel.unregister(s)
                    s.close()
                    socks[i] = None
                    open_count -= 1
                    continue
                want = payload[got[i] : got[i] + len(data)]
                if data != want:
                    at = next(k for k in range(len(data)) if k >= len(want) or data[k] != want[k])
                    fail(
                        f"conn #{i}: byte {got[i] + at} of {len(payload)} differs: "
                        f"got {data[at:at + 16].hex()} want {want[at:at + 16].hex()}"
                    )
                got[i] += len(data)
    total = sum(len(p) for p in payloads)
    print(json.dumps({"mode": "echo", "conns": args.conns, "bytes": total, "verified": total}))


def send_until_full(s, payload):
    total = 0
    while total < FULL_PIPE_MAX:
        try:
            n = s.send(payload)
        except BlockingIOError:
            return total, True
        total += n
    return total, False


def run_reset(args):
    raise_nofile(args.conns + 64)
    rng = random.Random(args.seed)
    # Small client buffers: the pipes fill after a few hundred KiB instead of megabytes.
    socks = connect_all(args.port, args.conns, bufsize=16 * 1024)
    message = rng.randbytes(4096)
    flavours = [0, 0, 0]
    full = 0
    for i, s in enumerate(socks):
        flavour = i % 3
        flavours[flavour] += 1
        if flavour == 1:
            s.setblocking(True)
            s.sendall(message[: rng.randint(1, len(message) - 1)])
            s.setblocking(False)
        elif flavour == 2:
            _, blocked = send_until_full(s, message)
            full += blocked
    # Give the server a moment to read what arrived and to block writing it back.
    time.sleep(0.05)
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    print(
        json.dumps(
            {
                "mode": "reset",
                "conns": args.conns,
                "before_send": flavours[0],
                "mid_message": flavours[1],
                "mid_write": flavours[2],
                "pipes_filled": full,
            }
        )
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["echo", "reset"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--conns", type=int, required=True)
    p.add_argument("--size-min", type=int, default=1)
    p.add_argument("--size-max", type=int, default=32 * 1024)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    if args.mode == "echo":
        run_echo(args)
    else:
        run_reset(args)


if __name__ == "__main__":
    main()
