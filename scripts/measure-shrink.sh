#!/usr/bin/env bash
# Shrinks every seed file in seeds/ and prints, per seed bug, steps and decisions before and
# after, the replays shrinking spent, and the rows of the explained story. Every shrunk file
# is replayed and must reproduce exactly. Usage: scripts/measure-shrink.sh (from the repo root).
set -euo pipefail
cargo build --release --bin simkern >/dev/null 2>&1
bin=target/release/simkern
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '| seed file | steps and decisions, before -> after | runs | story rows |\n| --- | --- | --- | --- |\n'
for f in seeds/*.json; do
  name=$(basename "$f" .json)
  log=$("$bin" shrink "$f" --out "$out/$name.json")
  sizes=$(sed -n 's/^  steps //p' <<<"$log")
  runs=$(sed -n 's/.* in \([0-9]*\) runs:$/\1/p' <<<"$log")
  "$bin" replay "$out/$name.json" >/dev/null || { echo "$name: the shrunk file does not replay" >&2; exit 1; }
  rows=$("$bin" replay "$out/$name.json" --explain | sed -n 's/.*(\([0-9]*\) rows of.*/\1/p' | head -1)
  printf '| %s | steps %s | %s | %s |\n' "$name" "$sizes" "$runs" "$rows"
done
