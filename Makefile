# Strata: the README's commands. Each target installs the system libraries it needs.
SWIFT ?= swift
DEMO_DIR ?= strata-data

.PHONY: all deps build demo test test-swift test-tsan crosscheck crosscheck-partitioning fuzz fuzz-smoke bench soak clean
FUZZ_SECONDS ?= 60

all: build

deps:
	@tools/install-deps

build: deps
	$(SWIFT) build

# The main job: `strata demo` (topics, a keyed stream produced with acks=all, a consumer group
# that commits and resumes, an upper-casing stream transform, a keyed count in a compacted
# topic); then the storage engine on the same data directory ($(DEMO_DIR)): order events
# in every codec, an idempotent retry, a committed and an aborted transaction, read back and
# shut down cleanly; then the first segment and its indexes dumped as kafka-dump-log would.
demo: deps
	$(SWIFT) build --product strata
	$(SWIFT) build --product strata-demo
	$(SWIFT) build --product strata-dump
	.build/debug/strata demo --data-dir $(DEMO_DIR)
	.build/debug/strata-demo $(DEMO_DIR)
	.build/debug/strata-dump --deep-iteration --print-data-log $(DEMO_DIR)/orders-0/00000000000000000000.log
	.build/debug/strata-dump $(DEMO_DIR)/orders-0/00000000000000000000.index $(DEMO_DIR)/orders-0/00000000000000000000.timeindex

# Unit, property and interop tests, kafka-python decoding what Strata encodes, and every
# fuzz target for a few seconds (a regression is caught by the change that makes it).
test: deps test-swift test-tsan crosscheck fuzz-smoke

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# StrataTopics' tests again under the thread sanitizer (concurrent producers, consumers and
# group rebalances, the strata binary, the SIGKILL test), in their own scratch path. Measured
# here: about 3.5 min to build from clean on 2 cores, 35 s to run.
test-tsan:
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan --filter StrataTopicsTests

# Batch files from Strata's encoder, then whole partition directories written through the
# engine (segments, indexes, rolls, restart, clean close), each checked by kafka-python and the
# spec; the self-test damages copies of the latter and requires every damage to be reported.
# Then strata-verify --deep must find that directory clean, and tools/dumpcheck requires
# strata-dump --json to agree with kafka-python on every record of it and of kafka-real.
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
	$(SWIFT) build --product strata-dump
	$(SWIFT) build --product strata-verify
	.build/debug/strata-verify --deep --no-progress .build/crosscheck-segments/data
	tools/dumpcheck .build/debug/strata-dump .build/crosscheck-segments $(wildcard ../shared/testdata/kafka-real)
	rm -rf .build/crosscheck-compacted
	.build/debug/strata-crosscheck-writer --compacted .build/crosscheck-compacted
	tools/crosscheck --compacted .build/crosscheck-compacted
	$(MAKE) crosscheck-partitioning

# Keyed records written by `strata produce` (random keys, seed printed) must sit where
# kafka-python's DefaultPartitioner puts them.
crosscheck-partitioning:
	$(SWIFT) build --product strata
	rm -rf .build/crosscheck-partitioning
	.build/debug/strata topics create keyed --partitions 7 --data-dir .build/crosscheck-partitioning
	.build/debug/strata topics create single --partitions 1 --data-dir .build/crosscheck-partitioning
	seed=$$(od -An -N4 -tu4 /dev/urandom | tr -d ' '); echo "partitioning keys seed $$seed"; \
	  awk -v seed=$$seed 'BEGIN { srand(seed); for (i = 0; i < 3000; i++) { n = 1 + int(rand() * 40); k = ""; \
	    for (j = 0; j < n; j++) k = k sprintf("%c", 33 + int(rand() * 90)); gsub(/\t/, "", k); print k "\t" "value " i } }' \
	  | .build/debug/strata produce --topic keyed --key-separator "$$(printf '\t')" --compression lz4 --acks 1 --data-dir .build/crosscheck-partitioning
	printf 'a\tb\nno key here\n' | .build/debug/strata produce --topic single --key-separator "$$(printf '\t')" --data-dir .build/crosscheck-partitioning
	tools/crosscheck --partitioning .build/crosscheck-partitioning

# Throughput next to memcpy, the raw codec libraries and raw file I/O (tools/bench/README.md);
# e.g. make bench BENCH_ARGS=--quick
# Every libFuzzer target for FUZZ_SECONDS each; findings go to fuzz/FailCases/.
fuzz: deps
	tools/fuzz-run $(FUZZ_SECONDS)

fuzz-smoke:
	tools/fuzz-run 8

# Producers, a consumer group, retention and compaction in a child process killed with SIGKILL
# at random moments for SOAK_SECONDS; every acknowledged record checked after the kills.
SOAK_SECONDS ?= 300
soak: deps
	$(SWIFT) build --product strata-soak
	.build/debug/strata-soak --seconds $(SOAK_SECONDS)

bench: deps
	cd tools/bench && $(SWIFT) run -c release strata-bench $(BENCH_ARGS)

clean:
	rm -rf .build .build-* $(DEMO_DIR)
