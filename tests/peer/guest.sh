#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make peer's guest side (scripts/peer.sh copies it into the VM with the
# programs): software nobody here wrote, run natively and then under
# LD_PRELOAD=libaltfutex-preload.so in the same boot, with altfutex loaded.
#
#   sh guest.sh DIR
#   sh guest.sh --bench DIR   the perf bench rows only, as make bench's
#                             "ROW NAME NATIVE ALTFUTEX RATIO UNIT SPREAD
#                             SPREAD" (DIR: perf and the preload library)
#
# DIR holds bin/ (the kernel's futex selftests and their run.sh, whose
# commands are the rows), cxx20, stress-ng, perf and
# libaltfutex-preload.so.  Each case prints one line for the host:
#   peer-row: NAME|NATIVE|PRELOADED|CALLS|VERDICT|NOTE
# NATIVE and PRELOADED are pass, fail (exit status N), timeout or skip;
# CALLS is how many ioctls the module counted while the preloaded run ran
# (its statistics file), which says that the program's futexes did reach
# it.  VERDICT is PASS, FAIL or SKIP (a difference this file explains, in
# NOTE).  perf bench prints
#   peer-bench: WORKLOAD,NATIVE,PRELOADED,RATIO,UNIT
# (RATIO: preloaded cost / native cost, lower is better: the columns of
# make bench's results.csv).  The last line is the summary.
mode=peer
if [ "${1:-}" = --bench ]; then
	mode=bench
	shift
fi
dir=${1:?usage: guest.sh [--bench] DIR}
cd "$dir" || exit 1
dir=$(pwd)
preload=$dir/libaltfutex-preload.so
stats=/sys/kernel/debug/altfutex/stats
limit=${PEER_TIMEOUT:-240}
passed=0 failed=0 skipped=0

[ -r "$stats" ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# a missing statistics file makes every count 0: the rows then fail
calls() {
	awk '/^calls_/ { n += $2 } END { print n + 0 }' "$stats" 2>/dev/null ||
		echo 0
}

# outcome STATUS: pass, skip (kselftest's 4), timeout or fail (status N)
outcome() {
	case $1 in
	0) echo pass ;;
	4) echo skip ;;
	124 | 143) echo timeout ;;
	*) echo "fail (status $1)" ;;
	esac
}

# ---- perf bench futex: native and preloaded, in turn ----------------------

# bench_one ARGS...: the figure of one run of perf bench futex ARGS, or ""
bench_one() {
	timeout "$limit" ./perf bench futex "$@" 2>&1 | awk '
		/^Averaged/ { v = $2 }
		/ in [0-9.]+ ms \(/ { for (i = 1; i < NF; i++)
			if ($i == "in") v = $(i + 1) }
		END { print v }'
}

# median V...: the middle one of three figures (none if any is missing)
median() {
	[ $# -eq 3 ] && printf '%s\n' "$@" | sort -n | sed -n 2p
}

# spread V...: (max - min) / median of three figures, in percent
spread() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
		END { printf "%.0f", v[2] ? (v[3] - v[1]) * 100 / v[2] : 0 }'
}

# bench NAME UNIT ARGS...: ops/s (higher better) or ms (lower better); the
# median of 3 runs each way, in turn (one run of the smaller ones is too
# noisy under TCG: a few threads, well under a millisecond)
bench() {
	name=$1 unit=$2
	shift 2
	nats='' pres='' n=0
	for _ in 1 2 3; do
		nats="$nats $(bench_one "$@")"
		c0=$(calls)
		pres="$pres $(LD_PRELOAD=$preload bench_one "$@")"
		n=$((n + $(calls) - c0))
	done
	# shellcheck disable=SC2086 # a figure a word
	nat=$(median $nats) pre=$(median $pres)
	if [ -z "$nat" ] || [ -z "$pre" ] || [ "$n" -eq 0 ]; then
		echo "peer-row: perf bench futex $*|${nat:-no figure}|${pre:-no figure}|$n|FAIL|no figure, or nothing reached the module"
		failed=$((failed + 1))
		return
	fi
	ratio=$(awk -v n="$nat" -v p="$pre" -v u="$unit" 'BEGIN {
		printf "%.3f", u == "ops/s" ? n / p : p / n }')
	if [ "$mode" = bench ]; then
		# shellcheck disable=SC2086 # a figure a word
		echo "ROW perf-$name $nat $pre $ratio $unit $(spread $nats)" \
			"$(spread $pres)"
	else
		echo "peer-bench: perf-$name,$nat,$pre,$ratio,$unit"
	fi
}

perf_benches() {
	bench hash ops/s hash -r 2 -t 2
	bench wake ms wake -t 8
	bench wake-parallel ms wake-parallel -t 8 -w 2
	bench requeue ms requeue -t 8
	bench hash-shared ops/s hash -r 2 -t 2 -S
	bench wake-shared ms wake -t 8 -S
}

# make bench's rows only (scripts/bench.sh)
if [ "$mode" = bench ]; then
	perf_benches
	exit 0
fi

# row NAME EXPECT WHY CMD...: run CMD natively and preloaded.  EXPECT:
#   module  both pass, and the preloaded run reaches the module;
#   pi      both pass: the PI operations go to the kernel under the
#           preload, any other to the module (the ioctls counted);
#   differs the preloaded run fails for the reason WHY, a feature the
#           module does not have (or cannot: robust_list): a SKIP, not
#           a PASS;
#   any     a program this file does not know: both pass (a SKIP if
#           nothing reached the module).
# $row_limit, if set, is the time limit of the preloaded run (seconds).
row() {
	name=$1 expect=$2 why=$3
	shift 3
	log=/tmp/peer-$(echo "$name" | tr -c 'A-Za-z0-9_\n-' _)
	timeout "$limit" "$@" >"$log.native" 2>&1
	native=$(outcome $?)
	c0=$(calls)
	LD_PRELOAD=$preload ALTFUTEX_PRELOAD_STATS=1 \
		timeout "${row_limit:-$limit}" "$@" >"$log.preload" 2>&1
	pst=$?
	c1=$(calls)
	pre=$(outcome $pst)
	n=$((c1 - c0))
	note=
	if [ "$native" = skip ]; then
		verdict=SKIP note="skipped natively"
	elif [ "$native" != pass ]; then
		# the kernel's own futex fails it here (7.x's futex_numa_mpol
		# times out under TCG): it says nothing of altfutex
		verdict=SKIP note="fails natively too: nothing to compare"
	elif [ "$expect" = differs ]; then
		if [ "$pre" = pass ]; then
			verdict=PASS note="passes, though expected to differ: $why"
		else
			verdict=SKIP note=$why
		fi
	elif [ "$pre" != pass ]; then
		verdict=FAIL note="preloaded run fails"
	elif [ "$expect" = module ] && [ "$n" -eq 0 ]; then
		verdict=FAIL note="no operation reached the module"
	elif [ "$expect" = any ] && [ "$n" -eq 0 ]; then
		verdict=SKIP
		note="passes, but none of its operations reached the module: the preload left them to the kernel"
	else
		verdict=PASS
		[ "$expect" = pi ] && note=$why
	fi
	echo "peer-row: $name|$native|$pre|$n|$verdict|$note"
	if [ "$verdict" = SKIP ] && [ "$native" = pass ]; then
		# what differs, in the program's own words
		grep -E '^not ok|FAIL|ERROR' "$log.preload" | head -n 5 |
			sed "s/^/peer: $name: /"
	fi
	if [ "$verdict" = FAIL ]; then
		echo "peer: $name, native run:"
		tail -n 15 "$log.native" | sed 's/^/peer: | /'
		echo "peer: $name, preloaded run:"
		tail -n 25 "$log.preload" | sed 's/^/peer: | /'
	fi
	case $verdict in
	PASS) passed=$((passed + 1)) ;;
	FAIL) failed=$((failed + 1)) ;;
	*) skipped=$((skipped + 1)) ;;
	esac
}

