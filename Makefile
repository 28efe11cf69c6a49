# peregrine - one Makefile for the engine, its tests, fuzzers and benchmarks.
#
#   make                 build build/peregrine
#   make test            build and run every test (ends with "N passed, N failed")
#   make SAN=address test   the same under a sanitizer (address|thread|undefined)
#   make run             run the engine live with the default rules
#   make fuzz            build the libFuzzer harnesses (clang)
#   make bench           run the benchmarks and rewrite docs/BENCHMARKS.md (< 10 min)
#   make bench-quick     the same, smaller and fewer runs (< 2 min)
#   make bench-check     instructions per event (callgrind) vs bench/baseline.json
#
# Sources are found, not listed: every src/**/*.c except src/cli/ goes into
# libperegrine.a, every tests/unit/<module>/test_*.c is one test program,
# every fuzz/fuzz_*.c one harness, every bench/bench_*.c one benchmark.

CC ?= gcc
ifeq ($(origin CC),default)
CC := gcc
endif
SAN ?=
FIXTURES ?= $(abspath ../shared/fixtures)

ifeq ($(SAN),)
BUILD := build
else
BUILD := build/san-$(SAN)
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARN) -D_GNU_SOURCE -Isrc -I$(BUILD)/gen -pthread -MMD -MP
LDLIBS := -lurcu-qsbr -lurcu-cds -lurcu-common -lyaml -lz -lm -lcurl -lmicrohttpd -pthread
LDFLAGS ?=

ifneq ($(SAN),)
CFLAGS += -fsanitize=$(SAN) -fno-omit-frame-pointer -O1
LDFLAGS += -fsanitize=$(SAN)
ifeq ($(SAN),undefined)
CFLAGS += -fno-sanitize-recover=undefined
LDFLAGS += -fno-sanitize-recover=undefined
endif
endif

LIB_SRC := $(filter-out src/cli/%,$(shell find src -name '*.c' -not -name '*.bpf.c' | sort))
CLI_SRC := $(shell find src/cli -name '*.c' | sort)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(shell find tests/unit -name 'test_*.c' | sort)
TEST_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
BENCH_SRC := $(wildcard bench/bench_*.c bench/storm.c bench/probe_only.c bench/tp_floor.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)

.PHONY: all deps test run fuzz bench bench-quick bench-check clean format
all: $(BUILD)/peregrine

deps:
	@scripts/setup.sh

$(BUILD)/libperegrine.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/peregrine: $(CLI_OBJ) $(BUILD)/libperegrine.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# every compile waits for deps (order-only: a no-op once the packages are
# there), so `make -j test` on a new machine installs headers before using them
$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libperegrine.a tests/unit/t.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libperegrine.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libperegrine.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libperegrine.a $(LDFLAGS) $(LDLIBS)

test: deps $(BUILD)/peregrine $(TEST_BIN) $(BENCH_BIN)
	@BUILD=$(BUILD) FIXTURES=$(FIXTURES) SAN=$(SAN) tests/run.sh

run: deps $(BUILD)/peregrine
	$(BUILD)/peregrine

# libFuzzer harnesses: clang, its own build tree (header dependencies in .d
# files, as the main build), the library rebuilt with
# -fsanitize=fuzzer-no-link so coverage reaches into it.
FUZZ_BUILD := build/fuzz
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -Isrc -pthread -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(FUZZ_BUILD)/%)
fuzz: $(FUZZ_BIN)
$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<
$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
# fuzz_config drives src/cli/config.c, which is not in the library
$(FUZZ_BUILD)/fuzz_config: $(FUZZ_BUILD)/src/cli/config.o
# kept between runs (make would delete them as intermediates)
.SECONDARY: $(FUZZ_LIB_OBJ) $(FUZZ_BUILD)/src/cli/config.o
# `make test` also runs each libFuzzer build over its corpus once (ASan and
# UBSan, no recovery): undefined behaviour the normal build cannot see
# fails the tests (tests/sh/fuzz_corpus.sh)
test: $(FUZZ_BIN)
$(BUILD)/fuzz_replay/fuzz_config: $(BUILD)/src/cli/config.o

