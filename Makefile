# Strata: the README's commands. Each target installs the system libraries it needs.
SWIFT ?= swift
DEMO_DIR ?= strata-data

.PHONY: all deps build demo test test-swift crosscheck fuzz fuzz-smoke bench clean
FUZZ_SECONDS ?= 60

all: build

deps:
	@tools/install-deps

build: deps
	$(SWIFT) build

# The main job: the storage engine on the embedded data directory ($(DEMO_DIR)): order events
# in every codec, an idempotent retry, a committed and an aborted transaction, read back and
# shut down cleanly; then the first segment and its indexes dumped as kafka-dump-log would.
demo: deps
	$(SWIFT) build --product strata-demo
	$(SWIFT) build --product strata-dump
	.build/debug/strata-demo $(DEMO_DIR)
	.build/debug/strata-dump --deep-iteration --print-data-log $(DEMO_DIR)/orders-0/00000000000000000000.log
	.build/debug/strata-dump $(DEMO_DIR)/orders-0/00000000000000000000.index $(DEMO_DIR)/orders-0/00000000000000000000.timeindex

# Unit, property and interop tests, kafka-python decoding what Strata encodes, and every
# fuzz target for a few seconds (a regression is caught by the change that makes it).
test: deps test-swift crosscheck fuzz-smoke

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Batch files from Strata's encoder, then whole partition directories written through the
# engine (segments, indexes, rolls, restart, clean close), each checked by kafka-python and the
# spec; the self-test damages copies of the latter and requires every damage to be reported.
# Then partitions compacted by Strata's cleaner (every codec, tombstones, transactions, and copies
# of real brokers' compacted topics) read back by kafka-python as a read_committed consumer.
# Random seeds (printed); replay one: .build/debug/strata-crosscheck-writer [--segments|--compacted] DIR SEED.
crosscheck:
	$(SWIFT) build --product strata-crosscheck-writer
	rm -rf .build/crosscheck .build/crosscheck-segments
	.build/debug/strata-crosscheck-writer .build/crosscheck
	tools/crosscheck .build/crosscheck
	.build/debug/strata-crosscheck-writer --segments .build/crosscheck-segments
	tools/crosscheck --segments .build/crosscheck-segments
	tools/crosscheck --segments --self-test .build/crosscheck-segments
	rm -rf .build/crosscheck-compacted
	.build/debug/strata-crosscheck-writer --compacted .build/crosscheck-compacted
	tools/crosscheck --compacted .build/crosscheck-compacted

# Throughput next to memcpy, the raw codec libraries and raw file I/O (tools/bench/README.md);
# e.g. make bench BENCH_ARGS=--quick
# Every libFuzzer target for FUZZ_SECONDS each; findings go to fuzz/FailCases/.
fuzz: deps
	tools/fuzz-run $(FUZZ_SECONDS)

fuzz-smoke:
	tools/fuzz-run 8

bench: deps
	cd tools/bench && $(SWIFT) run -c release strata-bench $(BENCH_ARGS)

clean:
	rm -rf .build .build-* $(DEMO_DIR)