# ---- the kernel's futex selftests (tools/testing/selftests/futex) ---------

# selftest NAME: "EXPECT|WHY" of row() for the selftest NAME.  Those this
# file does not know (a newer kernel's) are "any": both runs must pass.
selftest() {
	case $1 in
	futex_requeue_pi)
		echo "pi|PI operations to the kernel, FUTEX_WAKE to the module" ;;
	futex_requeue_pi_signal_restart)
		echo "pi|PI operations to the kernel" ;;
	futex_requeue_pi_mismatched_ops)
		echo "differs|its FUTEX_WAIT goes to the module and FUTEX_CMP_REQUEUE_PI to the kernel, which finds no waiter (0, not EINVAL); 6.x's then joins a waiter nobody wakes (a hang)" ;;
	robust_list)
		echo "differs|a dying owner's robust futexes are woken by the kernel on its own futex: a waiter on the module is not woken and times out (3 of its 17 cases)" ;;
	futex_wait_timeout)
		echo "pi|its PI cases on the kernel, the others (FUTEX_WAIT_BITSET with the bitset 1, futex_waitv) on the module" ;;
	futex_wait | futex_wait_wouldblock | futex_wait_uninitialized_heap | \
	futex_wait_private_mapped_file | futex_requeue | futex_waitv)
		echo "module|" ;;
	*) echo "any|" ;;
	esac
}

# selftest_row NAME [ARGS]: one run of the selftest NAME
selftest_row() {
	e=$(selftest "$1")
	# mismatched_ops hangs by design where the kernel does not refuse
	row_limit=
	[ "$1" != futex_requeue_pi_mismatched_ops ] || row_limit=30
	# shellcheck disable=SC2086 # the words of $2 are its options
	row "$1${2:+ $2}" "${e%%|*}" "${e#*|}" "bin/$1" $2
	row_limit=
}

# The commands of the selftests' own run.sh ("./futex_x $COLOR -b ..."),
# then any program it does not run (which their Makefile runs too).
# shellcheck disable=SC2016 # $COLOR is run.sh's text, not ours to expand
sed -n 's/^\.\/\(futex[A-Za-z0-9_]*\) *\(.*\)$/\1 \2/p' bin/run.sh |
	sed 's/\$COLOR//; s/  */ /g; s/ *$//' | awk '!seen[$0]++' >/tmp/peer-runs
for t in bin/*; do
	case ${t#bin/} in run.sh) continue ;; esac
	grep -qE "^${t#bin/}( |\$)" /tmp/peer-runs || echo "${t#bin/}"
done >/tmp/peer-more
cat /tmp/peer-more >>/tmp/peer-runs
# (one that did not build has its row from the host)
while read -r name args; do
	[ ! -x "bin/$name" ] || selftest_row "$name" "$args"
done </tmp/peer-runs

# ---- libstdc++ and stress-ng ------------------------------------------------

row "C++20 atomic wait, semaphore, latch, barrier" module "" ./cxx20
row "stress-ng --futex 2 -t 5" module "" \
	./stress-ng --futex 2 --timeout 5 --metrics-brief
row "stress-ng --futex 2 -t 5 --verify" module "" \
	./stress-ng --futex 2 --timeout 5 --verify

# ---- perf bench futex --------------------------------------------------------

[ ! -x ./perf ] || perf_benches

echo "$passed passed, $failed failed, $skipped skipped"
