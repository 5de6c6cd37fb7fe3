# Simkern: the commands a newcomer needs. `make demo` runs the main job, `make test` the tests.
CARGO ?= cargo

.PHONY: demo test lint bench

# The main job: for now, the poller's echo server on real epoll against the built-in
# load-generating client (the simulator's bug hunt joins it as the simulator lands).
demo:
	$(CARGO) build --release --examples
	scripts/demo-echo.sh

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
