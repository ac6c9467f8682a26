# fsspeckit: `make test` and `make demo` work on a fresh Debian machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
BUILD := build/py
STAMP_DEPS := $(VENV)/.deps-stamp
STAMP_BENCH := $(VENV)/.bench-stamp

# ccache, when the machine has it, shares compiled objects between builds and checkouts
# (paths are taken relative to the checkout, so two clones hit the same cache entries).
ifneq ($(shell command -v ccache),)
export CMAKE_CXX_COMPILER_LAUNCHER := ccache
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
endif

.PHONY: all install test test-cpp test-python test-sdk demo demo-memory report-demo bench bench-env bench-large bench-faults soak fuzz cpp clean gtest

all: install

# Python tooling and pyarrow (whose libarrow the C++ core links) in a local venv.
$(STAMP_DEPS): requirements-dev.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	@touch $@

# GoogleTest comes from Debian; install it when missing and we may.
gtest:
	@if [ ! -f /usr/include/gtest/gtest.h ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing libgtest-dev (GoogleTest) with apt"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libgtest-dev >/dev/null; \
	  else \
	    echo "GoogleTest is missing: run 'sudo apt-get install libgtest-dev', then make again" >&2; exit 1; \
	  fi; \
	fi

# One CMake build serves the wheel and the C++ tests: pip builds in $(BUILD), with the
# gtest suites switched on, and installs the package into the venv.
install: $(STAMP_DEPS) gtest
	$(PIP) install --quiet --no-build-isolation --no-deps \
	  -Cbuild-dir=$(BUILD) -Ccmake.define.FSSPECKIT_BUILD_TESTS=ON .

test-cpp: install
	$(VENV)/bin/ctest --test-dir $(BUILD) --output-on-failure -j2

test-python: install
	$(PY) -m pytest -q

# The C++ package as a C++ user consumes it: install headers, libraries and the CMake
# config from the same build, then build and run examples/ with find_package(fsspeckit).
SDK := build/sdk
test-sdk: install
	rm -rf $(SDK) build/examples
	$(VENV)/bin/cmake --install $(BUILD) --component fsspeckit_sdk --prefix $(SDK) >/dev/null
	$(VENV)/bin/cmake -S examples -B build/examples -G Ninja -DCMAKE_PREFIX_PATH=$(abspath $(SDK)) >/dev/null
	$(VENV)/bin/cmake --build build/examples
	build/examples/merge_example build/examples/orders

# All suites run; the target fails if any fails.
test: install
	@status=0; \
	$(VENV)/bin/ctest --test-dir $(BUILD) --output-on-failure -j2 || status=1; \
	$(PY) -m pytest -q || status=1; \
	$(MAKE) --no-print-directory test-sdk || status=1; \
	exit $$status

# The main job: generate an orders dataset, upsert changes under a 256 MiB budget, write
# the merge's HTML report and print its path.
demo: install
	$(PY) demo/merge_demo.py

# The demo merge's report on a fresh dataset (its first run: updates and inserts),
# rendered by headless Chromium (installed with apt when missing and we may) to
# docs/report.png, the README's screenshot. Not part of `make test`.
report-demo: install
	rm -rf demo/data/orders
	$(PY) demo/merge_demo.py
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing chromium with apt"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is missing: run 'sudo apt-get install chromium', then make report-demo again" >&2; exit 1; \
	  fi; \
	fi
	$(PY) demo/render_report.py demo/data/merge-report.html docs/report.png

demo-memory: install
	$(PY) demo/memory_pressure.py

# Long runs kept out of `make test`: 200 SIGKILL points during merges.
soak: install
	FSSPECKIT_CRASH_POINTS=200 $(PY) -m pytest -q -s tests/test_merge_crash.py

# Long run kept out of `make test`: 3,000 random merge sequences against the model
# (make test runs 100 of them, about 20 s).
fuzz: install
	FSSPECKIT_FUZZ_SEQUENCES=3000 $(PY) -m pytest -q tests/test_merge_fuzz.py

# The peers the benchmarks race, kept out of requirements-dev.txt so `make test` stays
# lean: DuckDB and delta-rs into .venv; the original fsspeckit 0.29.0 into
# bench/.venv-original, built from a Python >= 3.12 found on the machine (PATH or pyenv),
# or skipped with a printed reason when there is none.
$(STAMP_BENCH): bench/requirements-bench.txt $(STAMP_DEPS)
	$(PIP) install --quiet -r bench/requirements-bench.txt
	@touch $@

bench-env: install $(STAMP_BENCH)
	$(PY) bench/peer_env.py

bench: bench-env
	$(PY) bench/bench_memory.py
	$(PY) bench/bench_scan.py
	$(PY) bench/bench_io.py
	$(PY) bench/bench_merge.py
	$(PY) bench/bench_merge.py --sparse
	$(PY) bench/bench_merge.py --large --rounds 1
	$(PY) bench/bench_maintenance.py --rounds 2
	$(PY) bench/bench_upsert_after_compaction.py --rounds 3
	$(PY) bench/bench_matrix.py

# Merges and writes on an S3 answering 5% of requests 503 SlowDown (moto behind
# tests/s3_proxy.py), each checked against an oracle; needs no peers.
bench-faults: install
	$(PY) bench/bench_object_store.py

# The 3 GB merge against its peers (DuckDB held to the same 256 MiB): about 10 minutes,
# plus about 5 to generate the data the first time.
bench-large: bench-env
	$(PY) bench/bench_matrix.py --large

# The C++ library and its tests alone, as a C++ user builds them (Python is asked only
# where pyarrow lives).
cpp: $(STAMP_DEPS) gtest
	$(VENV)/bin/cmake -S . -B build/cpp -G Ninja -DPython_EXECUTABLE=$(abspath $(PY))
	$(VENV)/bin/cmake --build build/cpp
	$(VENV)/bin/ctest --test-dir build/cpp --output-on-failure -j2

clean:
	rm -rf build
