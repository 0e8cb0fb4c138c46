#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-debug: the whole test suite (scripts/check.sh: both passes, in
# one boot) on the debug kernel of scripts/debug-kernel.sh (lockdep, KASAN,
# UBSAN, kmemleak, debugobjects, KUnit; booted with panic_on_warn=1), then,
# in the same boot, a kmemleak scan with the module unloaded, which must
# report nothing (the guest's /init clears what the kernel's own boot left
# before the module is first loaded).  tests/kunit loads the module's
# KUnit suites (altfutex_kunit.ko, built beside altfutex.ko) and checks
# their results.
# With SANITIZER=kcsan, the same on the KCSAN variant of that kernel
# (KASAN off, KCSAN on: scripts/debug-kernel-kcsan.config), in
# $BUILD/debug-kcsan.
#
#   scripts/check-debug.sh
#
# The kernel is built on first use (6.5 minutes on 2 idle cores, 8 to 15
# on a busy machine) and cached in $BUILD/cache/debug-kernel; altfutex.ko is
# built against it in $BUILD/debug/src, from a copy of module/, include/
# and Kbuild, so that the top of the tree (the stock kernel's altfutex.ko
# and objects) is not touched.  The suite then takes 20-25 minutes.  The
# VM runs in $BUILD/debug (its console log: $BUILD/debug/vm/console.log),
# so that a `make check` may run meanwhile.
# The last line of the output is check.sh's total, the kmemleak scan
# counted as one more test:
#   N passed, N failed, N skipped
# Exit status: 0 if nothing failed (a kernel or module build that fails
# is one failure), 2 for bad usage.
#
# Environment:
#   BUILD       build directory, with the tests built in $BUILD/tests
#               (default: build; `make check-debug` builds them first)
#   MODPARAMS   module parameters of the first pass (default: none)
#   SANITIZER   kasan (default) or kcsan
#   VM_TIMEOUT  seconds before the VM is killed (default: 7200)
#   ALTFUTEX_TEST_SCALE  the tests' own watchdogs are this many times
#               longer (default: 3; t_time_scale() in tests/helpers.c)
#   ALTFUTEX_TEST_TIMEOUT  seconds per test (default: 300 times that)
#   VM_APPEND   more kernel command line
#   MODULE_SRC  where module/, include/ and Kbuild are copied from
#               (default: the top of this tree)
#   and those of scripts/debug-kernel.sh and scripts/vm.sh (VM_MEM...).
set -euo pipefail

me=check-debug
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
# A step before the tests failed: that is one failure.
fail() {
	echo "$me: error: $*" >&2
	summary 0 1 0
	exit 1
}

case $# in
0) ;;
*)
	case $1 in
	-h|--help) usage_text 4 '/^set -e/'; exit 0 ;;
	esac
	echo "usage: scripts/check-debug.sh (no arguments; see the top of it)" >&2
	exit 2 ;;
esac

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
t0=$(now_ns)
[ -d "$BUILD/tests" ] ||
	die "no $BUILD/tests: build the tests first (make, or make check-debug)"
for f in "$BUILD"/libaltfutex.so.*; do
	[ -e "$f" ] || die "no $BUILD/libaltfutex.so.*: build the library first (make)"
done

# ---- the kernel ------------------------------------------------------------

info=$(scripts/debug-kernel.sh) || fail "scripts/debug-kernel.sh failed"
KDIR='' VMLINUZ='' KVER='' KMODDIR=''
eval "$info"
[ -n "$KDIR" ] && [ -n "$VMLINUZ" ] && [ -n "$KVER" ] ||
	fail "scripts/debug-kernel.sh gave no KDIR, VMLINUZ or KVER"
t_kernel=$(now_ns)

# ---- the module, built against it, out of the tree -------------------------

case ${SANITIZER:=kasan} in
kasan) dbuild=$BUILD/debug ;;
kcsan) dbuild=$BUILD/debug-kcsan ;;
*) die "SANITIZER must be kasan or kcsan, not '$SANITIZER'" ;;
esac
export SANITIZER
src=$dbuild/src
say "building altfutex.ko for $KVER in $src"
msrc=${MODULE_SRC:-.}
for f in module include Kbuild; do
	[ -e "$msrc/$f" ] || die "no $msrc/$f (MODULE_SRC)"
done
rm -rf "$src"
mkdir -p "$src"
cp -R "$msrc/module" "$msrc/include" "$msrc/Kbuild" "$src/"
src=$(cd "$src" && pwd)
if ! make -C "$KDIR" M="$src" modules >"$dbuild/module-build.log" 2>&1; then
	sed 's/^/  | /' "$dbuild/module-build.log" >&2
	fail "the module does not build against $KDIR"
fi
if grep -E 'warning:|WARNING:' "$dbuild/module-build.log" >&2; then
	fail "the module build against $KDIR warns ($dbuild/module-build.log)"
fi
module=$src/altfutex.ko
[ -f "$module" ] || fail "no $module after the build"
t_module=$(now_ns)

# ---- the guest's files: a build directory of the debug run's own -----------

