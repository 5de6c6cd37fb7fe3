#!/usr/bin/env bash
# Runs the poller's echo server on real epoll and the built-in echo client against it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/examples
out=$(mktemp)
"$bin/echo-server" 127.0.0.1:0 >"$out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
  addr=$(sed -n 's/^listening on //p' "$out")
  [ -n "$addr" ] && break
  sleep 0.05
done
[ -n "${addr:-}" ] || { echo "demo: echo-server did not start:"; cat "$out"; exit 1; }
echo "echo-server (poller on real epoll) listening on $addr"
for conns in 1 64 1000; do
  echo "--- echo-client: $conns connection(s), 64-byte messages"
  "$bin/echo-client" "$addr" --conns "$conns" --msgs $((64000 / conns)) --size 64
done
