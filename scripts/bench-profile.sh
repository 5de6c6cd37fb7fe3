#!/usr/bin/env bash
# Machine-independent measures of the echo benchmark (tracker issue 13): instructions and
# simulated cache misses per simulated round trip, Simkern against madsim on the same echo.
# Wall-clock ratios move with the machine and its load; valgrind's counts do not, so these are
# the numbers to compare across machines and before/after a cut.
#   scripts/bench-profile.sh            # 1 and 100 clients, ROUND_TRIPS round trips each
#   ROUND_TRIPS=2000 scripts/bench-profile.sh
# --in-process: a worker re-execs /proc/self/exe, which under valgrind is valgrind itself.
# Writes target/bench-profile/ (raw valgrind output) and prints the table, then the top
# instruction consumers of Simkern at 100 clients (callgrind_annotate).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUND_TRIPS="${ROUND_TRIPS:-2000}"
SIZE=64
out=target/bench-profile
mkdir -p "$out"

command -v valgrind >/dev/null || { echo "bench-profile: valgrind is not installed" >&2; exit 1; }
cargo build --release --quiet --bin simkern
# Builds madsim-echo (run.sh builds, then runs it; one tiny run here just to build).
bench-madsim/run.sh --clients 1 --rounds 1 --size "$SIZE" >/dev/null

simkern() { # clients rounds
    echo target/release/simkern run echo --in-process --seeds 0..1 --faults none --jobs 1 \
        --param "clients=$1" --param "rounds=$2" --param "size=$SIZE"
}
madsim() { echo bench-madsim/target/release/madsim-echo --clients "$1" --rounds "$2" --size "$SIZE"; }

# Instructions (callgrind Ir) of one run of the command in "$@"; output file named by $tag.
instructions() {
    local tag=$1; shift
    valgrind --tool=callgrind --callgrind-out-file="$out/$tag.callgrind" "$@" \
        >"$out/$tag.stdout" 2>"$out/$tag.callgrind.log"
    grep -m1 '^summary:' "$out/$tag.callgrind" | awk '{print $2}'
}
# Instructions, LL read+write misses and D1 misses under cachegrind; $ll is "" or --LL=...
cache() {
    local tag=$1 ll=$2; shift 2
    valgrind --tool=cachegrind --cache-sim=yes $ll --cachegrind-out-file="$out/$tag.cachegrind" \
        "$@" >"$out/$tag.stdout" 2>"$out/$tag.cachegrind.log"
    # events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw
    grep -m1 '^summary:' "$out/$tag.cachegrind" | awk '{print $6+$9, $4+$7+$10}'
}

printf '%-8s %-7s %14s %12s %12s %12s\n' peer clients 'Ir/rt' 'D1miss/rt' 'LLmiss/rt' 'LL4M miss/rt'
declare -A ir
for clients in 1 100; do
    rounds=$(( (ROUND_TRIPS + clients - 1) / clients ))
    rts=$(( clients * rounds ))
    for peer in simkern madsim; do
        cmd=$($peer "$clients" "$rounds")
        tag="$peer-$clients"
        i=$(instructions "$tag" $cmd)
        read -r d1 ll <<<"$(cache "$tag-default" "" $cmd)"
        read -r _ ll4 <<<"$(cache "$tag-ll4m" "--LL=4194304,16,64" $cmd)"
        ir[$tag]=$i
        awk -v p="$peer" -v c="$clients" -v n="$rts" -v i="$i" -v d="$d1" -v l="$ll" -v l4="$ll4" \
            'BEGIN { printf "%-8s %-7s %14.0f %12.1f %12.2f %12.2f\n", p, c, i/n, d/n, l/n, l4/n }'
    done
    awk -v a="${ir[simkern-$clients]}" -v b="${ir[madsim-$clients]}" -v c="$clients" \
        'BEGIN { printf "instructions simkern/madsim at %s clients: %.2fx\n", c, a/b }'
done
echo "(round trips per run: about $ROUND_TRIPS; each count includes process start-up, so a"
echo " larger ROUND_TRIPS lowers the fixed share; D1/LL misses are reads + writes)"
echo
echo "Top instruction consumers, Simkern, 100 clients (inclusive of nothing: self cost):"
# `head` closes the pipe early: callgrind_annotate's SIGPIPE is not a failure of the profile.
{ callgrind_annotate "$out/simkern-100.callgrind" 2>/dev/null | sed -n '1,60p' \
    | grep -E '^ *[0-9,]+ ' | head -25; } || true

# The real path: instructions per round trip of one mio-style echo source over mio and over
# simkern::mio (benches/real_echo/mio_api.rs), user space only (valgrind sees no kernel
# work). Marginal cost: the difference between a run of 2N and a run of N round trips, so
# start-up and connection set-up cancel out.
bench=$(cargo bench --bench main --no-run 2>&1 | grep -o 'target/release/deps/main-[0-9a-f]*' | tail -1)
[ -x "$bench" ] || { echo "bench-profile: cannot find the bench binary" >&2; exit 1; }
fixed() { # framework conns round_trips -> "instructions round_trips"
    local tag="real-$1-$2-$3"
    SIMKERN_BENCH_FIXED="$1:$2:$3" valgrind --tool=callgrind --callgrind-out-file="$out/$tag.callgrind" \
        "$bench" >"$out/$tag.stdout" 2>"$out/$tag.callgrind.log"
    echo "$(grep -m1 '^summary:' "$out/$tag.callgrind" | awk '{print $2}') $(awk '{print $3}' "$out/$tag.stdout")"
}
echo
printf '%-12s %-6s %14s\n' framework conns 'Ir/rt (marginal)'
N=$(( ROUND_TRIPS * 2 ))
declare -A real
for conns in 1 64; do
    for fw in mio simkern-mio; do
        read -r i1 r1 <<<"$(fixed "$fw" "$conns" "$N")"
        read -r i2 r2 <<<"$(fixed "$fw" "$conns" $(( N * 2 )))"
        real[$fw-$conns]=$(awk -v a="$i1" -v b="$i2" -v x="$r1" -v y="$r2" 'BEGIN { printf "%.1f", (b-a)/(y-x) }')
        printf '%-12s %-6s %14s\n' "$fw" "$conns" "${real[$fw-$conns]}"
    done
    awk -v a="${real[simkern-mio-$conns]}" -v b="${real[mio-$conns]}" -v c="$conns" \
        'BEGIN { printf "instructions simkern::mio/mio at %s connections: %.3fx\n", c, a/b }'
done