# scripts/vm.sh keeps its VM in $BUILD/vm: the debug run gets $dbuild, with
# copies of the tests and the library.
rm -rf "$dbuild/tests"
cp -R "$BUILD/tests" "$dbuild/tests"
rm -f "$dbuild"/libaltfutex.so*
cp -P "$BUILD"/libaltfutex.so* "$dbuild/"

# After both passes (scripts/check.sh's CHECK_EPILOGUE), tests/run-tests.sh
# runs the leak scan as one more test, named kmemleak and labelled debug:
# it times it, fails it if the kernel logs a report meanwhile and sends
# the result to the result port, as for every other test.
rm -rf "$dbuild/leakscan"
mkdir -p "$dbuild/leakscan"
cat >"$dbuild/leakscan/kmemleak" <<'EOF'
#!/bin/sh
# kmemleak after the tests, with the module unloaded: what it allocated
# and did not free is then unreferenced.  The module is loaded again
# afterwards, for /init's own unload check.  Written by
# scripts/check-debug.sh.
k=/sys/kernel/debug/kmemleak
[ -e "$k" ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
if [ ! -w "$k" ]; then
	echo "kmemleak: no $k: is this the debug kernel (CONFIG_DEBUG_KMEMLEAK)?"
	exit 1
fi
loaded=
if [ -d /sys/module/altfutex ]; then
	tries=0
	until err=$(rmmod altfutex 2>&1); do
		tries=$((tries + 1))
		if [ "$tries" -ge 50 ]; then
			echo "kmemleak: cannot unload the module: $err"
			exit 1
		fi
		sleep 0.2
	done
	loaded=1
fi
# An object is reported once it is 5 s old and two scans in a row found
# no reference to it.
sleep 6
{ echo scan >"$k" && sleep 6 && echo scan >"$k"; } || exit 1
leaks=$(cat "$k")
if [ -n "$loaded" ]; then
	set -f
	# shellcheck disable=SC2086 # the parameters are separate words
	insmod "$ALTFUTEX_KO" $ALTFUTEX_PARAMS ||
		echo "kmemleak: warning: could not load the module again"
	set +f
fi
if [ -n "$leaks" ]; then
	n=$(printf '%s\n' "$leaks" | grep -c '^unreferenced object')
	echo "kmemleak: $n suspected leak(s):"
	printf '%s\n' "$leaks" | sed 's/^/  /'
	exit 1
fi
echo "kmemleak: no leak"
EOF
chmod +x "$dbuild/leakscan/kmemleak"

# ---- the run ---------------------------------------------------------------

# panic_on_warn=1: a WARN is fatal.  zram.num_devices=2: swap and disk,
# zram being built in.  acpi=noirq: PCI interrupts routed from the BIOS's
# table, not by ACPI, whose interpreter runs the _PRT method of QEMU's
# i440FX so slowly under TCG with kmemleak that ACPICA gives up after its
# 30 s loop limit (AE_AML_LOOP_TIMEOUT) and the result port gets no IRQ.
# ALTFUTEX_TEST_SCALE (in the guest's environment: the kernel hands
# name=value words it does not know to init): the tests' own watchdogs
# are meant for the stock kernel, which runs them several times faster.
wscale=${ALTFUTEX_TEST_SCALE:-3}
case $wscale in
''|*[!0-9]*|0) die "ALTFUTEX_TEST_SCALE must be a positive number" ;;
esac
test_timeout=${ALTFUTEX_TEST_TIMEOUT:-$((300 * wscale))}
append="panic_on_warn=1 zram.num_devices=2 acpi=noirq"
append+=" ALTFUTEX_TEST_SCALE=$wscale${VM_APPEND:+ $VM_APPEND}"
say "kernel $KVER ($(secs $((t_kernel - t0)))s), module" \
	"($(secs $((t_module - t_kernel)))s); booting $VMLINUZ with '$append'"
last=$dbuild/last-line
: >"$last"
rc=0
# The count line of check.sh comes last, after our figures: hold each line
# back until the next one arrives.
KVER=$KVER VMLINUZ=$VMLINUZ MODULE=$module BUILD=$dbuild \
	KMODDIR=${KMODDIR:-} \
	VM_APPEND=$append \
	VM_TIMEOUT=${VM_TIMEOUT:-7200} \
	ALTFUTEX_TEST_TIMEOUT=$test_timeout \
	CHECK_EPILOGUE="sh ./run-tests.sh -t $test_timeout -l debug leakscan" \
	CHECK_FILES="$dbuild/leakscan" \
	scripts/check.sh | {
		prev='' have=''
		while IFS= read -r line; do
			[ -z "$have" ] || printf '%s\n' "$prev"
			prev=$line have=1
		done
		printf '%s\n' "$prev" >"$last"
	} || rc=$?
boot=$(verdict "$dbuild" boot)
vmtime=$(verdict "$dbuild" elapsed)
say "kernel $(secs $((t_kernel - t0)))s," \
	"module $(secs $((t_module - t_kernel)))s," \
	"VM ${vmtime:-?}s (boot ${boot:-?}s), total $(since "$t0")s;" \
	"console: $dbuild/vm/console.log"
line=$(cat "$last")
if ! is_summary "$line"; then
	[ -z "$line" ] || echo "$line"
	summary 0 1 0
	exit 1
fi
echo "$line"
exit "$rc"
