# Simkern: the commands a newcomer needs. `make demo` runs the main job, `make test` the tests.
CARGO ?= cargo

.PHONY: demo test lint bench

# The main job: the poller's echo server on real epoll against the built-in client, then
# the same echo code hunted on the simulated kernel over 1,000 seeds with faults.
demo:
	$(CARGO) build --release --examples --bin simkern
	scripts/demo-echo.sh
	target/release/simkern run echo --seeds 0..1000 --faults default --jobs 2

# Every test: unit, real-kernel integration, and (as they land) simulator and seed replays.
test:
	$(CARGO) test --workspace --release

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Benchmarks print ratios against the peer measured in the same run and write
# target/simkern-bench.json.
bench:
	$(CARGO) bench --bench main
