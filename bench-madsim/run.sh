#!/usr/bin/env bash
# Builds madsim-echo in release with `--cfg madsim` into bench-madsim/target (whatever target
# dir the caller uses), then runs it with the given arguments, e.g.
#   bench-madsim/run.sh --clients 100 --rounds 100 --size 64
# A fresh build is a no-op; cargo's messages go to stderr, the JSON line to stdout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The caller's flags would rebuild madsim without `--cfg madsim` (or the workspace with it):
# this crate's build is fixed here and nowhere else.
unset CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_BUILD_TARGET_DIR
export CARGO_TARGET_DIR="$here/target"
RUSTFLAGS="--cfg madsim" cargo build --release --quiet --manifest-path "$here/Cargo.toml"
exec "$here/target/release/madsim-echo" "$@"
