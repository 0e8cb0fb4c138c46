#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a command as root in a QEMU VM with the altfutex module loaded.
#
#   scripts/vm.sh --cmd CMD [--files "FILE..."] [--timeout SECONDS]
#
# Builds an initramfs (scripts/mkinitramfs.sh) with busybox, the C runtime
# of the tests and examples, libaltfutex, $MODULE and the FILEs, boots
# $VMLINUZ under QEMU (TCG), loads the module with $MODPARAMS, runs CMD with
# "sh -c" in /work (where the FILEs are), then unloads the module.  CMD's
# output is shown as it runs.  The guest's side is scripts/vm-init.sh.
#
# Exit status: CMD's, or 1 if CMD succeeded but the run did not: no result
# from the guest (crash, or no power-off within the timeout), insmod or
# rmmod failed, or the guest kernel logged a warning, BUG, Oops, lockdep,
# KASAN/UBSAN, refcount, hung task or RCU stall report.  2: bad usage.
#
# In the guest CMD finds ALTFUTEX_KO (the module's path, to reload it),
# ALTFUTEX_PARAMS ($MODPARAMS) and ALTFUTEX_VM_RESULT (the result port,
# used by tests/run-tests.sh).
#
# A boot that crashes before user space starts (no BOOTED line from
# vm-init.sh; QEMU 7.2's multi-threaded TCG occasionally oopses in the
# early boot of the 7.x kernels, in text patching) is retried, up to
# VM_BOOT_RETRIES times, and the retry is logged.  A run whose guest
# reached init is run again once, and only for that same flake later on:
# the guest died (no DONE) and its kernel's first report is an int3 Oops
# ("Oops: int3", "int3: 0000 [#1]"): a vCPU ran a breakpoint that the
# kernel's text patching (of static keys and tracepoints, the module's
# too) had already taken away, QEMU's cross-modifying-code race.  The
# module never sets a breakpoint itself, so that says nothing of it; any
# other crash, and a second int3 one, fails the run.  The rerun is
# logged, and the first console is kept as console-rerun.log.
#
# Environment (the Makefile sets the first six):
#   KVER       kernel version            (default: scripts/deps.sh --kver)
#   VMLINUZ    kernel to boot            (default: /boot/vmlinuz-$KVER)
#   KMODDIR    its modules: zram, ext4, fuse (default: /lib/modules/$KVER)
#   MODULE     the module                (default: altfutex.ko)
#   BUILD      build directory           (default: build)
#   MODPARAMS  module parameters         (default: none)
#   VM_TIMEOUT seconds before the VM is killed (default: 900; --timeout)
#   VM_MEM     guest memory in MiB       (default: 2048)
#   VM_SMP     guest CPUs                (default: 2)
#   VM_NUMA    NUMA nodes, 1 or 2: with 2, memory and CPUs are split evenly
#              between two nodes (default: 2)
#   VM_APPEND  extra kernel command line (default: none)
#   VM_BOOT_RETRIES  boots retried when the kernel crashes before init
#              (default: 2)
#   QEMU       the QEMU binary           (default: qemu-system-x86_64)
#
# Files in $BUILD/vm: console.log (the guest's whole kernel console),
# output.log (CMD's output), result (the result port), verdict (for
# scripts/check.sh), initrd.gz.
set -euo pipefail

me=vm
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
usage() {
	usage_text 4 6
}

cmd='' have_cmd='' files=''
timeout=${VM_TIMEOUT:-900}
while [ $# -gt 0 ]; do
	case $1 in
	--cmd) [ $# -ge 2 ] || die "--cmd needs an argument"
		cmd=$2; have_cmd=1; shift 2 ;;
	--files) [ $# -ge 2 ] || die "--files needs an argument"
		files=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || die "--timeout needs an argument"
		timeout=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
if [ -z "$have_cmd" ] || [ -z "$cmd" ]; then
	die "no command given: make vm CMD='...' [FILES='...'] [MODPARAMS='...']"
fi
case $timeout in
''|*[!0-9]*) die "the timeout must be a number of seconds, not '$timeout'" ;;
esac

# FILEs are relative to the caller's directory, the rest to the top of the
# tree.  FILES is split on white space.
file_list=()
for f in $files; do
	[ -e "$f" ] || die "FILES: $f: no such file or directory"
	file_list+=("$(realpath -- "$f")")
