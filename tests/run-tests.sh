#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The test runner (busybox sh, or any POSIX sh); scripts/check.sh runs it
# in the VM, as root.
#
#   run-tests.sh [-t SECONDS] [-l LABEL] [-p MODPARAMS] DIR
#
# Runs every executable file in DIR, in name order, each in a new session
# with stdin from /dev/null and at most SECONDS to live (default:
# $ALTFUTEX_TEST_TIMEOUT or 300; the tests' own watchdogs go up to 240 s).
# It shows the test's output, then one line:
#   PASS  name [LABEL] 0.8s                       exit status 0
#   SKIP  name [LABEL] 0.0s                       exit status 77
#   FAIL  name [LABEL] 1.2s (exit status 1)       anything else, e.g.
#   FAIL  name [LABEL] 300.0s (timed out after 300 s, killed)
# and at the end a summary line.  Exit status: 0 unless a test failed.
#
# The altfutex module:
#   -p MODPARAMS   unload the module and load $ALTFUTEX_KO with MODPARAMS
#                  before the first test; $ALTFUTEX_PARAMS becomes MODPARAMS.
#   Before each test and at the end, if the module is not loaded (a test
#   unloads and reloads it itself, and may fail in between), it is loaded
#   again from $ALTFUTEX_KO with $ALTFUTEX_PARAMS.
#
# After each test, the processes it left behind are killed: those of its
# session.  In the VM (scripts/vm-init.sh sets $ALTFUTEX_VM_RESULT), where
# nothing else runs, those of every session but 0 and ours.
#
# In the VM, moreover:
#  - every result also goes to the result port $ALTFUTEX_VM_RESULT as
#      TEST PASS|FAIL|SKIP <name> <LABEL> <seconds> [klog]
#  - the kernel log is cleared before each test, and a test during which
#    the kernel logged a line that matches $ALTFUTEX_VM_KLOG_PATTERN
#    (grep -E: warnings, BUG, Oops, lockdep...) fails, whatever its exit
#    status ("klog" in its result line); the console log keeps everything;
#  - a test still alive 60 s after it was killed is stuck in the kernel:
#    the blocked tasks are dumped into the kernel log, "ERROR <message>"
#    goes to the result port and the VM is powered off.  Outside the VM the
#    runner just gives up.

set -u
set +m		# no job control: a test starts in our process group, so
		# setsid(1) makes it a session leader in place, same pid

timeout=${ALTFUTEX_TEST_TIMEOUT:-300}
label=
params_given=
grace=60

usage() {
	echo "usage: run-tests.sh [-t SECONDS] [-l LABEL] [-p MODPARAMS] DIR" >&2
	exit 2
}

while getopts t:l:p: opt; do
	case $opt in
	t) timeout=$OPTARG ;;
	l) label=$OPTARG ;;
	p) params_given=1; ALTFUTEX_PARAMS=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
[ -d "$1" ] || usage
dir=$1
case $timeout in
''|*[!0-9]*) echo "run-tests: bad timeout '$timeout'" >&2; exit 2 ;;
esac
ALTFUTEX_PARAMS=${ALTFUTEX_PARAMS:-}
export ALTFUTEX_PARAMS
[ -n "$label" ] || label=$(echo "params=${ALTFUTEX_PARAMS:-default}" | tr ' ' ,)
res=${ALTFUTEX_VM_RESULT:-}
klog_pattern=
[ -z "$res" ] || klog_pattern=${ALTFUTEX_VM_KLOG_PATTERN:-}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-tests.XXXXXX") || exit 2
state=$tmp/state	# "<name> <uptime at which to kill it>" while it runs
pidfile=$tmp/pid	# the running test's pid, which is its session id
killed=$tmp/killed	# the name of the test that the timer killed

