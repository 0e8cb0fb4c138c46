# SPDX-License-Identifier: GPL-2.0
#
# altfutex: `make` builds the module, the library and the tests;
# `make run` shows it working in a VM; `make check` runs the test suite in a
# VM; `make matrix` runs it on three generations of Debian's kernel;
# `make install` installs it.  The set-up goals (deps, run, check,
# matrix...) install the Debian packages they miss; plain `make` never
# does.

BUILD := build
KCACHE := $(BUILD)/cache/kernels

# Only the set-up goals install missing Debian packages (scripts/deps.sh,
# with apt-get), before anything is read or built; every other goal,
# plain `make` first, installs nothing: it stops, naming what is missing
# and `make deps`, and the scripts it runs only say what they miss
# (ALTFUTEX_NO_APT).
SETUP_GOALS := deps run check check-install matrix check-debug bench peer
ifneq ($(filter $(SETUP_GOALS),$(MAKECMDGOALS)),)
export ALTFUTEX_NO_APT :=
ifneq ($(shell scripts/deps.sh >&2; echo $$?),0)
$(error scripts/deps.sh could not install the packages altfutex needs)
endif
else
export ALTFUTEX_NO_APT := 1
# What the build needs: the stock kernel's headers unless KDIR or KVER
# names another kernel; gcc-multilib for the 32-bit tests.
BUILD_DEPS := gcc make libc6-dev
ifeq ($(origin KDIR)$(origin KVER),undefinedundefined)
BUILD_DEPS += linux-headers-amd64
endif
ifneq ($(filter all tests vm,$(or $(MAKECMDGOALS),all)),)
BUILD_DEPS += gcc-multilib
endif
ifeq ($(filter clean distclean help uninstall,$(MAKECMDGOALS)),)
ifneq ($(shell scripts/deps.sh --check $(BUILD_DEPS) >&2; echo $$?),0)
$(error a package the build needs is missing (above))
endif
endif
endif

# The host's stock kernel (bookworm's: the one linux-headers-amd64 points
# at), read from dpkg's database; reading it installs nothing.
HOST_KVER := $(shell scripts/deps.sh --kver)

# The kernel to build for and boot: the host's stock kernel unless KVER is
# given (a version, e.g. 6.12.117+deb13-amd64, or the name of a suite of
# the matrix, MATRIX_SUITES in scripts/lib.sh: bookworm, trixie, sid).  A
# kernel other than the host's is fetched and built for by
# scripts/kernel.sh, in a build root of its own; KDIR= builds on the host
# against a tree of your choice.
KVER ?= $(HOST_KVER)
MATRIX_SUITES := $(shell bash -c '. scripts/lib.sh && echo "$$MATRIX_SUITES"')
ifneq ($(filter $(MATRIX_SUITES),$(KVER)),)
override KVER := $(shell scripts/kernel.sh version $(KVER))
endif
ifeq ($(origin KDIR),undefined)
ifneq ($(wildcard /usr/src/linux-headers-$(KVER)/Makefile),)
KDIR := /usr/src/linux-headers-$(KVER)
endif
endif
ifdef KDIR
MODULE := altfutex.ko
VMLINUZ ?= /boot/vmlinuz-$(KVER)
KMODDIR ?= /lib/modules/$(KVER)
else
MODULE := $(BUILD)/kernels/$(KVER)/altfutex.ko
VMLINUZ ?= $(KCACHE)/$(KVER)/vmlinuz
KMODDIR ?= $(KCACHE)/$(KVER)/modules
endif

CC ?= cc
CFLAGS ?= -O2 -g
WFLAGS := -Wall -Wextra -Werror -Wno-unused-parameter
CPPFLAGS_ALL := -D_GNU_SOURCE -Iinclude/uapi -Iuserlib $(CPPFLAGS)
PTHREAD := -pthread

LIB_MAJOR := 1
LIB_VERSION := 1.1.0
LIB_SO := $(BUILD)/libaltfutex.so.$(LIB_VERSION)
LIB_SONAME := libaltfutex.so.$(LIB_MAJOR)
LIB_A := $(BUILD)/libaltfutex.a
LIB_PC := $(BUILD)/altfutex.pc
# Where make install puts the library (altfutex.pc says it); the stamp
# holds the PREFIX that altfutex.pc was written for.
PREFIX ?= /usr/local
PREFIX_STAMP := $(BUILD)/prefix

