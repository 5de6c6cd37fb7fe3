#!/usr/bin/env bash
# Regenerates seeds/ for the seed-bug scenarios: for each buggy variant, the failing seed with
# the fewest steps among seeds 0..1000, saved by `simkern run --save` and given its postmortem.
# Run it when a change alters traces (the trace hash function, the kernel's choices, a
# scenario); `make test` replays every file in seeds/ and requires the recorded hash.
# Needs jq.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin simkern
bin=${CARGO_TARGET_DIR:-target}/release/simkern
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name variant faults file postmortem [jq test of the failure the file must show; default: an oracle's]
regen() {
  local name=$1 variant=$2 faults=$3 file=$4 postmortem=$5 select=${6:-'.signature.kind == "oracle"'}
  "$bin" run "$name" --variant "$variant" --faults "$faults" --seeds 0..1000 --jobs 2 \
    --report "$tmp/report.json" >/dev/null || true
  local seed
  seed=$(jq "[.failures[] | select($select)] | min_by(.steps) | .seed" \
    "$tmp/report.json")
  [ "$seed" != null ] || { echo "regen-seeds: $name $variant: no failing seed in 0..1000" >&2; exit 1; }
  rm -rf "$tmp/save"
  "$bin" run "$name" --variant "$variant" --faults "$faults" --seeds "$seed..$((seed + 1))" \
    --save "$tmp/save" >/dev/null || true
  jq --arg p "$postmortem" '.postmortem = $p' "$tmp/save/$name-$variant-$seed.json" >"seeds/$file"
  echo "seeds/$file: $name $variant seed $seed ($(jq -c .expected.outcome "seeds/$file"), $(jq .expected.steps "seeds/$file") steps)"
}

regen netpoll-cancel-dial buggy none netpoll-cancel-dial.json \
  "Bug: a dial cancelled by its deadline freed its operator slot without EPOLL_CTL_DEL and left its fd open for a later sweep; the retry took the slot at once (a plain Vec index is the epoll data), so the old fd's late EPOLLOUT was handed to the new dial's operator (cloudwego netpoll v0.6.4, FDOperator used after free). Fix: the poller's TcpStream::connect_timeout, whose cancelled IoSource deregisters, closes, then frees a generational handle. Oracle: stale_delivery (the fd epoll_wait reported the event for differs from the fd of the operator it reached)."
regen capnp-chain-teardown buggy none capnp-chain-teardown.json \
  "Bug: the client's send queue was a chain of boxed continuations, each owning the next; when the server died (RST) with more than 128 calls still queued, tearing the chain down recursed once per call (Cap'n Proto TwoPartyClient before PR #1510, stack overflow on disconnect). Fix: the poller's SendQueue, a VecDeque cleared in a loop (depth 1). Oracle: teardown (depth above TEARDOWN_DEPTH_MAX, 128)."
regen nbio-double-close buggy none nbio-double-close.json \
  "Bug: the handler closed a slow upload's pooled body reader when its deadline expired, and the framework's release closed it again; a bare free-list pool took the object back twice (nbio BodyReader closed twice, then shared by two requests). Fix: the poller's Pool, whose generation-checked release refuses the second close. Oracle: pool (an object released twice with no acquire in between)."
regen go-netpoll-wakeup buggy none go-netpoll-wakeup.json \
  "Bug: the netpoller cleared its wake-pending flag after its last look at the job queue; a submitter that queued in between saw the flag still set, skipped the eventfd write, and the loop slept a whole 1 s tick with the job queued (a lost wakeup around Go's netpoll break fd). Fix: clear the flag, then look at the queue once more before sleeping (the poller's waker protocol). Oracle: lost_wakeup (a requested wakeup unobserved while the loop slept more than 100 ms)."
regen go-netpoll-wakeup buggy-eintr default go-netpoll-wakeup-eintr.json \
  "Bug: EINTR from epoll_wait was treated as fatal, so a signal killed the netpoller (the errno misjudgement of the Go netpoll write-up). Fix: retry EINTR, as the poller's errno_policy does for every call. Oracle: errno (a retryable errno handled as Fatal). The fault plan recorded here injects EINTR into epoll_wait; with --faults none the variant passes."
regen lws-timer-after-destroy buggy none lws-timer-after-destroy.json \
  "Bug: when the client process was killed (its own simulated process; the kernel closed its sockets on exit, FIN or RST where a ping lay unread), a connection with a ping unanswered was destroyed but its pending pong-timeout timer was detached instead of cancelled; 20 ms later it fired for the dead connection (libwebsockets v4.3, a wsi freed without lws_sul_cancel). Fix: the connection owns its Timer, so destroying it cancels the timer. Oracle: timer (TimerFired for an owner after its OwnerDestroyed)."
regen mio-session-takeover buggy none mio-session-takeover.json \
  "Bug: a mio server freed a connection's slab key the moment it closed the connection; a session takeover closed the old connection mid-batch, the accept later in the same batch handed its token to a new client, and the old connection's read-closed event, still in the Events batch, reached the newcomer, which the server closed as if its peer had gone (token reuse within one poll, a classic of mio servers). Fix: keys of connections closed during a batch are freed after the batch, so a stale event finds an empty slot. Caught by the client's end-to-end check (its connection closed for a reason it never caused); the scenario runs with step_ns_max=100000 (work takes time) so events of many connections share one epoll_wait." \
  '.signature.kind == "panic" and (.signature.message | startswith("the server closed"))'