done
cd "$(dirname "$0")/.."

KVER=${KVER:-$(scripts/deps.sh --kver)}
VMLINUZ=${VMLINUZ:-/boot/vmlinuz-$KVER}
KMODDIR=${KMODDIR:-/lib/modules/$KVER}
MODULE=${MODULE:-altfutex.ko}
BUILD=${BUILD:-build}
MODPARAMS=${MODPARAMS:-}
QEMU=${QEMU:-qemu-system-x86_64}
retries=${VM_BOOT_RETRIES:-2}
mem=${VM_MEM:-2048}
smp=${VM_SMP:-2}
numa=${VM_NUMA:-2}
case $numa in 1|2) ;; *) die "VM_NUMA must be 1 or 2, not '$numa'" ;; esac
case $mem$smp$retries in
*[!0-9]*) die "VM_MEM, VM_SMP and VM_BOOT_RETRIES must be numbers" ;;
esac

command -v "$QEMU" >/dev/null ||
	die "$QEMU not found (install qemu-system-x86: scripts/deps.sh)"
[ -r "$VMLINUZ" ] || die "cannot read the kernel $VMLINUZ"
[ -f "$MODULE" ] || die "no module $MODULE (make module)"
if command -v modinfo >/dev/null; then
	vermagic=$(modinfo -F vermagic "$MODULE" 2>/dev/null) || vermagic=
	[ -z "$vermagic" ] || [ "${vermagic%% *}" = "$KVER" ] ||
		die "$MODULE is built for ${vermagic%% *}, the VM boots $KVER"
fi

# What, in the guest kernel's log, fails the run (grep -E), from the first
# line of the boot on.  The guest's tests/run-tests.sh gets it too, to pin
# a report on the test that caused it.  kmemleak's report is its "N new
# suspected memory leaks" line (its other lines say it started, or what
# vm-init.sh and scripts/check-debug.sh asked of it).  A sanitizer's
# report names it with a colon after it ("BUG: KCSAN: data-race in"):
# KCSAN's boot banner, which names CONFIG_KCSAN_STRICT, is no report.
klog_pattern='WARNING:|(^|[^A-Za-z_])BUG([^A-Za-z_]|$)|Oops|general protection'
klog_pattern+='|possible recursive locking|circular locking'
klog_pattern+='|inconsistent lock state|INFO: |(KASAN|KCSAN|UBSAN|KFENCE):'
klog_pattern+='|suspected memory leak'
klog_pattern+='|refcount_t:|Call Trace|blocked for more than|hung_task'
klog_pattern+='|soft lockup|hard LOCKUP|rcu.*stall|Kernel panic|corruption'
klog_pattern+='|stack-protector|double free'

vmdir=$BUILD/vm
mkdir -p "$vmdir"
vmdir=$(cd "$vmdir" && pwd)
# One VM at a time per build directory.
exec 9>"$vmdir/lock"
flock -n 9 || die "another VM is running with $vmdir"

rm -f "$vmdir/console.log" "$vmdir/output.log" "$vmdir/result" \
	"$vmdir/verdict" "$vmdir/boot-ns" "$vmdir"/console-crash-*.log \
	"$vmdir/console-rerun.log"
scripts/mkinitramfs.sh -o "$vmdir/initrd.gz" -m "$MODULE" -b "$BUILD" \
	-c "$cmd" -p "$MODPARAMS" -k "$klog_pattern" -K "$KVER" -M "$KMODDIR" \
	-- "${file_list[@]}" ||
	die "could not build the initramfs"

# With two NUMA nodes, each vCPU is a socket of its own: QEMU's default
# puts all of them in one socket, which shares a last-level cache across
# the nodes, and the kernel WARNs about that at boot ("llc-sibling ... is
# not on the same node", topology_sane()).
smp_topology=$smp
[ "$numa" -ne 2 ] || smp_topology="$smp,sockets=$smp,cores=1,threads=1"

