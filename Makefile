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

# fairnicctl top's pure functions are in src/cli/fnc_top.c: its unit test
# links that object too (the socket client it calls is stubbed in the test).
$(B)/tests/test_top: $(B)/cli/fnc_top.o

# ---------------------------------------------------------------- install
# `make install` (PREFIX=/usr/local, DESTDIR=staging root) installs fairnicd
# (sbin), fairnicctl (bin), fairnic.service and its hugepages helper, the
# example /etc/fairnic/fairnic.conf and /etc/default/fairnic (never over an
# existing file), the man pages and bash completion; `make uninstall` removes
# them (the two configuration files only while unchanged). `make man` builds
# the man pages, generated from the programs' own help (scripts/gen_man.py).
# All of it from $(B). See docs/SERVICE.md.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
SBINDIR     ?= $(PREFIX)/sbin
LIBEXECDIR  ?= $(PREFIX)/libexec
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# The unit and the service's configuration name /etc whatever PREFIX is.
SYSCONFDIR  ?= /etc
# Debian's own units are in /lib/systemd/system (what systemd.pc says on
# Debian 12); for any other PREFIX, PREFIX/lib/systemd/system, which systemd
# reads too (/usr/local/lib/systemd/system).
ifeq ($(origin SYSTEMDUNITDIR),undefined)
ifeq ($(PREFIX),/usr)
SYSTEMDUNITDIR := $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
else
SYSTEMDUNITDIR := $(PREFIX)/lib/systemd/system
endif
endif
INSTALL     ?= install
PYTHON3     ?= /usr/bin/python3
MAN_DATE    ?= $(shell git log -1 --format=%cs 2>/dev/null)
MAN_PAGES   := $(B)/man/fairnicd.8 $(B)/man/fairnicctl.8
# The example configuration files: installed path under SYSCONFDIR, source.
CONF_FILES  := fairnic/fairnic.conf:dist/fairnic.conf default/fairnic:dist/fairnic.default

man: $(MAN_PAGES)

$(B)/man/%.8: $(B)/% scripts/gen_man.py
	@mkdir -p $(dir $@)
	$(PYTHON3) scripts/gen_man.py $* $< --date "$(MAN_DATE)" -o $@.tmp && mv $@.tmp $@

install: $(B)/fairnicd $(B)/fairnicctl $(MAN_PAGES)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)/fairnic \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(SYSCONFDIR)/fairnic $(DESTDIR)$(SYSCONFDIR)/default
	$(INSTALL) -m 0755 $(B)/fairnicd $(DESTDIR)$(SBINDIR)/fairnicd
	$(INSTALL) -m 0755 $(B)/fairnicctl $(DESTDIR)$(BINDIR)/fairnicctl
	$(INSTALL) -m 0755 dist/fairnic-hugepages $(DESTDIR)$(LIBEXECDIR)/fairnic/fairnic-hugepages
	$(INSTALL) -m 0755 tools/fairnic-libvirt $(DESTDIR)$(SBINDIR)/fairnic-libvirt
	@mkdir -p $(B)/dist
	# the libvirt hook, to link as /etc/libvirt/hooks/qemu (docs/LIBVIRT.md)
	sed -e 's|/usr/local/sbin/fairnic-libvirt|$(SBINDIR)/fairnic-libvirt|' \
		dist/libvirt-hook-qemu > $(B)/dist/libvirt-hook-qemu
	$(INSTALL) -m 0755 $(B)/dist/libvirt-hook-qemu $(DESTDIR)$(LIBEXECDIR)/fairnic/libvirt-hook-qemu
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		-e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' dist/fairnic.service.in > $(B)/dist/fairnic.service
	$(INSTALL) -m 0644 $(B)/dist/fairnic.service $(DESTDIR)$(SYSTEMDUNITDIR)/fairnic.service
	$(INSTALL) -m 0644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 dist/fairnicctl.bash $(DESTDIR)$(BASHCOMPDIR)/fairnicctl
	@for f in $(CONF_FILES); do \
		dst="$(DESTDIR)$(SYSCONFDIR)/$${f%%:*}"; src="$${f#*:}"; \
		if [ ! -e "$$dst" ]; then \
			echo "$(INSTALL) -m 0644 $$src $$dst"; $(INSTALL) -m 0644 "$$src" "$$dst" || exit 1; \
		elif ! cmp -s "$$src" "$$dst"; then \
			echo "kept $$dst as it is (the example shipped now is $$src)"; \
		fi; \
	done
	@[ -n "$(DESTDIR)" ] || echo "then: systemctl daemon-reload; edit $(SYSCONFDIR)/default/fairnic and $(SYSCONFDIR)/fairnic/fairnic.conf; systemctl enable --now fairnic"

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/fairnicd $(DESTDIR)$(BINDIR)/fairnicctl \
		$(DESTDIR)$(LIBEXECDIR)/fairnic/fairnic-hugepages \
		$(DESTDIR)$(SBINDIR)/fairnic-libvirt $(DESTDIR)$(LIBEXECDIR)/fairnic/libvirt-hook-qemu \
		$(DESTDIR)$(SYSTEMDUNITDIR)/fairnic.service \
		$(DESTDIR)$(MANDIR)/man8/fairnicd.8 $(DESTDIR)$(MANDIR)/man8/fairnicctl.8 \
		$(DESTDIR)$(BASHCOMPDIR)/fairnicctl
	@for f in $(CONF_FILES); do \
		dst="$(DESTDIR)$(SYSCONFDIR)/$${f%%:*}"; src="$${f#*:}"; \
		if cmp -s "$$src" "$$dst"; then \
			echo "rm -f $$dst"; rm -f "$$dst"; \
		elif [ -e "$$dst" ]; then \
			echo "kept $$dst: it was changed"; \
		fi; \
	done
	@rmdir $(DESTDIR)$(LIBEXECDIR)/fairnic $(DESTDIR)$(SYSCONFDIR)/fairnic 2>/dev/null || true

.PHONY: man install uninstall
