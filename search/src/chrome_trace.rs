//! A run as Chrome trace-event JSON (`{"traceEvents": [...]}`), the format Perfetto and
//! `chrome://tracing` open.
//!
//! One track per simulated thread (a `thread_name` metadata event each), every syscall a
//! complete (`X`) slice with its arguments and result, probes, ready reports and injected
//! faults instant (`i`) events on their thread, network deliveries flow arrows (`s` → `f`) from
//! the write that sent the bytes to the peer's first read that returned some of them, and the
//! failure a global instant event at the end.
//!
//! Timestamps: virtual time stands still across most steps (a step costs no time), and
//! Perfetto orders by `ts`, so `ts` is the event's index in the trace, in µs: one event per
//! µs, in trace order. The step and the virtual time are in each event's `args` (`step`,
//! `virtual_ms`). A syscall that blocked (`epoll_wait` parked) spans from its first attempt to
//! its completion, so waiting shows as a long slice.
//!
//! Derived from the trace alone (the hashed trace gains nothing): connections pair up by
//! matching `connect` to the address a listener `bind`s, in connect order per address, with
//! `accept4` on that listener, and bytes pair up in FIFO order. A connect whose SYN the
//! kernel delivered out of order pairs wrongly; a reset connection's lost bytes end no flow.
//! Scheduling points (`sched_point`) are left out.

use crate::explain::describe;
use crate::signature::Signature;
use serde_json::{json, Value};
use simkern_sim::runner::Outcome;
use simkern_sim::sys::PARKED;
use simkern_sim::thread::ThreadId;
use simkern_sim::trace::{Call, Event, What};
use simkern_sim::Stop;
use std::collections::{BTreeMap, VecDeque};

/// The simulated process's pid in the trace (there is one).
const PID: u32 = 1;

/// The run as Chrome trace-event JSON. Needs every event (`Config::keep_events`); without
/// them only the threads and the failure appear.
pub fn chrome_trace(outcome: &Outcome) -> Value {
    let events = outcome.all_events.as_deref().unwrap_or(&[]);
    let mut out: Vec<Value> = vec![json!({
        "ph": "M", "name": "process_name", "pid": PID, "tid": 0,
        "args": { "name": "simkern" },
    })];
    for (t, name) in outcome.thread_names.iter().enumerate() {
        out.push(json!({
            "ph": "M", "name": "thread_name", "pid": PID, "tid": t,
            "args": { "name": format!("t{t} {name}") },
        }));
    }
    // Blocked syscalls by thread: the index of the attempt that parked.
    let mut parked: BTreeMap<ThreadId, usize> = BTreeMap::new();
    let mut net = Net::default();
    for (i, e) in events.iter().enumerate() {
        let ts = i as u64;
        let args = |extra: Value| {
            let mut a = json!({ "step": e.step, "virtual_ms": e.time_ns as f64 / 1e6 });
            if let (Some(a), Value::Object(x)) = (a.as_object_mut(), extra) {
                a.extend(x);
            }
            a
        };
        let tid = e.thread.as_u32();
        match &e.what {
            What::Syscall {
                call: Call::SchedPoint,
                ..
            } => {}
            What::Syscall { result, .. } if *result == PARKED => {
                parked.insert(e.thread, i);
            }
            What::Syscall { call, result, .. } => {
                let start = parked.remove(&e.thread).unwrap_or(i) as u64;
                let (what, shown) = describe(&e.what);
                out.push(json!({
                    "ph": "X", "name": call.name(), "cat": "syscall", "pid": PID, "tid": tid,
                    "ts": start, "dur": ts + 1 - start,
                    "args": args(json!({ "call": what, "result": shown })),
                }));
                for (id, from) in net.on_syscall(i, e, *call, *result) {
                    let start = &events[from];
                    out.push(json!({
                        "ph": "s", "name": "bytes", "cat": "net", "id": id, "pid": PID,
                        "tid": start.thread.as_u32(), "ts": from as u64,
                    }));
                    out.push(json!({
                        "ph": "f", "bp": "e", "name": "bytes", "cat": "net", "id": id,
                        "pid": PID, "tid": tid, "ts": ts,
                    }));
                }
            }
            other => {
                let (what, _) = describe(other);
                let name = match other {
                    What::Probe(p) => format!("{p:?}")
                        .split([' ', '{'])
                        .next()
                        .unwrap_or("probe")
                        .to_string(),
                    What::Ready { .. } => "ready".into(),
                    _ => "fault".into(),
                };
                out.push(json!({
                    "ph": "i", "s": "t", "name": name, "cat": "event", "pid": PID, "tid": tid,
                    "ts": ts, "args": args(json!({ "what": what.trim() })),
                }));
            }
        }
    }
    // Threads still blocked when the run stopped: their slice runs to the end.
    for (thread, start) in parked {
        let e = &events[start];
        let (what, _) = describe(&e.what);
        let name = match &e.what {
            What::Syscall { call, .. } => call.name(),
            _ => "blocked",
        };
        out.push(json!({
            "ph": "X", "name": name, "cat": "syscall", "pid": PID, "tid": thread.as_u32(),
            "ts": start as u64, "dur": (events.len() - start) as u64,
            "args": { "call": what, "result": "(still blocked when the run stopped)",
                      "step": e.step, "virtual_ms": e.time_ns as f64 / 1e6 },
        }));
    }
    let message = match &outcome.stop {
        Stop::Oracle { message, .. } => message.clone(),
        Stop::Panic { message, .. } => message.clone(),
        other => Signature::of(other).to_string(),
    };
    out.push(json!({
        "ph": "i", "s": "g", "name": Signature::of(&outcome.stop).to_string(), "cat": "outcome", "pid": PID,
        "tid": events.last().map_or(0, |e| e.thread.as_u32()), "ts": events.len() as u64,
        "args": { "message": message, "steps": outcome.steps,
                  "virtual_ms": outcome.virtual_ns as f64 / 1e6 },
    }));
    json!({ "traceEvents": out, })
}

