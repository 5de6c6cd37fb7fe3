# Simkern: the commands a newcomer needs. `make demo` runs the main job, `make test` the tests.
CARGO ?= cargo

.PHONY: demo demo-echo test lint bench bench-profile nightly nightly-buggy

# The main job: hunt the five seed bugs (netpoll, Cap'n Proto, nbio, Go netpoll, libwebsockets)
# on the simulated kernel, print how many seeds each took and the oracle's verdict, then replay
# every seed file in seeds/ exactly.
demo:
	scripts/demo.sh

# The poller's echo server on real epoll against the built-in client, then the same echo code
# on the simulated kernel over 1,000 seeds with faults.
demo-echo:
	$(CARGO) build --release --examples --bin simkern
	scripts/demo-echo.sh
	target/release/simkern run echo --seeds 0..1000 --faults default --jobs 2

# Every test: unit, real-kernel integration, simulator and seed replays, and the user crate in
# examples/user-crate built and driven through its own `sim` binary (tests/sim/user_crate.rs).
test:
	$(CARGO) test --workspace --release
	@# The host kernel and its answers where Linux versions differ (the suite passed with them).
	@$(CARGO) test -q --release --test conformance host:: -- --nocapture 2>/dev/null \
		| grep -E '^(host kernel|  [a-z-]+: )' || true

# The user crate and the tokio example in examples/ are packages of their own (not workspace
# members), as is mio-shim: linted beside it.
USER_CRATE := --manifest-path examples/user-crate/Cargo.toml
TOKIO_CRATE := --manifest-path examples/tokio-on-simkern/Cargo.toml
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt $(USER_CRATE) -- --check
	$(CARGO) fmt $(TOKIO_CRATE) -- --check
	$(CARGO) fmt --manifest-path mio-shim/Cargo.toml -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy $(USER_CRATE) --target-dir target/user-crate --all-targets -- -D warnings
	$(CARGO) clippy $(TOKIO_CRATE) --target-dir target/tmp/tokio-on-simkern --all-targets -- -D warnings

# Benchmarks print ratios against the peer measured in the same run and write
# target/simkern-bench.json.
bench:
	$(CARGO) bench --bench main

# The same echo under valgrind: instructions and simulated cache misses (default caches and a
# 4 MiB last-level cache) per simulated round trip, Simkern and madsim at 1 and 100 clients,
# and Simkern's top instruction consumers. Counts, unlike wall time, hold on any machine.
# ROUND_TRIPS=N sets the run length (default 2000: a few minutes under valgrind).
bench-profile:
	scripts/bench-profile.sh

# Differential conformance, long form: 20,000 random sequences of fd, socket, pipe, eventfd
# and epoll calls on the model, the simulated kernel and real Linux (127.0.0.1 only), plus the
# named regressions; prints the count of ops checked per kind on each. CONFORMANCE_CASES and
# CONFORMANCE_SEED pick other sequences (a failure prints the one-case replay command).
CONFORMANCE_CASES ?= 20000
.PHONY: conformance
conformance:
	SIMKERN_CONFORMANCE_CASES=$(CONFORMANCE_CASES) SIMKERN_CONFORMANCE_STATS=1 \
	$(if $(CONFORMANCE_SEED),SIMKERN_CONFORMANCE_SEED=$(CONFORMANCE_SEED)) \
	$(CARGO) test --release --test conformance -- --nocapture

# The long search: every scenario's fixed variants under every strategy and swarm faults for
# NIGHTLY_BUDGET on NIGHTLY_JOBS cores; report and any shrunk, explained failures in
# target/nightly/. Exit 1 when something failed. NIGHTLY_FIRST_SEED moves to fresh seeds.
NIGHTLY_BUDGET ?= 30m
NIGHTLY_JOBS ?= 2
NIGHTLY_FIRST_SEED ?= 0
nightly:
	$(CARGO) build --release --bin simkern
	rm -rf target/nightly
	target/release/simkern nightly --budget $(NIGHTLY_BUDGET) --jobs $(NIGHTLY_JOBS) \
		--first-seed $(NIGHTLY_FIRST_SEED) --out target/nightly

# The search's own check: the buggy variants, for 2 minutes; it must find all five bugs and
# print one shrunk, explained story each (exit 1 is the expected outcome here).
nightly-buggy:
	$(CARGO) build --release --bin simkern
	rm -rf target/nightly-buggy
	target/release/simkern nightly --variants buggy --budget 2m --jobs 2 --out target/nightly-buggy; \
		test $$? -eq 1

# Mutation testing (issue 15): cargo-mutants plants one bug at a time in poller/src (then
# sim/src/kernel with MUTANTS_SET=kernel or all) and prints caught / missed / timeout /
# unviable and the score. Not part of `make test`: a mutant costs a build and a test run (see
# README for the time). MUTANTS_SHARD=k/n runs one shard (a CI matrix); MUTANTS_ARGS go to
# cargo-mutants (e.g. "--file poller/src/waker.rs", "--in-place", "--list").
MUTANTS_SET ?= poller
MUTANTS_ARGS ?=
.PHONY: mutants
mutants:
	scripts/mutants.sh $(MUTANTS_SET) $(MUTANTS_ARGS)