# tests/helpers.c is not a test: it is compiled once (and once more for
# the 32-bit tests) and linked into every test program.
TEST_SRCS := $(filter-out tests/helpers.c,$(wildcard tests/*.c))
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
TEST_HELPERS := $(BUILD)/test-helpers/helpers.o
TEST_HELPERS_M32 := $(BUILD)/test-helpers/helpers-m32.o
# Tests that are also linked statically, to check both ways of linking.
STATIC_TESTS := $(BUILD)/tests/link-static
# Tests also built as 32-bit x86 programs (static, with a 64-bit time_t),
# so that make check runs them through the module's compat_ioctl.
M32_TESTS := eagain eintr einval fd_basic private_flag requeue_basic \
	shared_memfd timeout wait_wake wake_count count_sb
# the extended API's vectors and fused wake-and-wait (issue 17)
M32_TESTS += ext_waitv ext_wakev ext_wake_wait
M32_BINS := $(patsubst %,$(BUILD)/tests/%-m32,$(M32_TESTS))
M32_CFLAGS := -m32 -static -D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64
EXAMPLE_SRCS := $(wildcard examples/*.c)
EXAMPLE_BINS := $(patsubst examples/%.c,$(BUILD)/examples/%,$(EXAMPLE_SRCS))

MODULE_SRCS := $(wildcard module/*.c module/*.h) Kbuild \
	include/uapi/linux/altfutex.h

.PHONY: all module lib tests examples deps vm check run clean distclean \
	sparse checkpatch help bench bench-bin matrix check-debug peer

BENCH_BIN := $(BUILD)/bench/bench
BENCH_PEER := $(BUILD)/bench/libbenchpeer.so

all: module lib tests examples bench-bin

help:
	@echo "make            build the module, libaltfutex, tests, examples"
	@echo "make run        boot a VM, load the module, run the demo"
	@echo "make check      run the test suite in a VM (twice: default"
	@echo "                hash table, then hash_size=1)"
	@echo "make vm CMD='...' FILES='...' MODPARAMS='...'"
	@echo "                run a command in a VM with the module loaded"
	@echo "make check KVER=trixie"
	@echo "                the same on another Debian kernel (bookworm,"
	@echo "                trixie, sid, or a version such as"
	@echo "                6.12.117+deb13-amd64)"
	@echo "make matrix     make check on bookworm's, trixie's and sid's kernels"
	@echo "make check-debug"
	@echo "                make check on a kernel built with lockdep, KASAN,"
	@echo "                kmemleak, UBSAN..., then a kmemleak scan"
	@echo "make check-debug SANITIZER=kcsan"
	@echo "                the same with KCSAN (data races) instead of KASAN"
	@echo "make bench      benchmark altfutex against the kernel futex in"
	@echo "                one VM; writes bench/results.csv, bench/plot.png"
	@echo "make peer       the kernel's futex selftests, stress-ng, C++20"
	@echo "                waits and perf bench futex, native and under"
	@echo "                the preload library, in one VM: a table"
	@echo "make deps       install the Debian packages the build and the"
	@echo "                VM need (the set-up goals do it first too)"
	@echo "make install    install the module, libaltfutex, headers,"
	@echo "                altfutex.pc (PREFIX=/usr/local, DESTDIR=)"
	@echo "make uninstall  remove what make install installed"
	@echo "make check-install"
	@echo "                check make install/uninstall, DKMS, and an"
	@echo "                install in a VM (part of make check)"
	@echo "make sparse     build the module with sparse (C=2)"
	@echo "make checkpatch run checkpatch.pl --strict over the sources"
	@echo "make manlint    lint the manual pages in man/ (make check too)"

# (The packages were installed while the Makefile was read.)
deps:
	@echo "deps: the Debian packages altfutex needs are installed"

# ---- kernel module -------------------------------------------------------

module: $(MODULE)

ifdef KDIR
$(MODULE): $(MODULE_SRCS)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
else
$(MODULE): $(MODULE_SRCS) scripts/kernel.sh
	scripts/kernel.sh module $(KVER) $@
endif

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 CF="-D__CHECK_ENDIAN__" modules

checkpatch:
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

# Written again when PREFIX changes ($(PREFIX_STAMP), install section).
$(LIB_PC): userlib/altfutex.pc.in $(PREFIX_STAMP)
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(LIB_VERSION)|' \
		$< > $@

# ---- drop-in: libaltfutex-preload.so --------------------------------------

# LD_PRELOAD=libaltfutex-preload.so runs a program's syscall(SYS_futex)
# and syscall(SYS_futex_waitv) on the module.  libaltfutex's objects are
# linked in and kept hidden: the library exports syscall() only.  A copy
# goes into $(BUILD)/tests/lib, for tests/preload in the VM (run-tests.sh
# runs the files of $(BUILD)/tests, not its directories).
PRELOAD_SO := $(BUILD)/libaltfutex-preload.so
PRELOAD_OBJS := $(BUILD)/lib/preload.pic.o $(BUILD)/lib/preload_waitv.pic.o \
	$(BUILD)/lib/altfutex.pic.o
PRELOAD_TEST_SO := $(BUILD)/tests/lib/libaltfutex-preload.so

lib: $(PRELOAD_SO)

$(BUILD)/lib/preload.pic.o $(BUILD)/lib/preload_waitv.pic.o: userlib/preload.h

$(PRELOAD_SO): $(PRELOAD_OBJS) userlib/preload.map
	$(CC) $(CFLAGS) -shared -Wl,--version-script=userlib/preload.map \
		-Wl,-z,defs -o $@ $(PRELOAD_OBJS) -ldl

$(PRELOAD_TEST_SO): $(PRELOAD_SO)
	@mkdir -p $(@D)
	cp $< $@

$(BUILD)/tests/preload: $(PRELOAD_TEST_SO)

# ---- tests and examples ----------------------------------------------------

tests: $(TEST_BINS) $(STATIC_TESTS) $(M32_BINS)

# Outside $(BUILD)/tests, whose every file goes into the test VM.
$(TEST_HELPERS): tests/helpers.c tests/helpers.h userlib/altfutex.h \
		include/uapi/linux/altfutex.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WFLAGS) $(CPPFLAGS_ALL) $(PTHREAD) -c -o $@ $<

$(TEST_HELPERS_M32): tests/helpers.c tests/helpers.h userlib/altfutex.h \
		include/uapi/linux/altfutex.h
	@mkdir -p $(@D)
	$(CC) $(M32_CFLAGS) $(CFLAGS) $(WFLAGS) $(CPPFLAGS_ALL) $(PTHREAD) \
		-c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(wildcard tests/*.h) $(TEST_HELPERS) $(LIB_SO) \
		userlib/altfutex.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WFLAGS) $(CPPFLAGS_ALL) $(PTHREAD) -o $@ $< \
		$(TEST_HELPERS) -L$(BUILD) -laltfutex -lrt

$(BUILD)/tests/link-static: tests/link.c $(wildcard tests/*.h) $(TEST_HELPERS) \
		$(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WFLAGS) $(CPPFLAGS_ALL) $(PTHREAD) -static \
		-o $@ $< $(TEST_HELPERS) $(LIB_A)

$(BUILD)/tests/%-m32: tests/%.c $(wildcard tests/*.h) $(TEST_HELPERS_M32) \
		userlib/altfutex.c userlib/altfutex.h include/uapi/linux/altfutex.h
	@mkdir -p $(@D)
	$(CC) $(M32_CFLAGS) $(CFLAGS) $(WFLAGS) $(CPPFLAGS_ALL) $(PTHREAD) \
		-o $@ $< $(TEST_HELPERS_M32) userlib/altfutex.c -lrt

examples: $(EXAMPLE_BINS)

$(BUILD)/examples/%: examples/%.c $(LIB_SO) userlib/altfutex.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WFLAGS) $(CPPFLAGS_ALL) $(PTHREAD) -o $@ $< \
		-L$(BUILD) -laltfutex

bench-bin: $(BENCH_BIN)

# The native peer of the waiter-count page, a library as libc++ is.
$(BENCH_PEER): bench/peer.c bench/peer.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WFLAGS) -fPIC -shared -o $@ $<

$(BENCH_BIN): bench/bench.c bench/peer.h $(LIB_SO) $(BENCH_PEER) \
		userlib/altfutex.h \
		include/uapi/linux/altfutex.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WFLAGS) $(CPPFLAGS_ALL) $(PTHREAD) -o $@ $< \
		-L$(BUILD) -laltfutex -L$(@D) -lbenchpeer -Wl,-rpath,'$$ORIGIN'

# ---- VM --------------------------------------------------------------------

VM_ENV = KVER="$(KVER)" VMLINUZ="$(VMLINUZ)" MODULE="$(MODULE)" \
	KMODDIR="$(KMODDIR)" BUILD="$(BUILD)" MODPARAMS="$(MODPARAMS)"

# CMD and FILES reach the recipe through the environment (make exports the
# variables given on its command line), so that quotes in them survive.
vm: all
	$(VM_ENV) scripts/vm.sh --cmd "$$CMD" --files "$$FILES"

# check-install, then the suite, whose VM files stay in $(BUILD)/vm (make
# matrix keeps them); the last line is the total of both.
check: all
	$(VM_ENV) CHECK_MANLINT=1 scripts/check-total.sh \
		scripts/check-install.sh scripts/check.sh

run: all
	$(VM_ENV) scripts/run.sh

bench: all
	$(VM_ENV) scripts/bench.sh

# Software nobody here wrote (the kernel's futex selftests, stress-ng,
# libstdc++'s C++20 waits, perf bench futex), native and under the
# preload library, in one VM boot: a table and a summary line.
peer: module lib
	$(VM_ENV) scripts/peer.sh

# The same tests on each kernel of the matrix, one VM boot each.
matrix: lib tests
	BUILD="$(BUILD)" scripts/matrix.sh

# The suite on a 6.1 built (once, into $(BUILD)/cache) with the kernel's
# bug detectors, then a kmemleak scan.
check-debug: lib tests
	BUILD="$(BUILD)" MODPARAMS="$(MODPARAMS)" SANITIZER="$(SANITIZER)" \
		scripts/check-debug.sh

# ---- manual pages -----------------------------------------------------------

# mandoc -T lint and groff -ww over every page of man/, their SEE ALSO
# references, a page for every symbol of the library; make check adds its
# counts to its total (scripts/check.sh, CHECK_MANLINT).
.PHONY: manlint
manlint:
	scripts/manlint.sh

# ---- install ---------------------------------------------------------------

# make install [PREFIX=/usr/local] [DESTDIR=] [KRELEASE=]: the module into
# /lib/modules/<its release>/updates, the library, headers, altfutex.pc
# and man pages under PREFIX, /etc/modules-load.d/altfutex.conf; then
# depmod and ldconfig (not with DESTDIR).  make uninstall removes the same
# files: scripts/install.sh has the one list.
ifneq ($(filter-out clean distclean help,$(or $(MAKECMDGOALS),all)),)
ifneq ($(shell cat $(PREFIX_STAMP) 2>/dev/null),$(PREFIX))
$(shell mkdir -p $(BUILD) && echo '$(PREFIX)' >$(PREFIX_STAMP))
endif
endif
INSTALL_ENV = DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" BUILD="$(BUILD)" \
	MODULE="$(MODULE)" KRELEASE="$(KRELEASE)"

.PHONY: install uninstall check-install

install: module lib
	$(INSTALL_ENV) scripts/install.sh install

uninstall:
	$(INSTALL_ENV) scripts/install.sh uninstall

# make install into a stage, checked on the host and, copied onto /, in
# the VM; a DKMS build (scripts/check-install.sh).
check-install: module lib
	$(VM_ENV) CC="$(CC)" scripts/check-install.sh

# clean keeps the downloaded kernels and the build roots ($(BUILD)/cache);
# distclean removes them too.
clean:
	rm -f altfutex.ko altfutex.o altfutex.mod altfutex.mod.[co] \
		altfutex_kunit.ko altfutex_kunit.o altfutex_kunit.mod \
		altfutex_kunit.mod.[co] \
		Module.symvers modules.order module/*.o .*.cmd module/.*.cmd
	rm -rf $(filter-out $(BUILD)/cache,$(wildcard $(BUILD)/* $(BUILD)/.??*))

distclean: clean
	rm -rf $(BUILD)
