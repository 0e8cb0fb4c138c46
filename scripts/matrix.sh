#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make matrix: the whole test suite (make check: both passes, one VM boot)
# on the stock kernel of each Debian suite of the matrix (MATRIX_SUITES, in
# scripts/lib.sh), one after the other:
#   bookworm  6.1, the host's own kernel
#   trixie    6.12
#   sid       the newest (7.x)
# (scripts/kernel.sh finds each version in its suite's index, fetches it
# and builds the module for it).
#
#   scripts/matrix.sh [SUITE|KVER...]    default: those suites
#
# Prints one summary line per kernel, then the total over all of them:
#   matrix: 7.2.13+deb14-amd64 (sid): 82 passed, 0 failed, 2 skipped in 6m12s
#   ...
#   246 passed, 0 failed, 6 skipped
# A kernel whose module did not build, or whose run ended without a
# summary, counts as one failure.  Each kernel's logs are kept in
# $BUILD/matrix/KVER/ (console.log, output.log, result, verdict, check.log).
# Exit status: 0 if nothing failed.
#
# Environment: BUILD (default: build); the rest as scripts/check.sh.
set -uo pipefail

me=matrix
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}

# shellcheck disable=SC2086 # one suite a word
[ $# -gt 0 ] || set -- $MATRIX_SUITES

fmt_time() {
	echo "$(($1 / 60))m$(printf '%02d' $(($1 % 60)))s"
}

lines=() sums=()
for k in "$@"; do
	case " $MATRIX_SUITES " in
	*" $k "*)
		suite=$k
		if ! kver=$(scripts/kernel.sh version "$k"); then
			lines+=("$me: $k: could not find its kernel: 1 failure")
			sums+=("$(summary 0 1 0)")
			continue
		fi ;;
	*)
		suite=
		kver=$k ;;
	esac
	label=$kver${suite:+ ($suite)}
	out=$BUILD/matrix/$kver
	rm -rf "$out"
	mkdir -p "$out"
	echo "$me: ==== $label ===="
	t0=$(date +%s)
	make --no-print-directory check KVER="$kver" BUILD="$BUILD" 2>&1 |
		tee "$out/check.log"
	dt=$(($(date +%s) - t0))
	for f in console.log output.log result verdict console-crash-1.log \
		console-crash-2.log console-rerun.log; do
		[ ! -f "$BUILD/vm/$f" ] || [ ! "$BUILD/vm/$f" -nt "$out" ] ||
			cp "$BUILD/vm/$f" "$out/"
	done
	note=
	sum=$(run_summary "$out/check.log") ||
		note=" (no summary: the build or the VM failed; see $out/check.log)"
	sums+=("$sum")
	lines+=("$me: $label: $sum in $(fmt_time "$dt")$note")
done

echo
printf '%s\n' "${lines[@]}"
printf '%s\n' "${sums[@]}" | summary_total
