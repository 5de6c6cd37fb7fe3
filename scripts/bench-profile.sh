#!/usr/bin/env bash
# Machine-independent measures of the echo benchmark (tracker issue 13): instructions and
# simulated cache misses (instruction cache too) per simulated round trip, Simkern against
# madsim on the same echo, as marginal costs (start-up cancels).
# Wall-clock ratios move with the machine and its load; valgrind's counts do not, so these are
# the numbers to compare across machines and before/after a cut.
#   scripts/bench-profile.sh            # 1 and 100 clients, ROUND_TRIPS round trips each
#   ROUND_TRIPS=2000 scripts/bench-profile.sh
#   SIMKERN_BIN=/tmp/other/release/simkern scripts/bench-profile.sh   # another build of it
#   scripts/bench-profile.sh sim        # the simulator table only (no real-path table)
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
SIMKERN_BIN="${SIMKERN_BIN:-target/release/simkern}"
[[ $SIMKERN_BIN != target/release/simkern ]] || cargo build --release --quiet --bin simkern
# Builds madsim-echo (run.sh builds, then runs it; one tiny run here just to build).
bench-madsim/run.sh --clients 1 --rounds 1 --size "$SIZE" >/dev/null
# The bench binary: turmoil's echo (SIMKERN_BENCH_TURMOIL) and the real-path runs below.
bench=$(cargo bench --bench main --no-run 2>&1 | grep -o 'target/release/deps/main-[0-9a-f]*' | tail -1)
[ -x "$bench" ] || { echo "bench-profile: cannot find the bench binary" >&2; exit 1; }

simkern() { # clients rounds
    echo "$SIMKERN_BIN" run echo --in-process --seeds 0..1 --faults none --jobs 1 \
        --param "clients=$1" --param "rounds=$2" --param "size=$SIZE"
}
madsim() { echo bench-madsim/target/release/madsim-echo --clients "$1" --rounds "$2" --size "$SIZE"; }

# Cachegrind's counts of one run of the command in "$@" ($ll is "" or --LL=...), as
# "Ir I1miss D1miss LLmiss" (misses are reads + writes; LL is instruction + data).
cache() {
    local tag=$1 ll=$2; shift 2
    valgrind --tool=cachegrind --cache-sim=yes $ll --cachegrind-out-file="$out/$tag.cachegrind" \
        "$@" >"$out/$tag.stdout" 2>"$out/$tag.cachegrind.log"
    # events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw
    grep -m1 '^summary:' "$out/$tag.cachegrind" | awk '{print $2, $3, $6+$9, $4+$7+$10}'
}
# Per round trip, marginal: counts of a run of 2R round trips minus a run of R, over R, so
# process start-up (the dynamic loader alone misses the LL ~17,000 times) and connection
# set-up cancel. Whole-run averages put start-up's misses in every round trip: at 1 client
# they read 8.5 LL misses per round trip where the steady state has none.
marginal() { # peer clients rounds ll-tag ll-flag -> "Ir I1 D1 LL" per round trip
    local peer=$1 clients=$2 rounds=$3 lltag=$4 ll=$5
    read -r a1 b1 c1 d1 <<<"$(cache "$peer-$clients-$lltag-r1" "$ll" $($peer "$clients" "$rounds"))"
    read -r a2 b2 c2 d2 <<<"$(cache "$peer-$clients-$lltag-r2" "$ll" $($peer "$clients" $((rounds * 2))))"
    awk -v n=$((clients * rounds)) -v a="$((a2 - a1))" -v b="$((b2 - b1))" -v c="$((c2 - c1))" \
        -v d="$((d2 - d1))" 'function z(x) { return (x < 0.005 && x > -0.005) ? 0 : x }
            BEGIN { printf "%.0f %.1f %.1f %.2f", a/n, z(b/n), z(c/n), z(d/n) }'
}

printf '%-8s %-7s %10s %11s %11s %11s %13s\n' peer clients 'Ir/rt' 'I1miss/rt' 'D1miss/rt' \
    'LLmiss/rt' 'LL4M miss/rt'
declare -A ir i1
for clients in 1 100; do
    rounds=$(( (ROUND_TRIPS + clients - 1) / clients ))
    for peer in simkern madsim; do
        read -r i m1 d l <<<"$(marginal "$peer" "$clients" "$rounds" default "")"
        read -r _ _ _ l4 <<<"$(marginal "$peer" "$clients" "$rounds" ll4m "--LL=4194304,16,64")"
        ir[$peer-$clients]=$i
        i1[$peer-$clients]=$m1
        printf '%-8s %-7s %10s %11s %11s %11s %13s\n' "$peer" "$clients" "$i" "$m1" "$d" "$l" "$l4"
    done
    awk -v a="${ir[simkern-$clients]}" -v b="${ir[madsim-$clients]}" -v c="$clients" \
        -v x="${i1[simkern-$clients]}" -v y="${i1[madsim-$clients]}" \
        'BEGIN { printf "simkern/madsim at %s clients: instructions %.2fx, I1 misses %.1fx\n", c, a/b, x/(y > 0 ? y : 0.1) }'
done
# turmoil at one client, instructions only (no cache model: it runs ~40x Simkern's count,
# polling every host each 1 ms simulated tick). R is a quarter of the others' to keep it short.
turmoil_ir() { # rounds -> instructions of one run
    SIMKERN_BENCH_TURMOIL="1:$1" valgrind --tool=cachegrind --cache-sim=no \
        --cachegrind-out-file="$out/turmoil-1-$1.cachegrind" "$bench" >/dev/null 2>&1
    grep -m1 '^summary:' "$out/turmoil-1-$1.cachegrind" | awk '{print $2}'
}
tr=$(( (ROUND_TRIPS + 3) / 4 ))
t1=$(turmoil_ir "$tr")
t2=$(turmoil_ir $((tr * 2)))
awk -v a="$t1" -v b="$t2" -v n="$tr" -v s="${ir[simkern-1]}" \
    'BEGIN { t = (b - a) / n; printf "%-8s %-7s %10.0f\nturmoil/simkern at 1 client: instructions %.1fx (issue 13 goal: 100x)\n", "turmoil", 1, t, t / s }'
echo "(marginal per round trip: a run of 2R round trips minus a run of R, R about $ROUND_TRIPS;"
echo " I1/D1 32 KiB 8-way, LL the host's or 4 MiB 16-way, as cachegrind models them)"
echo
# One callgrind run for the function table below.
valgrind --tool=callgrind --callgrind-out-file="$out/simkern-100.callgrind" $(simkern 100 $(( (ROUND_TRIPS + 99) / 100 ))) \
    >"$out/simkern-100.stdout" 2>"$out/simkern-100.callgrind.log"
echo "Top instruction consumers, Simkern, 100 clients (inclusive of nothing: self cost):"
# `head` closes the pipe early: callgrind_annotate's SIGPIPE is not a failure of the profile.
{ callgrind_annotate "$out/simkern-100.callgrind" 2>/dev/null | sed -n '1,60p' \
    | grep -E '^ *[0-9,]+ ' | head -25; } || true

[[ ${1:-} != sim ]] || exit 0

# The real path: instructions per round trip of one mio-style echo source over mio and over
# simkern::mio (benches/real_echo/mio_api.rs), user space only (valgrind sees no kernel
# work). Marginal cost: the difference between a run of 2N and a run of N round trips, so
# start-up and connection set-up cancel out.
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
