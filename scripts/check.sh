#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: the whole test suite, in one boot of the VM, twice: with the
# module loaded with its default parameters (and $MODPARAMS), then reloaded
# with hash_size=1 (every key in one hash bucket).
#
#   scripts/check.sh
#
# Every executable in $BUILD/tests runs under tests/run-tests.sh in the
# guest (scripts/vm.sh), which prints a PASS/FAIL/SKIP line per test and
# pass.  The last line of the output is the total over both passes:
#   N passed, N failed, N skipped
# A test during which the guest kernel logged a warning, BUG, Oops, lockdep
# report... fails.  A run that went wrong as a whole (such a report outside
# any test; the module did not unload; the VM crashed or timed out) counts
# as one more failure, with the reason printed before.
# Exit status: 0 if nothing failed.
#
# With CHECK_MANLINT=1 (make check sets it), the manual pages are linted
# first, on the host (scripts/manlint.sh): its PASS/FAIL line per page
# comes before the VM's, and its counts are added to the total.
#
# Environment: as scripts/vm.sh; VM_TIMEOUT defaults to 2400 s here, and
# ALTFUTEX_TEST_TIMEOUT (default 300 s) bounds each test.  For
# scripts/check-debug.sh's kmemleak scan:
#   CHECK_EPILOGUE  a command that the guest runs (sh -c, in /work) after
#                   both passes, with the module loaded; it reports on the
#                   result port as a test does (TEST PASS|FAIL NAME ...),
#                   and its failure fails the run
#   CHECK_FILES     more files for the guest's /work (space-separated)
set -euo pipefail

me=check
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export VM_TIMEOUT=${VM_TIMEOUT:-2400}
test_timeout=${ALTFUTEX_TEST_TIMEOUT:-300}
case $test_timeout in
''|*[!0-9]*) die "ALTFUTEX_TEST_TIMEOUT must be a number of seconds" ;;
esac
[ -d "$BUILD/tests" ] || die "no $BUILD/tests: build the tests first (make)"

# The manual pages, on the host, before the VM: their counts join the total.
man_p=0 man_f=0 man_s=0
if [ "${CHECK_MANLINT:-0}" = 1 ]; then
	mlog=$(mktemp)
	mrc=0
	scripts/manlint.sh >"$mlog" 2>&1 || mrc=$?
	grep -avE "$SUMMARY_RE" "$mlog" || true
	read -r man_p man_f man_s <<<"$(summary_counts \
		"$(run_summary "$mlog" "$mrc" || true)")"
	rm -f "$mlog"
fi

# In the guest, in /work: tests/ holds the test binaries.
cmd="sh ./run-tests.sh -t $test_timeout -l hash=default tests; a=\$?
sh ./run-tests.sh -t $test_timeout -l hash=1 -p \"\${ALTFUTEX_PARAMS:+\$ALTFUTEX_PARAMS }hash_size=1\" tests; b=\$?
e=0${CHECK_EPILOGUE:+
{ $CHECK_EPILOGUE
\} || e=\$?}
[ \$a -eq 0 ] && [ \$b -eq 0 ] && [ \$e -eq 0 ]"

stamp=$(mktemp)
trap 'rm -f "$stamp"' EXIT
rc=0
scripts/vm.sh --cmd "$cmd" \
	--files "$BUILD/tests tests/run-tests.sh${CHECK_FILES:+ $CHECK_FILES}" ||
	rc=$?

res=$BUILD/vm/result
if [ ! "$BUILD/vm/verdict" -nt "$stamp" ]; then
	echo "$me: the VM did not run (scripts/vm.sh: status $rc)"
	summary "$man_p" $((man_f + 1)) "$man_s"
	exit 1
fi
count() {
	grep -c "^TEST $1 " "$res" || true
}
passed=$(count PASS)
failed=$(count FAIL)
skipped=$(count SKIP)

# The run as a whole: scripts/vm.sh has said what went wrong.  A kernel log
# report that a test already failed for is not counted twice.
problems=$(verdict "$BUILD" problem)
if grep -q '^TEST FAIL .* klog$' "$res"; then
	problems=$(printf '%s\n' "$problems" | grep -v '^klog ' || true)
fi
if [ -n "$problems" ]; then
	echo "$me: one more failure for the VM run:"
	printf '%s\n' "$problems" | cut -d ' ' -f 2- | sed "s/^/$me:   /"
	failed=$((failed + 1))
elif [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "$me: the test run exited with status $rc but no test failed;" \
		"counting one failure"
	failed=$((failed + 1))
elif [ $((passed + failed + skipped)) -eq 0 ]; then
	echo "$me: no test ran; counting one failure"
	failed=1
fi

passed=$((passed + man_p)) failed=$((failed + man_f))
skipped=$((skipped + man_s))
summary "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ]
