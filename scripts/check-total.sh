#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run several test scripts one after the other and end with the total of
# their summary lines (make check: scripts/check-install.sh, then
# scripts/check.sh).
#
#   scripts/check-total.sh SCRIPT...
#
# Each SCRIPT runs with no argument, its output shown as it comes, and
# counts for the last summary line it printed
#   N passed, N failed, N skipped
# or for one failure when it printed none, or failed with no test failed
# (run_summary, scripts/lib.sh).  All of them run, whatever the others
# did.  The last line is the total; the exit status is 0 if nothing failed.
set -uo pipefail

me=check-total
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || die "usage: scripts/check-total.sh SCRIPT..."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for s in "$@"; do
	i=$((i + 1))
	r=0
	"$s" 2>&1 | tee "$tmp/$i.log" || r=$?
	why=0
	run_summary "$tmp/$i.log" "$r" >"$tmp/$i.sum" || why=$?
	case $why in
	1) echo "$me: $s ended (status $r) without a summary: one failure" ;;
	2) echo "$me: $s failed (status $r) though no test did: one failure" ;;
	esac
done
echo "$me: the total of $*:"
cat "$tmp"/*.sum | summary_total
