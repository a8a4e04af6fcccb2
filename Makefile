# Strata: the README's commands. Each target installs the system libraries it needs.
SWIFT ?= swift
DEMO_DIR ?= strata-data

.PHONY: all deps build demo test test-swift crosscheck bench clean

all: build

deps:
	@tools/install-deps

build: deps
	$(SWIFT) build

# The main job: writes a sample partition into the embedded data directory ($(DEMO_DIR))
# with every codec and a transaction, then dumps it as kafka-dump-log would.
demo: deps
	$(SWIFT) build --product strata-demo
	$(SWIFT) build --product strata-dump
	.build/debug/strata-demo $(DEMO_DIR)
	.build/debug/strata-dump --deep-iteration --print-data-log $(DEMO_DIR)/demo-0/00000000000000000000.log

# Unit, property and interop tests, then kafka-python decoding what Strata encodes.
test: deps test-swift crosscheck

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

crosscheck:
	$(SWIFT) build --product strata-crosscheck-writer
	rm -rf .build/crosscheck
	.build/debug/strata-crosscheck-writer .build/crosscheck
	tools/crosscheck .build/crosscheck

# Throughput next to memcpy, the raw codec libraries and raw file I/O (tools/bench/README.md);
# e.g. make bench BENCH_ARGS=--quick
bench: deps
	cd tools/bench && $(SWIFT) run -c release strata-bench $(BENCH_ARGS)

clean:
	rm -rf .build .build-* $(DEMO_DIR)
