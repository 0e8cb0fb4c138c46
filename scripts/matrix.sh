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
summary_re='^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$'

# shellcheck disable=SC2086 # one suite a word
[ $# -gt 0 ] || set -- $MATRIX_SUITES

fmt_time() {
	echo "$(($1 / 60))m$(printf '%02d' $(($1 % 60)))s"
}

total_p=0 total_f=0 total_s=0
lines=()
for k in "$@"; do
	case " $MATRIX_SUITES " in
	*" $k "*)
		suite=$k
		if ! kver=$(scripts/kernel.sh version "$k"); then
			lines+=("$me: $k: could not find its kernel: 1 failure")
			total_f=$((total_f + 1))
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
		console-crash-2.log; do
		[ ! -f "$BUILD/vm/$f" ] || [ ! "$BUILD/vm/$f" -nt "$out" ] ||
			cp "$BUILD/vm/$f" "$out/"
	done
	sum=$(grep -E "$summary_re" "$out/check.log" | tail -n 1)
	if [ -z "$sum" ]; then
		sum="0 passed, 1 failed, 0 skipped"
		note=" (no summary: the build or the VM failed; see $out/check.log)"
	else
		note=
	fi
	read -r p _ f _ s _ <<<"${sum//,/}"
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
	lines+=("$me: $label: $sum in $(fmt_time "$dt")$note")
done

echo
printf '%s\n' "${lines[@]}"
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
