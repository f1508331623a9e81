# Two commands do all set-up on a fresh machine:
#   make run    solve the baseline national scenario into out/baseline
#   make test   run every test
# Both first install missing build tools (scripts/setup.sh) and build in the
# release profile only (one profile: the first build of polars, HiGHS and PROJ
# takes 15-25 minutes on 2 cores; later builds reuse target/).

CARGO ?= cargo

.PHONY: setup build run test lint bench

setup:
	./scripts/setup.sh

build: setup
	$(CARGO) build --release

run: build
	$(CARGO) run --release -- solve models/baseline.toml --out out/baseline --force

# --tests: the four test binaries, the unit tests of the library and of the
# binary and the two integration binaries (tests/it, tests/system); unlike a
# bare `cargo test` it does not build the examples, which no test runs (make
# lint compiles them). The library has no doctests (`doctest = false`).
test: setup
	$(CARGO) test --release --tests

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --release --all-targets -- -D warnings
