#!/usr/bin/env bash
# The seed bugs (five from the seed documents, one in a mio server), hunted: each buggy variant searched over seeds 0..1000 with the default random
# strategy; a table of how many seeds each search took to find its bug; the same hunt as a
# nightly search, each bug shrunk and explained; then every committed seed file in seeds/
# replayed exactly.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin simkern
bin=${CARGO_TARGET_DIR:-target}/release/simkern
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# scenario variant faults
hunts=(
  "netpoll-cancel-dial buggy none"
  "capnp-chain-teardown buggy none"
  "nbio-double-close buggy none"
  "go-netpoll-wakeup buggy none"
  "go-netpoll-wakeup buggy-eintr default"
  "lws-timer-after-destroy buggy none"
  "mio-session-takeover buggy none"
)

field() { # field NAME FILE: a number from the pretty-printed JSON report
  sed -n "s/^  \"$1\": \([0-9.]*\),\{0,1\}$/\1/p" "$2"
}

status=0
echo
echo "Hunting the seed bugs: seeds 0..1000 each, random strategy, 2 jobs"
printf '%-26s %-12s %-8s %10s %7s  %s\n' scenario variant faults found-after wall-s oracle
details=""
for hunt in "${hunts[@]}"; do
  read -r name variant faults <<<"$hunt"
  out="$tmp/$name-$variant.out"
  report="$tmp/$name-$variant.json"
  # Exit status 1 is the point: a failure was found.
  "$bin" run "$name" --variant "$variant" --faults "$faults" --seeds 0..1000 --jobs 2 \
    --report "$report" >"$out" 2>&1 || true
  first=$(field first_failure_seed "$report")
  wall=$(field wall_s "$report")
  if [ -z "$first" ]; then
    printf '%-26s %-12s %-8s %10s %7.2f  %s\n' "$name" "$variant" "$faults" "-" "$wall" "NOT FOUND"
    status=1
    continue
  fi
  # The oracle's name, or for an end-to-end check the start of its panic message.
  oracle=$(sed -n 's/^failure: \(oracle \)\{0,1\}//p' "$out" | head -1 | cut -c1-60)
  printf '%-26s %-12s %-8s %10s %7.2f  %s\n' "$name" "$variant" "$faults" "$((first + 1)) seeds" "$wall" "$oracle"
  message=$(sed -n -e 's/^  oracle [a-z_]*: //p' -e 's/^  in thread [^:]*: //p' "$out" | head -1)
  replay=$(sed -n 's/^replay: //p' "$out" | head -1)
  details+="
$name ($variant), first failing seed $first:
  $message
  replay: $replay
"
done
echo "$details"

echo "The same hunt as a nightly search (random and PCT, swarm faults, 2 jobs): each distinct"
echo "failure saved, shrunk to the fewest decisions, and told as a story:"
nightly="$tmp/nightly"
# 3,584 seeds: 14 rounds of 256, one per unit (7 buggy variants x 2 strategies); fewer would
# leave the last units in the rotation unrun.
"$bin" nightly --variants buggy --seeds 3584 --strategies random,pct:3 --faults swarm --jobs 2 \
  --out "$nightly" >"$tmp/nightly.out" 2>&1 || true
sed -e 's/^/  /' -e "s|$tmp/||g" "$tmp/nightly.out"
distinct=$(grep -c '^== ' "$tmp/nightly.out" || true)
if [ "$distinct" -lt 7 ]; then
  echo "  the nightly search found $distinct distinct failures, not the seven seed bugs"
  status=1
fi
echo

echo "Replaying the committed seed files (each must reproduce its failure and trace hash):"
for f in seeds/*.json; do
  if out=$("$bin" replay "$f"); then
    echo "  ${out%%$'\n'*}"
  else
    echo "  $f DID NOT REPRODUCE"
    status=1
  fi
done
exit $status
