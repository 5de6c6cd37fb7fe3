#!/usr/bin/env bash
# Seeds to the first failure, per seed bug and strategy: for each of STARTS starting points
# (start = 0, 10000, 20000, ...), `simkern run` over start..start+W with W growing (256, 2048,
# then MAX), and `first_failure_seed - start` from its report. Growing ranges from the same
# start give exactly the seed an unbounded run would find first, for every strategy: a
# campaign's chunks are aligned on the range's start and a seed depends only on the seeds
# before it. Prints a table of the median and the maximum over the starting points
# (">MAX" when a start found nothing within MAX seeds).
#
# Usage: scripts/measure-strategies.sh [STARTS [MAX]]   (defaults: 20, 8192)
# Env: SIMKERN (the binary; default: cargo build --release), STRATEGIES, JOBS (default 1),
# KERNEL (space-separated `--kernel` settings for every run, e.g. "step_ns_max=0"), BUGS
# (space-separated scenario|variant|faults entries instead of the list below).
set -euo pipefail

STARTS=${1:-20}
MAX=${2:-8192}
JOBS=${JOBS:-1}
STRATEGIES=${STRATEGIES:-"random pct:3 dfs:2 guided"}
cd "$(dirname "$0")/.."
if [[ -z "${SIMKERN:-}" ]]; then
    cargo build --release --quiet --bin simkern
    SIMKERN="${CARGO_TARGET_DIR:-target}/release/simkern"
fi

# scenario|variant|faults
DEFAULT_BUGS=(
    "netpoll-cancel-dial|buggy|none"
    "capnp-chain-teardown|buggy|none"
    "nbio-double-close|buggy|none"
    "go-netpoll-wakeup|buggy|none"
    "go-netpoll-wakeup|buggy-eintr|default"
    "lws-timer-after-destroy|buggy|none"
    "mio-session-takeover|buggy|none"
)
if [[ -n "${BUGS:-}" ]]; then read -ra BUGS <<<"$BUGS"; else BUGS=("${DEFAULT_BUGS[@]}"); fi
KERNEL_ARGS=()
for k in ${KERNEL:-}; do KERNEL_ARGS+=(--kernel "$k"); done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Seeds from `start` to its first failure (0 = the start itself failed), or ">MAX".
first_failure() {
    local scenario=$1 variant=$2 faults=$3 strategy=$4 start=$5
    local w
    for w in 256 2048 "$MAX"; do
        ((w > MAX)) && w=$MAX
        "$SIMKERN" run "$scenario" --variant "$variant" --faults "$faults" \
            --strategy "$strategy" --seeds "$start..$((start + w))" --jobs "$JOBS" \
            "${KERNEL_ARGS[@]}" --report "$tmp/r.json" >/dev/null 2>&1 || true
        local f
        f=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); f=r["first_failure_seed"]; print("" if f is None else f - int(sys.argv[2]))' "$tmp/r.json" "$start")
        if [[ -n "$f" ]]; then
            echo "$f"
            return
        fi
        ((w == MAX)) && break
    done
    echo ">$MAX"
}

printf '%-44s %-8s %8s %8s %s\n' "bug" "strategy" "median" "max" "(seeds to first failure over $STARTS starts)"
for bug in "${BUGS[@]}"; do
    IFS='|' read -r scenario variant faults <<<"$bug"
    for strategy in $STRATEGIES; do
        results=()
        for ((i = 0; i < STARTS; i++)); do
            results+=("$(first_failure "$scenario" "$variant" "$faults" "$strategy" $((i * 10000)))")
        done
        python3 - "$scenario $variant faults=$faults" "$strategy" "$MAX" "${results[@]}" <<'EOF'
import sys
name, strategy, cap, *rs = sys.argv[1:]
# A start that found nothing counts as above every found one (for the median and the max).
vals = sorted(int(r[1:]) + 1 if r.startswith(">") else int(r) for r in rs)
fmt = lambda v: f">{cap}" if v > int(cap) else str(v)
n = len(vals)
median = vals[n // 2] if n % 2 else (vals[n // 2 - 1] + vals[n // 2]) / 2
med = fmt(median) if isinstance(median, int) else (f">{cap}" if median > int(cap) else f"{median:g}")
missed = sum(r.startswith(">") for r in rs)
tail = f"  ({missed} of {n} starts found nothing)" if missed else ""
print(f"{name:<44} {strategy:<8} {med:>8} {fmt(vals[-1]):>8}{tail}")
EOF
    done
done