# -chardev options are comma-separated: double the commas in paths.
chr_path() {
	printf '%s' "${1//,/,,}"
}
: >"$vmdir/result"
# The guest dumps its blocked tasks 15 s before the timeout, counting 5 s
# from QEMU's start to the kernel's (it reads the deadline from its
# environment: the kernel passes unknown name=value parameters to init).
deadline=$((timeout > 60 ? timeout - 20 : timeout))
# slab_nomerge: the tests count the objects of the module's own caches.
append="console=ttyS0,115200 panic=-1 slab_nomerge"
append+=" altfutex_vm_deadline=$deadline"
append+=" ${VM_APPEND:-}"
# shellcheck disable=SC2054 # the commas are in QEMU options
qemu_args=(
	-nodefaults -no-user-config -no-reboot
	-accel tcg,thread=multi -cpu max -smp "$smp_topology" -m "$mem"
	-display none -vga none
	-kernel "$VMLINUZ" -initrd "$vmdir/initrd.gz" -append "$append"
	-chardev "file,id=console,path=$(chr_path "$vmdir/console.log")"
	-serial chardev:console
	-chardev "stdio,id=out,signal=off,logfile=$(chr_path "$vmdir/output.log")"
	-serial chardev:out
	-chardev "file,id=result,path=$(chr_path "$vmdir/result")"
	-device pci-serial,chardev=result
)
# Two NUMA nodes, so that the tests can migrate pages with move_pages(2):
# half the memory on each, node 0 gets the first half of the CPUs (at
# least one), node 1 the rest (a memory-only node when there is one CPU).
if [ "$numa" -eq 2 ]; then
	m0=$((mem / 2)) c0=$(((smp + 1) / 2))
	cpus1=
	[ "$smp" -le "$c0" ] || cpus1=",cpus=$c0-$((smp - 1))"
	qemu_args+=(
		-object "memory-backend-ram,id=m0,size=${m0}M"
		-object "memory-backend-ram,id=m1,size=$((mem - m0))M"
		-numa "node,nodeid=0,cpus=0-$((c0 - 1)),memdev=m0"
		-numa "node,nodeid=1${cpus1},memdev=m1"
	)
fi

# Time the boot: from QEMU's start until the guest starts CMD.
boot_vm() {
	start=$(now_ns)
	(
		while ! grep -q '^START' "$vmdir/result"; do
			kill -0 $$ 2>/dev/null || exit 0	# we were interrupted
			sleep 0.1
		done
		echo $(($(now_ns) - start)) >"$vmdir/boot-ns"
	) &
	timer=$!
	trap 'kill "$timer" 2>/dev/null || true' EXIT

	rc=0
	timeout --foreground --kill-after=10 "$timeout" \
		"$QEMU" "${qemu_args[@]}" </dev/null || rc=$?
	elapsed=$(($(now_ns) - start))
	kill "$timer" 2>/dev/null || true
	wait "$timer" 2>/dev/null || true
}

# The first kernel report of a run that died, when it is an int3 Oops.
int3_death() {
	tr -d '\r' <"$vmdir/result" | grep -q '^DONE' && return 1
	tr -d '\r' <"$vmdir/console.log" |
		grep -m 1 -aE -- "$klog_pattern|int3: [0-9a-f]{4} \[#1\]" |
		grep -E 'int3: [0-9a-f]{4} \[#1\]'
}

tries=0 reruns=0
while :; do
	boot_vm
	if tr -d '\r' <"$vmdir/result" | grep -q '^BOOTED'; then
		[ "$reruns" -eq 0 ] || break
		crash=$(int3_death) || break
		reruns=1
		say "the guest kernel died in the middle of the run of QEMU's" \
			"text-patching race (\"$crash\"); running it all" \
			"again, once; its console is in $vmdir/console-rerun.log"
		mv "$vmdir/console.log" "$vmdir/console-rerun.log"
		: >"$vmdir/result"
		: >"$vmdir/output.log"
		rm -f "$vmdir/boot-ns"
		continue
	fi
	crash=$(tr -d '\r' <"$vmdir/console.log" |
		grep -m 1 -E 'Kernel panic|Oops|BUG:|general protection' || true)
	{ [ -n "$crash" ] && [ "$tries" -lt "$retries" ]; } || break
	tries=$((tries + 1))
	say "the guest kernel crashed before init ran (\"$crash\");" \
		"booting again (retry $tries of $retries); its console is in" \
		"$vmdir/console-crash-$tries.log"
	mv "$vmdir/console.log" "$vmdir/console-crash-$tries.log"
	: >"$vmdir/result"
	: >"$vmdir/output.log"
	rm -f "$vmdir/boot-ns"