# Every harness also builds with the normal compiler and flags (SAN too)
# against fuzz/driver.c, which `make test` uses to replay fuzz/corpus/
# (tests/sh/fuzz_corpus.sh): no clang or libFuzzer needed.
FUZZ_REPLAY_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz_replay/%)
$(BUILD)/fuzz_replay/%: fuzz/%.c fuzz/driver.c $(BUILD)/libperegrine.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(BUILD)/libperegrine.a $(LDFLAGS) $(LDLIBS)
test: $(FUZZ_REPLAY_BIN)

bench: deps $(BUILD)/peregrine $(BENCH_BIN)
	@BUILD=$(BUILD) FIXTURES=$(FIXTURES) bench/run.sh

bench-quick: deps $(BUILD)/peregrine $(BENCH_BIN)
	@BUILD=$(BUILD) FIXTURES=$(FIXTURES) QUICK=1 bench/run.sh

bench-check: deps $(BUILD)/peregrine $(BUILD)/bench/bench_stages
	@BUILD=$(BUILD) FIXTURES=$(FIXTURES) bench/check.sh

format:
	clang-format -i $$(find src tests bench fuzz -name '*.[ch]' -not -path '*/gen/*')

clean:
	rm -rf build

# eBPF probe: clang -target bpf -> bpftool gen skeleton -> $(BUILD)/gen/probe.skel.h,
# included by src/source/live.c. vmlinux.h is dumped from the running kernel's
# BTF into $(BUILD)/gen/ and never committed.
BPF_CLANG ?= clang
BPFTOOL ?= bpftool
BPF_MARCH := $(shell uname -m)
BPF_ARCH := $(subst x86_64,x86,$(subst aarch64,arm64,$(BPF_MARCH)))
BPF_CFLAGS := -target bpf -g -O2 -Wall -D__TARGET_ARCH_$(BPF_ARCH) -Isrc -I$(BUILD)/gen \
	-I/usr/include/$(BPF_MARCH)-linux-gnu
LDLIBS += -lbpf -lelf

$(BUILD)/gen/vmlinux.h: | deps
	@mkdir -p $(dir $@)
	@test -r /sys/kernel/btf/vmlinux || { echo "error: /sys/kernel/btf/vmlinux is missing:" \
		"this kernel has no BTF (CONFIG_DEBUG_INFO_BTF=y) and the eBPF probe cannot be built" >&2; exit 1; }
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/probe.bpf.o: src/bpf/probe.bpf.c src/bpf/probe.h src/abi/event.h \
		src/abi/event_types.h $(BUILD)/gen/vmlinux.h | deps
	$(BPF_CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(BUILD)/gen/probe.skel.h: $(BUILD)/gen/probe.bpf.o
	$(BPFTOOL) gen skeleton $< name probe_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/src/source/live.o: $(BUILD)/gen/probe.skel.h
$(FUZZ_BUILD)/src/source/live.o: $(BUILD)/gen/probe.skel.h
$(FUZZ_BUILD)/src/source/live.o: FUZZ_CFLAGS += -I$(BUILD)/gen

-include $(shell find build -name '*.d' 2>/dev/null)

# embedded default rules: rules/peregrine_rules.yaml as a C byte list, included
# by src/rules/default_rules.c (used when no rules file is given).
$(BUILD)/gen/peregrine_rules.inc: rules/peregrine_rules.yaml
	@mkdir -p $(dir $@)
	od -An -v -tx1 $< | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g' > $@.tmp && mv $@.tmp $@
$(BUILD)/src/rules/default_rules.o: $(BUILD)/gen/peregrine_rules.inc
$(FUZZ_BUILD)/src/rules/default_rules.o: $(BUILD)/gen/peregrine_rules.inc
$(FUZZ_BUILD)/src/rules/default_rules.o: FUZZ_CFLAGS += -I$(BUILD)/gen

# test helpers: tests/helpers/*.c, one program each, run by tests/sh/*.sh
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/helpers/%)
$(BUILD)/tests/helpers/%: tests/helpers/%.c $(BUILD)/libperegrine.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libperegrine.a $(LDFLAGS) $(LDLIBS)
test: $(HELPER_BIN)