/// Connections and bytes in flight, rebuilt from the syscalls.
#[derive(Default)]
struct Net {
    /// The address each bound fd listens on.
    bound: BTreeMap<i64, i64>,
    /// Connects not yet accepted, per address: their connection ids.
    pending: BTreeMap<i64, VecDeque<usize>>,
    /// The connection each open fd is (connections are numbered by their first event).
    conn: BTreeMap<i64, usize>,
    peer: BTreeMap<usize, usize>,
    /// Writes on a connection whose bytes its peer has not all read, oldest first.
    sent: BTreeMap<usize, VecDeque<Sent>>,
    flows: u64,
}

/// One write's bytes still in flight.
struct Sent {
    /// The write's event index.
    write: usize,
    bytes: i64,
    /// A flow already ends at a read of its first bytes.
    flowed: bool,
}

impl Net {
    /// Updates the connection state; returns the flows (id, write event) this read ends.
    fn on_syscall(&mut self, i: usize, e: &Event, call: Call, result: i64) -> Vec<(u64, usize)> {
        let What::Syscall { args, .. } = &e.what else {
            return Vec::new();
        };
        let ok = result >= 0;
        let fd = args[0];
        match call {
            Call::Bind if ok => {
                self.bound.insert(fd, args[1]);
            }
            Call::Connect
                if ok || result == -(simkern_poller::sys::Errno::EINPROGRESS.0 as i64) =>
            {
                self.conn.insert(fd, i);
                self.pending.entry(args[1]).or_default().push_back(i);
            }
            Call::Accept4 if ok => {
                let client = self
                    .bound
                    .get(&fd)
                    .and_then(|addr| self.pending.get_mut(addr))
                    .and_then(|q| q.pop_front());
                self.conn.insert(result, i);
                if let Some(c) = client {
                    self.peer.insert(c, i);
                    self.peer.insert(i, c);
                }
            }
            Call::Close if ok => {
                self.conn.remove(&fd);
                self.bound.remove(&fd);
            }
            Call::Write | Call::Writev if ok && result > 0 => {
                if let Some(&c) = self.conn.get(&fd) {
                    self.sent.entry(c).or_default().push_back(Sent {
                        write: i,
                        bytes: result,
                        flowed: false,
                    });
                }
            }
            Call::Read if ok && result > 0 => {
                let mut ended = Vec::new();
                let from = self.conn.get(&fd).and_then(|c| self.peer.get(c));
                if let Some(queue) = from.and_then(|p| self.sent.get_mut(p)) {
                    let mut left = result;
                    while let Some(front) = queue.front_mut().filter(|_| left > 0) {
                        if !front.flowed {
                            self.flows += 1;
                            ended.push((self.flows, front.write));
                            front.flowed = true;
                        }
                        let taken = left.min(front.bytes);
                        left -= taken;
                        front.bytes -= taken;
                        if front.bytes == 0 {
                            queue.pop_front();
                        }
                    }
                }
                return ended;
            }
            _ => {}
        }
        Vec::new()
    }
}
