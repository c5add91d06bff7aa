# MallBots C++ — the front door. `make up` and `make test` are all a newcomer needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PRESET ?= debug
BUILD_DIR := build/$(PRESET)
WIPE ?= 0

# ccache hits across checkouts: paths are made relative to the checkout, the cache lives outside it.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true
export CCACHE_DIR ?= $(HOME)/.cache/mallbots-ccache
export CCACHE_MAXSIZE ?= 5G

STACK := deploy/local/stack.sh

.PHONY: help deps configure build up down status logs demo order loadgen test test-unit test-integration \
	chaos fuzz bench clean docs scaleout images

help:
	@echo "make up      install packages, build, start PostgreSQL + NATS (+ services) under \$$MALLBOTS_HOME"
	@echo "make test    install packages, build and run every test (unit + integration)"
	@echo "make down    stop the local stack (WIPE=1 also deletes its state)"
	@echo "make demo    one new order through the running stack, basket to completed and paid"
	@echo "make chaos | fuzz | loadgen | scaleout   long runs: faults under load, libFuzzer, load"
	@echo "             on the stack, replicas on a NATS cluster"
	@echo "make images the container images (mallbots/services, mallbots/tools) from Debian's"
	@echo "             packages, then one service container run to /readyz"
	@echo "make docs    the catalogue: AsyncAPI document, HTML pages of the events and gRPC APIs"
	@echo "make status | logs | build | deps | bench | clean   (PRESET=debug|release)"

deps:
	@bash deploy/local/deps.sh

configure: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then cmake --preset $(PRESET); fi

build: configure
	cmake --build --preset $(PRESET)

# The catalogue of the public contract (tools/apidocs), also part of every build.
docs: configure
	@cmake --build --preset $(PRESET) --target apidocs_docs
	@echo "$(BUILD_DIR)/docs: asyncapi.yaml events.html grpc.html mallbots.protoset"

# BOTS=0: no robots (the demo does their work itself). DEMO=0: no demo order at the end.
BOTS ?= 3
DEMO ?= 1
up: build
	@BOTS=$(BOTS) DEMO=$(DEMO) bash $(STACK) up

# One new order through the running stack, from a basket to completed and paid, step by step
# (tools/shopper; `order` is its old name).
demo order:
	@bash $(STACK) demo

# Simulated customers against the running stack (tools/loadgen), the business invariants checked
# at the end: make loadgen ARGS="--customers=8 --orders=500 --seed=42".
loadgen: configure
	@cmake --build --preset $(PRESET) --target loadgen >/dev/null
	@set -a && . $${MALLBOTS_HOME:-.mallbots}/stack.env && set +a && \
	  $(BUILD_DIR)/tools/loadgen/loadgen --bots-log=$${MALLBOTS_HOME:-.mallbots}/logs/bots.log $(ARGS)

down:
	@WIPE=$(WIPE) bash $(STACK) down

status:
	@bash $(STACK) status

logs:
	@bash $(STACK) logs

# The npm packages of the third-party client test, the AsyncAPI document's and the Kubernetes
# manifests' validation and the Node.js subscriber example, each reinstalled when its lock file
# changes.
NODE_DEPS := tests/thirdparty/node_modules/.package-lock.json \
	tests/catalog/node_modules/.package-lock.json tests/k8s/node_modules/.package-lock.json \
	examples/subscribers/node/node_modules/.package-lock.json
%/node_modules/.package-lock.json: %/package-lock.json | deps
	cd $* && npm ci --no-audit --no-fund --loglevel=error

# A failed run ends with each failed test's assertion failures (tests/failures.sh).
test: build $(NODE_DEPS)
	ctest --preset $(PRESET) || { bash tests/failures.sh $(BUILD_DIR); exit 8; }

test-unit: build
	ctest --preset $(PRESET) -L unit

test-integration: build $(NODE_DEPS)
	ctest --preset $(PRESET) -L integration

# The long chaos run (tests/chaos): ORDERS orders through service kills and PostgreSQL/NATS
# restarts on servers of its own; SEED replays a run's sequence of faults (printed by every run).
ORDERS ?= 1000
SEED ?=
chaos: configure
	cmake --build --preset $(PRESET) --target chaos_test
	CHAOS_ORDERS=$(ORDERS) CHAOS_SEED=$(SEED) ctest --preset $(PRESET) -R '^chaos_test$$' -V

# Scale-out (tests/scaleout): a 3-node NATS cluster, two replicas of every service, a NATS node
# and a replica of every service killed in turn under load (make test runs a short version).
scaleout: configure
	cmake --build --preset $(PRESET) --target scaleout_test
	SCALEOUT_FULL=1 ctest --preset $(PRESET) -R '^scaleout_test$$' -V

# The container images, built from Debian's packages without a container registry
# (deploy/images: mmdebstrap bases, buildah, the Containerfile's build stage compiling with the
# release preset), then checked: the stores container run to /readyz against a PostgreSQL and
# NATS of its own, called with mallctl from the tools image, stopped with SIGTERM.
images:
	@bash deploy/images/images.sh build
	@bash deploy/images/images.sh check

# The fuzz targets (tests/fuzz) with libFuzzer and the sanitizers, in their own tree (build/fuzz),
# each for FUZZ_SECONDS from its corpus tests/fuzz/corpus/<target>; then the inputs it found
# that add coverage are merged into that corpus, which `make test` replays (commit it). A crash
# stops the run and leaves its input as crash-* in the working directory.
# The service targets (tests/fuzz/service_fuzz.h) start PostgreSQL and nats-server themselves
# and first write a seed per RPC and consumed message into their corpus (FUZZ_WRITE_SEEDS).
FUZZ_SECONDS ?= 120
FUZZ_TARGETS ?= envelope_fuzz stores_fuzz customers_fuzz baskets_fuzz depot_fuzz ordering_fuzz \
	payments_fuzz cosec_fuzz notifications_fuzz search_fuzz
fuzz:
	@DEPS_EXTRA="clang libclang-rt-14-dev" bash deploy/local/deps.sh
	@cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz --target $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do \
	  echo "== $$t for $(FUZZ_SECONDS) s"; \
	  bin=build/fuzz/tests/fuzz/$$t corpus=tests/fuzz/corpus/$$t; \
	  export EDA_SOURCE_DIR=$(CURDIR); \
	  FUZZ_WRITE_SEEDS=$$corpus $$bin -runs=0 $$corpus >/dev/null 2>&1 || exit 1; \
	  found=$$(mktemp -d) && \
	  $$bin -max_total_time=$(FUZZ_SECONDS) -timeout=30 -print_final_stats=1 $$found $$corpus \
	    2>&1 | grep -Ev '^#[0-9]+.*(NEW|REDUCE|pulse)'; \
	  fuzzed=$${PIPESTATUS[0]}; \
	  $$bin -merge=1 $$corpus $$found 2>&1 | grep -E '^MERGE-OUTER: [0-9]+ new files'; \
	  test $${PIPESTATUS[0]} -eq 0 || { echo "merge failed: the inputs found are in $$found"; \
	    exit 1; }; \
	  rm -rf $$found; \
	  test $$fuzzed -eq 0 || exit 1; \
	done

bench:
	@$(MAKE) --no-print-directory build PRESET=release
	@bash bench/run.sh build/release

clean:
	rm -rf build
