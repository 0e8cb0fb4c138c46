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

# The Debian suites whose stock kernels make the matrix (make matrix,
# scripts/kernel.sh), the host's own first: bookworm's 6.1, trixie's 6.12
# and sid's newest (7.x).  The Makefile reads it from here too.
# shellcheck disable=SC2034 # used by the scripts that source this file
MATRIX_SUITES="bookworm trixie sid"
