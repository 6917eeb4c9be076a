# fairnic build. `make` builds everything, `make test` runs all tests,
# `make demo` runs the demo, `make bench` the benchmark.
#   WERROR=1  warnings are errors (CI sets it; a user's build only warns)
#   SAN=1     AddressSanitizer + UndefinedBehaviorSanitizer build in build/asan
#             (`make test` builds and runs it too: unit tests, and fairnicd
#             under the control-plane and data-path integration tests)
CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Isrc/core -Isrc/ctl -MMD -MP
ifeq ($(WERROR),1)
CFLAGS  += -Werror
endif
ifeq ($(SAN),1)
CFLAGS  += -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
B := build/asan
else
B := build
endif
DPDK_CFLAGS := $(shell pkg-config --cflags libdpdk 2>/dev/null)
DPDK_LIBS   := $(shell pkg-config --libs libdpdk 2>/dev/null)

CORE_SRC := $(wildcard src/core/*.c)
CTL_SRC  := $(wildcard src/ctl/*.c)
D_SRC    := $(wildcard src/daemon/*.c)
CLI_SRC  := $(wildcard src/cli/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))

all: $(B)/fairnicd $(B)/fairnicctl $(B)/fntraffic $(B)/core_cycles $(UNIT_BIN)

$(B)/core/%.o: src/core/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(B)/ctl/%.o: src/ctl/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(B)/daemon/%.o: src/daemon/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DPDK_CFLAGS) -c $< -o $@
$(B)/cli/%.o: src/cli/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(B)/tools/%.o: tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DPDK_CFLAGS) -c $< -o $@
$(B)/bench/%.o: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(B)/tests/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# The pure-C core: no DPDK, unit-tested and fuzzed on its own.
$(B)/libfncore.a: $(patsubst src/%.c,$(B)/%.o,$(CORE_SRC))
	ar rcs $@ $^
# Command grammar shared by the CLI, the control socket and --config files.
$(B)/libfnctl.a: $(patsubst src/%.c,$(B)/%.o,$(CTL_SRC))
	ar rcs $@ $^

$(B)/fairnicd: $(patsubst src/%.c,$(B)/%.o,$(D_SRC)) $(B)/libfnctl.a $(B)/libfncore.a
	$(CC) $(CFLAGS) -o $@ $^ $(DPDK_LIBS) -ljansson -lmicrohttpd -lpthread -lm
$(B)/fairnicctl: $(patsubst src/%.c,$(B)/%.o,$(CLI_SRC)) $(B)/libfnctl.a $(B)/libfncore.a
	$(CC) $(CFLAGS) -o $@ $^ -ljansson
$(B)/fntraffic: $(B)/tools/fntraffic.o $(B)/libfncore.a
	$(CC) $(CFLAGS) -o $@ $^ $(DPDK_LIBS) -lpthread -lm
$(B)/core_cycles: $(B)/bench/core_cycles.o $(B)/libfncore.a
	$(CC) $(CFLAGS) -o $@ $^ -lm
$(B)/tests/test_%: $(B)/tests/test_%.o $(B)/libfnctl.a $(B)/libfncore.a
	$(CC) $(CFLAGS) -o $@ $^ -lcmocka -ljansson -lm

unit: $(UNIT_BIN)
	@tests/run_unit.sh $(UNIT_BIN)

# What the sanitizer build needs for `make test`: the unit tests and the daemon.
san-all: $(UNIT_BIN) $(B)/fairnicd

# demo, test and bench first make sure the machine is set up (packages,
# hugepages), then build: each works alone on a fresh Debian 12 machine.
setup:
	@scripts/setup.sh

test: setup
	@$(MAKE) --no-print-directory -j2 all
	@$(MAKE) --no-print-directory -j2 SAN=1 san-all
	@tests/run_all.sh

demo: setup
	@$(MAKE) --no-print-directory -j2 all
	@/usr/bin/python3 demo/demo.py

bench: setup
	@$(MAKE) --no-print-directory -j2 all
	@taskset -c 1 $(B)/core_cycles
	@/usr/bin/python3 bench/bench.py

clean:
	rm -rf $(B)

.PHONY: all san-all setup unit test demo bench clean
.SECONDARY:
-include $(shell find $(B) -name '*.d' 2>/dev/null)
