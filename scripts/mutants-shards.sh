#!/usr/bin/env bash
# The poller set's shards, one after another, on this checkout's tree, each shard's results
# kept and a finished shard never run again: a whole run on one tree, across sessions or
# machines, in pieces that each finish.
#
#   scripts/mutants-shards.sh OUT N [K...]     # shards K of N (default: all of 0..N-1)
#   scripts/mutants-shards.sh target/mutants-tree 8 1 5 2 6 3 7
#
# Round-robin sharding puts mutant i in shard i mod N, so shards k and k+4 of 8 are shard k
# of 4 (checked with --list at ba64af3): finer shards can finish what coarser ones began, on
# the same tree. OUT/<rev>/shardK-ofN-out holds each shard's mutants.out, .done marks it
# finished, and the last line prints every finished shard of this tree and their total.
# Run it in a worktree checked out at the tree to measure (`git worktree add --detach DIR
# REV`): `--in-place` mutates the checkout. MUTANTS_TIMEOUT defaults to 60 s here.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 OUT N [K...]" >&2; exit 2; }
out=$1 n=$2
shift 2
shards=("$@")
[[ ${#shards[@]} -gt 0 ]] || mapfile -t shards < <(seq 0 $((n - 1)))
if ! git diff --quiet; then
    echo "mutants-shards: the checkout has changes; a run must be of a committed tree" >&2
    exit 2
fi
rev=$(git rev-parse --short HEAD)
res=$out/$rev
mkdir -p "$res"
for k in "${shards[@]}"; do
    [[ $k =~ ^[0-9]+$ && $k -lt $n ]] || { echo "mutants-shards: no shard $k of $n" >&2; exit 2; }
    tag=shard$k-of$n
    if [[ -e $res/$tag.done ]]; then
        echo "mutants-shards: $tag of $rev already done"
        continue
    fi
    rm -rf target/mutants-out/poller
    echo "mutants-shards: $tag of $rev"
    status=0
    MUTANTS_SHARD=$k/$n MUTANTS_TIMEOUT=${MUTANTS_TIMEOUT:-60} scripts/mutants.sh poller \
        --in-place --baseline skip --sharding round-robin | tee "$res/$tag.log" || status=$?
    # A shard that found missed mutants exits nonzero and is still finished; an interrupted
    # one (no outcomes) is not.
    if [[ -f target/mutants-out/poller/mutants.out/outcomes.json ]]; then
        rm -rf "$res/$tag-out"
        cp -r target/mutants-out/poller/mutants.out "$res/$tag-out"
        date -u +%FT%TZ >"$res/$tag.done"
    else
        echo "mutants-shards: $tag stopped (status $status) before writing outcomes" >&2
        exit 1
    fi
done
python3 scripts/mutants-summary.py --tree "$res"