# time since boot in 1/100 s
now_cs() {
	read -r up _ </proc/uptime
	echo $((${up%.*} * 100 + 1${up#*.} - 100))
}

# 1/100 s as "12.3s"
fmt_cs() {
	echo "$(($1 / 100)).$(($1 % 100 / 10))s"
}

passed=0 failed=0 skipped=0

# report VERDICT NAME CENTISECONDS [REASON [klog]]
report() {
	echo "$1  $2 [$label] $(fmt_cs "$3")${4:+ ($4)}"
	if [ -n "$res" ]; then
		echo "TEST $1 $2 $label $(fmt_cs "$3")${5:+ $5}" >"$res"
	fi
	case $1 in
	PASS) passed=$((passed + 1)) ;;
	FAIL) failed=$((failed + 1)) ;;
	SKIP) skipped=$((skipped + 1)) ;;
	esac
}

load_module() {
	if [ -z "${ALTFUTEX_KO:-}" ]; then
		echo "run-tests: ALTFUTEX_KO is not set: cannot load the module"
		return 1
	fi
	set -f
	# shellcheck disable=SC2086 # the parameters are separate words
	insmod "$ALTFUTEX_KO" $ALTFUTEX_PARAMS
	r=$?
	set +f
	return $r
}

ensure_module() {
	[ ! -d /sys/module/altfutex ] || return 0
	echo "run-tests: the altfutex module is not loaded (a test unloaded it?); loading it again"
	load_module
}

# The session of process $1.
session_of() {
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
	# shellcheck disable=SC2086 # split the fields after "(comm) "
	set -- ${stat##*) }	# state ppid pgrp session ...
	echo "$4"
}

my_session=$(session_of $$)

# SIGKILL the live processes of the test's session ($1); in the VM, of
# every session but ours and 0 (kernel threads, init and what it starts).
# Print how many.
kill_sessions() {
	k=0
	for p in /proc/[0-9]*; do
		{ read -r stat <"$p/stat"; } 2>/dev/null || continue
		# shellcheck disable=SC2086
		set -- "$1" ${stat##*) }
		case $2 in Z) continue ;; esac
		if [ -n "$res" ]; then
			case $5 in 0|"$my_session") continue ;; esac
		else
			[ "$5" = "$1" ] || continue
		fi
		kill -KILL "${p#/proc/}" 2>/dev/null && k=$((k + 1))
	done
	echo "$k"
}

# After test $1 (session $2): kill what it left behind and wait (up to
# 5 s) until it is gone.  Fails if some process survives.
kill_strays() {
	n=$(kill_sessions "$2")
	tries=0
	left=$n
	while [ "$left" -gt 0 ] && [ "$tries" -lt 50 ]; do
		sleep 0.1
		tries=$((tries + 1))
		left=$(kill_sessions "$2")
	done
	if [ "$n" -gt 0 ]; then
		echo "run-tests: $1 left $n process(es) behind; killed them"
	fi
	[ "$left" -eq 0 ]
}

# A test still alive $grace s after it was killed is stuck in the kernel.
stuck() {
	msg="test $1 still runs $grace s after it was killed: it is stuck in the kernel"
	echo "FAIL  $1 [$label] ($msg)"
	if [ -z "$res" ]; then
		echo "run-tests: giving up"
		kill -KILL "$runner"
		rm -rf "$tmp"
		exit 1
	fi
	echo "TEST FAIL $1 $label -" >"$res"
	echo "ERROR $msg; powering off" >"$res"
	echo "run-tests: blocked tasks and CPU backtraces go to the kernel log; powering off"
	echo w >/proc/sysrq-trigger
	echo l >/proc/sysrq-trigger
	sleep 2		# let the serial ports drain
	poweroff -f
}

