#!/usr/bin/env bash
# Mutation testing: cargo-mutants plants one bug at a time in the poller (and then the
# simulated kernel) and asks whether some test fails. A framework that finds races in other
# people's event loops should first catch the bugs planted in its own.
#
#   scripts/mutants.sh [poller|kernel|all] [cargo-mutants args...]
#
#   poller  every mutant of poller/src, judged by the poller's unit tests and the `real` and
#           `sim` integration binaries (default)
#   kernel  every mutant of sim/src/kernel, judged by the sim and scenarios crates' unit tests and the
#           `conformance` (model vs sim vs Linux) and `sim` binaries
#
# Environment: MUTANTS_JOBS (default 1: one build at a time fits 2 cores), MUTANTS_SHARD
# (`k/n`, for a CI matrix: shard k of n of the mutant list), MUTANTS_TIMEOUT (seconds per
# test run, default 600; a hang is a timeout, not a pass). Extra arguments go to cargo-mutants
# as they are (`--file poller/src/waker.rs`, `--in-place`, `--list`, `--baseline skip`).
#
# The verdict leaves out the tests that compare a trace against a committed seed file
# (`seeds::every_seed_file_reproduces...`, `seeds::seed_files_of_older_formats...`, the
# `shrink::` tests, which start from those files):
# a mutant that changes the syscall sequence but behaves correctly changes every recorded
# hash and schedule, so those tests would "catch" it for the wrong reason. Determinism tests
# that run a seed twice and compare the two stay in: a mutant that makes a run
# nondeterministic is a real bug. `user_crate::` is left out for cost (it builds a second
# cargo project per mutant). Equivalent mutants are excluded in .cargo/mutants.toml, each with
# its reason. Results: target/mutants-out/<set>/mutants.out/, then a summary per set.
set -euo pipefail
cd "$(dirname "$0")/.."

set_name=${1:-poller}
case "$set_name" in
  poller | kernel | all) shift || true ;;
  -*) set_name=poller ;;
  *) echo "usage: $0 [poller|kernel|all] [cargo-mutants args...]" >&2; exit 2 ;;
esac

if ! cargo mutants --version >/dev/null 2>&1; then
  echo "cargo-mutants is not installed; installing it (cargo install --locked cargo-mutants)"
  cargo install --locked cargo-mutants
fi

jobs=${MUTANTS_JOBS:-1}
timeout=${MUTANTS_TIMEOUT:-600}
shard=()
if [[ -n "${MUTANTS_SHARD:-}" ]]; then
  shard=(--shard "$MUTANTS_SHARD")
fi

# Test-binary arguments (after cargo test's own `--`).
skips=(
  --skip seeds::every_seed_file_reproduces_its_recorded_failure_and_trace_hash
  --skip seeds::seed_files_of_older_formats_replay_exactly
  --skip shrink::
  --skip user_crate::
)

# The baseline: the verdict's tests on the unmutated tree must pass, or every mutant would be
# "caught". Run here, not by cargo-mutants: its own baseline (27.1.0) tests only the mutated
# package, ignoring --test-package, so it fails on `--test real` (a test of the root package)
# before any mutant runs. Skipped with --list, or when the caller passes its own --baseline.
#   baseline NAME PACKAGES... -- TEST-ARGS...
baseline() {
  local name=$1
  shift
  local packages=()
  while [[ $1 != -- ]]; do packages+=(-p "$1"); shift; done
  shift
  echo "mutants ($name): baseline, the verdict's tests on the unmutated tree"
  if ! cargo test --profile mutants "${packages[@]}" "$@"; then
    echo "mutants ($name): the baseline fails on the unmutated tree; no mutant can be judged" >&2
    return 4
  fi
}

run_set() {
  local name=$1
  shift
  local out=target/mutants-out/$name
  mkdir -p "$out"
  local status=0
  local baseline_arg=()
  if [[ " $* " != *" --baseline"* ]]; then
    baseline_arg=(--baseline skip)
  fi
  # --in-place (mutate this tree, reuse its target/) runs one mutant at a time by definition.
  local jobs_arg=(--jobs "$jobs")
  if [[ " $* " == *" --in-place "* ]]; then
    jobs_arg=()
  fi
  cargo mutants --profile mutants "${jobs_arg[@]}" --timeout "$timeout" \
    --output "$out" "${shard[@]}" "${baseline_arg[@]}" "$@" || status=$?
  # cargo-mutants exits 2 when mutants were missed, 3 on timeouts, 4 when the baseline
  # failed; anything else non-zero is its own error.
  case $status in
    0 | 2 | 3) ;;
    *) echo "cargo-mutants exited $status" >&2; return "$status" ;;
  esac
  if [[ " $* " != *" --list "* && -f "$out/mutants.out/outcomes.json" ]]; then
    python3 scripts/mutants-summary.py "$out/mutants.out" "$name"
  fi
}

wants_baseline() {
  [[ " $* " != *" --list "* && " $* " != *" --baseline"* ]]
}

run_poller() {
  local tests=(--lib --test real --test sim -- "${skips[@]}")
  if wants_baseline "$@"; then
    baseline poller simkern-poller simkern -- "${tests[@]}"
  fi
  run_set poller --package simkern-poller \
    --test-package simkern-poller,simkern \
    "$@" -- "${tests[@]}"
}

run_kernel() {
  local tests=(--lib --test conformance --test sim -- "${skips[@]}")
  if wants_baseline "$@"; then
    baseline kernel simkern-sim simkern-scenarios simkern -- "${tests[@]}"
  fi
  run_set kernel --package simkern-sim --file 'sim/src/kernel/**/*.rs' \
    --test-package simkern-sim,simkern-scenarios,simkern \
    "$@" -- "${tests[@]}"
}

case "$set_name" in
  poller) run_poller "$@" ;;
  kernel) run_kernel "$@" ;;
  all) run_poller "$@"; run_kernel "$@" ;;
esac
