# SPDX-License-Identifier: GPL-2.0
#
# altfutex: `make` builds the module, the library and the tests;
# `make run` shows it working in a VM; `make check` runs the test suite in a
# VM.  Missing Debian packages are installed on first use.

# The kernel to build for and boot: Debian bookworm's stock kernel, the one
# the linux-headers-amd64 metapackage points at, unless KVER/KDIR are given.
KVER ?= $(shell scripts/deps.sh --kver)
KDIR ?= /usr/src/linux-headers-$(KVER)
VMLINUZ ?= /boot/vmlinuz-$(KVER)

BUILD := build
CC ?= cc
CFLAGS ?= -O2 -g
WFLAGS := -Wall -Wextra -Werror -Wno-unused-parameter
CPPFLAGS_ALL := -D_GNU_SOURCE -Iinclude/uapi -Iuserlib $(CPPFLAGS)
PTHREAD := -pthread

LIB_MAJOR := 1
LIB_VERSION := 1.0.0
LIB_SO := $(BUILD)/libaltfutex.so.$(LIB_VERSION)
LIB_SONAME := libaltfutex.so.$(LIB_MAJOR)
LIB_A := $(BUILD)/libaltfutex.a
LIB_PC := $(BUILD)/altfutex.pc

TEST_SRCS := $(wildcard tests/*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
# Tests that are also linked statically, to check both ways of linking.
STATIC_TESTS := $(BUILD)/tests/link-static
# Tests also built as 32-bit x86 programs (static, with a 64-bit time_t),
# so that make check runs them through the module's compat_ioctl.
M32_TESTS := eagain eintr einval fd_basic private_flag requeue_basic \
	shared_memfd timeout wait_wake wake_count
M32_BINS := $(patsubst %,$(BUILD)/tests/%-m32,$(M32_TESTS))
M32_CFLAGS := -m32 -static -D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64
EXAMPLE_SRCS := $(wildcard examples/*.c)
EXAMPLE_BINS := $(patsubst examples/%.c,$(BUILD)/examples/%,$(EXAMPLE_SRCS))

MODULE := altfutex.ko
MODULE_SRCS := $(wildcard module/*.c module/*.h) Kbuild \
	include/uapi/linux/altfutex.h

DEPS_STAMP := $(BUILD)/.deps-$(shell id -u)

.PHONY: all module lib tests examples deps vm check run clean sparse \
	checkpatch help bench bench-bin

BENCH_BIN := $(BUILD)/bench/bench

all: module lib tests examples bench-bin

help:
	@echo "make            build the module, libaltfutex, tests, examples"
	@echo "make run        boot a VM, load the module, run the demo"
	@echo "make check      run the test suite in a VM (twice: default"
	@echo "                hash table, then hash_size=1)"
	@echo "make vm CMD='...' FILES='...' MODPARAMS='...'"
	@echo "                run a command in a VM with the module loaded"
	@echo "make bench      benchmark altfutex against the kernel futex in"
	@echo "                one VM; writes bench/results.csv, bench/plot.png"
	@echo "make sparse     build the module with sparse (C=2)"
	@echo "make checkpatch run checkpatch.pl --strict over the sources"

$(DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(BUILD)
	scripts/deps.sh
	@touch $@

deps: $(DEPS_STAMP)

# ---- kernel module -------------------------------------------------------

module: $(MODULE)

$(MODULE): $(MODULE_SRCS) | $(DEPS_STAMP)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

sparse: | $(DEPS_STAMP)
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 CF="-D__CHECK_ENDIAN__" modules

checkpatch: | $(DEPS_STAMP)
	scripts/checkpatch.sh

# ---- library -------------------------------------------------------------

lib: $(LIB_A) $(LIB_SO) $(LIB_PC)

$(BUILD)/lib/%.pic.o: userlib/%.c userlib/altfutex.h \
		include/uapi/linux/altfutex.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WFLAGS) $(CPPFLAGS_ALL) -fPIC -c -o $@ $<

$(BUILD)/lib/%.o: userlib/%.c userlib/altfutex.h \
		include/uapi/linux/altfutex.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WFLAGS) $(CPPFLAGS_ALL) -c -o $@ $<

$(LIB_A): $(BUILD)/lib/altfutex.o
	$(AR) rcs $@ $^

$(LIB_SO): $(BUILD)/lib/altfutex.pic.o userlib/libaltfutex.map
	$(CC) $(CFLAGS) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=userlib/libaltfutex.map -o $@ $<
	ln -sf libaltfutex.so.$(LIB_VERSION) $(BUILD)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(BUILD)/libaltfutex.so

$(LIB_PC): userlib/altfutex.pc.in
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|/usr/local|' -e 's|@VERSION@|$(LIB_VERSION)|' \
		$< > $@

# ---- tests and examples ----------------------------------------------------

tests: $(TEST_BINS) $(STATIC_TESTS) $(M32_BINS)

$(BUILD)/tests/%: tests/%.c $(wildcard tests/*.h) $(LIB_SO) userlib/altfutex.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WFLAGS) $(CPPFLAGS_ALL) $(PTHREAD) -o $@ $< \
		-L$(BUILD) -laltfutex -lrt

$(BUILD)/tests/link-static: tests/link.c tests/harness.h $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WFLAGS) $(CPPFLAGS_ALL) $(PTHREAD) -static \
		-o $@ $< $(LIB_A)

$(BUILD)/tests/%-m32: tests/%.c $(wildcard tests/*.h) userlib/altfutex.c \
		userlib/altfutex.h include/uapi/linux/altfutex.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(M32_CFLAGS) $(CFLAGS) $(WFLAGS) $(CPPFLAGS_ALL) $(PTHREAD) \
		-o $@ $< userlib/altfutex.c -lrt

examples: $(EXAMPLE_BINS)

$(BUILD)/examples/%: examples/%.c $(LIB_SO) userlib/altfutex.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WFLAGS) $(CPPFLAGS_ALL) $(PTHREAD) -o $@ $< \
		-L$(BUILD) -laltfutex

bench-bin: $(BENCH_BIN)

$(BENCH_BIN): bench/bench.c $(LIB_SO) userlib/altfutex.h \
		include/uapi/linux/altfutex.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WFLAGS) $(CPPFLAGS_ALL) $(PTHREAD) -o $@ $< \
		-L$(BUILD) -laltfutex

# ---- VM --------------------------------------------------------------------

VM_ENV = KVER="$(KVER)" VMLINUZ="$(VMLINUZ)" MODULE="$(MODULE)" \
	BUILD="$(BUILD)" MODPARAMS="$(MODPARAMS)"

# CMD and FILES reach the recipe through the environment (make exports the
# variables given on its command line), so that quotes in them survive.
vm: all
	$(VM_ENV) scripts/vm.sh --cmd "$$CMD" --files "$$FILES"

check: all
	$(VM_ENV) scripts/check.sh

run: all
	$(VM_ENV) scripts/run.sh

bench: all
	$(VM_ENV) scripts/bench.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	rm -rf $(BUILD)
