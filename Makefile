# peregrine - one Makefile for the engine, its tests, fuzzers and benchmarks.
#
#   make                 build build/peregrine
#   make test            build and run every test (ends with "N passed, N failed")
#   make SAN=address test   the same under a sanitizer (address|thread|undefined)
#   make run             run the engine live with the default rules
#   make fuzz            build the libFuzzer harnesses (clang)
#   make bench           run the benchmarks and rewrite docs/BENCHMARKS.md
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
LDLIBS := -lurcu-qsbr -lurcu-cds -lurcu-common -lyaml -lz -lm -pthread
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
BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)

.PHONY: all deps test run fuzz bench bench-quick clean format
all: $(BUILD)/peregrine

deps:
	@scripts/setup.sh

$(BUILD)/libperegrine.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/peregrine: $(CLI_OBJ) $(BUILD)/libperegrine.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
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

# libFuzzer harnesses: clang, its own build tree, the library rebuilt with
# -fsanitize=fuzzer-no-link so coverage reaches into it.
FUZZ_BUILD := build/fuzz
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -Isrc -pthread -fsanitize=fuzzer-no-link,address,undefined
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(FUZZ_BUILD)/%)
fuzz: $(FUZZ_BIN)
$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c -o $@ $<
$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

bench: deps $(BUILD)/peregrine $(BENCH_BIN)
	@BUILD=$(BUILD) FIXTURES=$(FIXTURES) bench/run.sh

bench-quick: deps $(BUILD)/peregrine $(BENCH_BIN)
	@BUILD=$(BUILD) FIXTURES=$(FIXTURES) QUICK=1 bench/run.sh

format:
	clang-format -i $$(find src tests bench fuzz -name '*.[ch]' -not -path '*/gen/*')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
