#!/usr/bin/env bash
# Do two builds of `simkern` run every built-in scenario the same? For a change meant to keep
# traces bit-identical (a speed cut): runs each scenario x variant x strategy (random, pct:3)
# x fault profile (none, default, swarm) over seeds 0..8 with both binaries and compares the
# reports' run_hash (every seed's outcome and trace hash, folded). Exit 0 when all match.
#   scripts/trace-identity.sh OLD/simkern NEW/simkern
# e.g. build the old tree with `git worktree add /tmp/old REV && cargo build --release
# --bin simkern --manifest-path /tmp/old/Cargo.toml`.
set -euo pipefail
[[ $# -eq 2 && -x $1 && -x $2 ]] || { echo "usage: $0 OLD_SIMKERN NEW_SIMKERN" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

hashes() { # binary -> "scenario variant strategy faults run_hash" lines
    local bin=$1 list
    list=$("$bin" list)
    for sc in $(grep -E '^[a-z]' <<<"$list" | awk '{print $1}'); do
        local vars
        vars=$(awk -v s="$sc" '$1 == s { f = 1; next }
            f && /variants:/ { sub(/.*variants: /, ""); sub(/ \(default.*/, ""); gsub(/,/, ""); print; exit }' <<<"$list")
        for v in $vars; do
            for st in random pct:3; do
                for f in none default swarm; do
                    rm -f "$tmp/r.json"
                    "$bin" run "$sc" --variant "$v" --strategy "$st" --faults "$f" --seeds 0..8 \
                        --jobs 2 --report "$tmp/r.json" >/dev/null 2>&1 || true
                    echo "$sc $v $st $f $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['run_hash'])" "$tmp/r.json" 2>/dev/null || echo no-report)"
                done
            done
        done
    done
}
hashes "$1" >"$tmp/old"
hashes "$2" >"$tmp/new"
runs=$(wc -l <"$tmp/new")
if diff "$tmp/old" "$tmp/new" >"$tmp/diff"; then
    echo "trace-identity: $runs runs, every run_hash the same"
else
    echo "trace-identity: runs that differ (< old, > new):"
    cat "$tmp/diff"
    exit 1
fi