# The timer, in the background for the whole run.  When the test in
# $state reaches its time, it kills the test's session(s) and writes the
# test's name into $killed.
supervise() {
	while sleep 1; do
		read -r sname kill_at 2>/dev/null <"$state" || continue
		now=$(($(now_cs) / 100))
		if [ "$now" -ge $((kill_at + grace)) ]; then
			stuck "$sname"
		elif [ "$now" -ge "$kill_at" ] && [ ! -s "$killed" ]; then
			# still the same test?  (it may have ended meanwhile)
			read -r n2 k2 2>/dev/null <"$state" || continue
			[ "$n2 $k2" = "$sname $kill_at" ] || continue
			read -r sid 2>/dev/null <"$pidfile" || continue
			echo "$sname" >"$killed"
			kill_sessions "$sid" >/dev/null
		fi
	done
}

runner=$$
supervise &
supervisor=$!
trap 'kill "$supervisor" 2>/dev/null; rm -rf "$tmp"' EXIT

if [ -n "$params_given" ]; then
	echo "run-tests: loading the module with '$ALTFUTEX_PARAMS'"
	if [ -d /sys/module/altfutex ] && ! rmmod altfutex; then
		report FAIL "(rmmod)" 0 "cannot unload the module to reload it"
	elif ! load_module; then
		report FAIL "(insmod)" 0 "insmod $ALTFUTEX_KO $ALTFUTEX_PARAMS failed"
	fi
fi

echo "run-tests: [$label] running $dir/* with module parameters '$ALTFUTEX_PARAMS'"
for t in "$dir"/*; do
	if [ ! -f "$t" ] || [ ! -x "$t" ]; then
		continue
	fi
	name=${t##*/}
	if ! ensure_module; then
		report FAIL "$name" 0 "the module is not loaded and insmod failed"
		continue
	fi

	if [ -n "$klog_pattern" ]; then
		dmesg -c >/dev/null
		echo "run-tests: $name [$label]" >/dev/kmsg	# a landmark
	fi
	: >"$pidfile"
	t0=$(now_cs)
	echo "$name $(((t0 + 99) / 100 + timeout))" >"$state"
	# shellcheck disable=SC2016 # $$ and $1 are the inner shell's
	sh -c 'echo $$ >"$1"; exec setsid "$2"' sh "$pidfile" "$t" </dev/null
	st=$?
	t1=$(now_cs)
	: >"$state"
	dt=$((t1 - t0))

	reason=
	if [ -s "$killed" ]; then
		verdict=FAIL reason="timed out after $timeout s, killed"
		: >"$killed"
	elif [ "$st" -eq 0 ]; then
		verdict=PASS
	elif [ "$st" -eq 77 ]; then
		verdict=SKIP
	elif [ "$st" -gt 128 ]; then
		verdict=FAIL reason="killed by signal $((st - 128))"
	else
		verdict=FAIL reason="exit status $st"
	fi
	read -r sid <"$pidfile"
	if ! kill_strays "$name" "$sid"; then
		verdict=FAIL
		reason="${reason:+$reason; }left processes that SIGKILL does not end"
	fi
	# What the kernel said meanwhile.
	klog=
	if [ -n "$klog_pattern" ]; then
		klog=$(dmesg | grep -E -- "$klog_pattern")
	fi
	if [ -n "$klog" ]; then
		# the first report whole, with what follows it (which lock,
		# which stack), then the other matching lines
		echo "run-tests: the kernel logged during $name:"
		dmesg | awk -v pat="$klog_pattern" \
			'n < 40 && (n || $0 ~ pat) { n++; print "  " $0 }'
		printf '%s\n' "$klog" | sed -n '2,10s/^/  +/p'
		first=$(printf '%s\n' "$klog" | head -n 1)
		verdict=FAIL
		reason="${reason:+$reason; }kernel: ${first#\[*\] }"
		report "$verdict" "$name" "$dt" "$reason" klog
	else
		report "$verdict" "$name" "$dt" "$reason"
	fi
done

# Leave the module loaded, as we found it: the caller unloads it.
ensure_module ||
	report FAIL "(insmod)" 0 "the module is not loaded and insmod failed"

total=$((passed + failed + skipped))
[ "$total" -gt 0 ] || echo "run-tests: no executable test in $dir"
echo "run-tests: [$label] $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$total" -gt 0 ]
