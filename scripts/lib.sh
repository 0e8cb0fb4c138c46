# shellcheck shell=bash disable=SC2154
# ($me is set by the script that sources this file.)
# SPDX-License-Identifier: GPL-2.0
#
# Helpers the host-side scripts share.  Each script sets $me (the name its
# messages start with) and then sources this file:
#
#	me=vm
#	. "$(dirname "$0")/lib.sh"

# Print an error and leave with status 2, "the tool failed", which callers
# tell apart from 1, "a test failed".
die() {
	echo "$me: error: $*" >&2
	exit 2
}

# A progress line, on standard error so that it never mixes with what a
# script prints for its caller to read.
say() {
	echo "$me: $*" >&2
}

# usage_text FIRST LAST: lines FIRST to LAST (line numbers, or a sed
# address such as /^set -e/) of the calling script's header comment,
# without their "# ": its usage or help text.
usage_text() {
	sed -n "$1,$2s/^# \{0,1\}//p" "$0"
}

now_ns() {
	date +%s%N
}

# Seconds, with one decimal, of a nanosecond count.
secs() {
	local ds=$(($1 / 100000000))
	echo "$((ds / 10)).$((ds % 10))"
}

# Seconds, with one decimal, since now_ns gave T0.
since() {
	secs $(($(now_ns) - $1))
}

# verdict BUILD KEY: the values of KEY in the verdict that scripts/vm.sh
# left in BUILD/vm (status, boot, elapsed, problem), one a line; nothing
# when there is none.
verdict() {
	sed -n "s/^$2=//p" "$1/vm/verdict" 2>/dev/null || true
}

# The Debian suites whose stock kernels make the matrix (make matrix,
# scripts/kernel.sh), the host's own first: bookworm's 6.1, trixie's 6.12
# and sid's newest (7.x).  The Makefile reads it from here too.
# shellcheck disable=SC2034 # used by the scripts that source this file
MATRIX_SUITES="bookworm trixie sid"

# ---- the summary line ------------------------------------------------------

# make check, make check-debug, make matrix and .ci/run each end with the
# count of their tests:
#   N passed, N failed, N skipped
# (tests/run-tests.sh, in the guest, prints its own, after a prefix.)
SUMMARY_RE='^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$'

# summary P F S: the line.
summary() {
	echo "$1 passed, $2 failed, $3 skipped"
}

# is_summary LINE: is it a summary line?
is_summary() {
	[[ $1 =~ $SUMMARY_RE ]]
}

# summary_counts LINE: "P F S" of a summary line; fails for any other line.
summary_counts() {
	is_summary "$1" || return 1
	echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]}"
}

# run_summary LOG [STATUS]: the summary line that a run counts for, from
# its output (the file LOG) and its exit status STATUS (default 0): the
# last summary line in LOG.  A run that ended without one counts as one
# failure (status 1); a non-zero STATUS with 0 failed also counts as one
# failure (status 2).
run_summary() {
	local s p f k
	s=$(grep -aE "$SUMMARY_RE" "$1" | tail -n 1) || true
	if [ -z "$s" ]; then
		summary 0 1 0
		return 1
	fi
	read -r p f k <<<"$(summary_counts "$s")"
	if [ "${2:-0}" -ne 0 ] && [ "$f" -eq 0 ]; then
		summary "$p" 1 "$k"
		return 2
	fi
	echo "$s"
}

# summary_total: the summary line of the total of those on standard input
# (a line that is not one counts as one failure); fails if any test did.
summary_total() {
	local line p=0 f=0 k=0 a b c
	while IFS= read -r line; do
		read -r a b c <<<"$(summary_counts "$line" || echo 0 1 0)"
		p=$((p + a)) f=$((f + b)) k=$((k + c))
	done
	summary "$p" "$f" "$k"
	[ "$f" -eq 0 ]
}