done

# ---- what happened ---------------------------------------------------------

# Each problem is "KIND message", KIND one of insmod, gaveup, unfinished,
# rmmod, klog; scripts/check.sh reads them from $vmdir/verdict.
problems=()
problem() {
	local kind=$1
	shift
	say "FAIL: $*"
	problems+=("$kind $*")
}

res=$(tr -d '\r' <"$vmdir/result")
field() {
	printf '%s\n' "$res" | sed -n "s/^$1 //p" | tail -n 1
}
status=$(field STATUS)
case $(field INSMOD) in
fail) problem insmod "insmod $MODULE $MODPARAMS failed in the guest" ;;
esac
err=$(field ERROR)
[ -z "$err" ] || problem gaveup "the guest gave up: $err"
case $(field RMMOD) in
fail) problem rmmod "rmmod altfutex failed after CMD: the module is stuck" ;;
esac
if ! printf '%s\n' "$res" | grep -q '^DONE' && [ -z "$err" ]; then
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		problem unfinished "the VM did not finish within $timeout s and was killed (VM_TIMEOUT)"
	else
		problem unfinished "the VM stopped before finishing (QEMU exit status $rc): kernel panic?"
	fi
	# the blocked tasks that the guest dumped before the timeout, if any
	# (none is no error: grep's status would end the script, pipefail)
	dump=$({ grep -an 'sysrq: Show Blocked State' "$vmdir/console.log" ||
		true; } | tail -n 1 | cut -d : -f 1)
	if [ -n "$dump" ]; then
		say "the guest's blocked tasks ($vmdir/console.log):"
		tr -d '\r' <"$vmdir/console.log" | sed -n "$dump,$((dump + 60))p" |
			sed 's/^/  | /' >&2
	else
		say "the end of the kernel console ($vmdir/console.log):"
		tr -d '\r' <"$vmdir/console.log" | tail -n 40 | sed 's/^/  | /' >&2
	fi
fi

# The kernel log, the boot included: a warning before the module was
# loaded is a broken VM (as the topology WARN was, before each vCPU got a
# socket of its own), which the results cannot be trusted on either.
klog=$(tr -d '\r' <"$vmdir/console.log")
hits=$(printf '%s\n' "$klog" | grep -nE -- "$klog_pattern" || true)
if [ -n "$hits" ]; then
	n=$(printf '%s\n' "$hits" | wc -l)
	problem klog "the guest kernel logged $n line(s) of warnings, BUG, Oops, lockdep, hung task... reports"
	first=${hits%%:*}
	say "the kernel log from the first one ($vmdir/console.log):"
	printf '%s\n' "$klog" |
		sed -n "$((first > 3 ? first - 3 : 1)),$((first + 40))p" |
		sed 's/^/  | /' >&2
fi

# Boot time: measured by the poller; or else (when CMD was over in less
# than its 0.1 s) derived from the guest's clock.
boot=
if [ -s "$vmdir/boot-ns" ]; then
	boot=$(secs "$(cat "$vmdir/boot-ns")")
else
	up_start=$(field START)
	up_done=$(field DONE)
	if [ -n "$up_start" ] && [ -n "$up_done" ]; then
		boot=$(awk -v e="$elapsed" -v s="$up_start" -v d="$up_done" \
			'BEGIN { printf "%.1f", e / 1e9 - (d - s) }')
	fi
fi
{
	echo "status=$status"
	echo "boot=$boot"
	echo "elapsed=$(secs "$elapsed")"
	for p in "${problems[@]}"; do
		echo "problem=$p"
	done
} >"$vmdir/verdict"

say "boot ${boot:-?} s (QEMU start to CMD), total $(secs "$elapsed") s;" \
	"CMD exit status ${status:-none}${problems:+; ${#problems[@]} problem(s)}"
if [ -z "$status" ]; then
	exit 1
elif [ "$status" -ne 0 ]; then
	exit "$status"
elif [ ${#problems[@]} -gt 0 ]; then
	exit 1
fi
exit 0
