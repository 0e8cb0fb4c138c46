#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the altfutex test VM (busybox sh, PID 1), put into the initramfs
# by scripts/mkinitramfs.sh; scripts/vm.sh is the host side.
#
# It mounts the usual file systems (debugfs too, where the kernel has it),
# sets up swap and a disk file system (below), on a kernel with kmemleak
# clears the leaks of its own boot, loads /altfutex.ko with the parameters
# in /etc/altfutex-vm/modparams, runs /etc/altfutex-vm/cmd with "sh -c" in
# /work, unloads the module and powers off.
#
# When the host is about to kill the VM (its timeout), the blocked tasks
# and the CPUs' backtraces are dumped into the kernel log.
#
# Serial ports:
#   ttyS0      kernel console          -> host: build/vm/console.log
#   ttyS1      this script's and CMD's stdout and stderr -> host: stdout
#   PCI UART   result port             -> host: build/vm/result
# The result port gets one line per event, parsed by the host:
#   BOOTED <uptime>      user space is up
#   INSMOD ok|fail
#   START <uptime>       CMD starts
#   STATUS <n>           CMD's exit status
#   RMMOD ok|fail|absent
#   ERROR <message>      this script could not go on
#   DONE <uptime>        everything was sent; powering off
# CMD may add lines of its own through $ALTFUTEX_VM_RESULT (the result
# port's device); tests/run-tests.sh does.  $ALTFUTEX_VM_KLOG_PATTERN is
# what, in the kernel log, fails the run (grep -E; set by scripts/vm.sh).
#
# Swap and disk, for the tests that evict pages under sleeping waiters:
# the stock kernel's modules in /lib/modules/vm (mkinitramfs.sh -K) are
# loaded (fuse among them, for tests/fuse: /dev/fuse appears with it),
# then
#   /dev/zram0  swap, 1536 MiB (compressed in RAM; only what is swapped out
#               costs memory)
#   /dev/zram1  an ext2 file system (through the ext4 driver) on /mnt/disk:
#               regular files whose page cache can be evicted, unlike the
#               tmpfs and ramfs of the initramfs
# $ALTFUTEX_VM_DISK is /mnt/disk once it is mounted; a failure is reported
# on the output and the tests that need the piece say why they skip.
#
# Kernel log lines "altfutex-vm: ..." mark the steps in the console log: the
# host checks the log from "altfutex-vm: insmod" on.

PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
# From the kernel command line: the guest uptime (s) at which the host is
# about to kill the VM.
deadline=${altfutex_vm_deadline:-}
unset altfutex_vm_deadline
KO=/altfutex.ko
CONF=/etc/altfutex-vm
RES=

kmsg() {
	echo "altfutex-vm: $*" >/dev/kmsg
}

say() {
	echo "vm: $*"
}

result() {
	if [ -n "$RES" ]; then
		echo "$*" >"$RES"
	fi
}

uptime_s() {
	read -r up _ </proc/uptime
	echo "$up"
}

# Close our references to ttyS1 (its last close waits until the UART has
# sent everything), say DONE on the result port and power off.
finish() {
	exec </dev/null >/dev/console 2>&1
	result "DONE $(uptime_s)"
	kmsg "powering off"
	poweroff -f
	# not reached; if it were, PID 1 exits, the kernel panics and, with
	# panic=-1 and QEMU's -no-reboot, the VM stops all the same
	exit 1
}

fatal() {
	say "error: $*"
	kmsg "error: $*"
	result "ERROR $*"
	finish
}

mount -t proc -o nosuid,nodev,noexec proc /proc || fatal "cannot mount /proc"
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys || fatal "cannot mount /sys"
mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev ||
	fatal "cannot mount /dev"
mkdir -p /dev/pts /dev/shm
mount -t devpts -o nosuid,noexec,gid=5,mode=0620 devpts /dev/pts ||
	fatal "cannot mount /dev/pts"
for d in /dev/shm /tmp /var/tmp; do
	mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$d" ||
		fatal "cannot mount $d"
done
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run || fatal "cannot mount /run"

# The result port: the UART on the PCI bus (ttyS0 and ttyS1 are ISA).
for t in /sys/class/tty/ttyS*; do
	case $(readlink -f "$t/device" 2>/dev/null) in
	*/pci*) RES=/dev/${t##*/}; break ;;
	esac
done
[ -n "$RES" ] || fatal "no PCI serial port for the results"
[ -c /dev/ttyS1 ] || fatal "no /dev/ttyS1 for the output"

# Raw mode: no CR added before each LF, no echo.
stty -F "$RES" raw -echo || fatal "stty $RES failed"
stty -F /dev/ttyS1 raw -echo || fatal "stty /dev/ttyS1 failed"
exec </dev/null >/dev/ttyS1 2>&1

# From now on every kernel message, whatever its level, goes to the console.
echo 8 >/proc/sys/kernel/printk
hostname -F /etc/hostname
ip link set lo up 2>/dev/null
# shellcheck disable=SC3045 # busybox sh has ulimit -c
ulimit -c 0
result "BOOTED $(uptime_s)"

# Swap and disk (see the top).
setup_swap_disk() {
	if [ -f /lib/modules/vm/load-order ]; then
		while read -r m; do
			args=
			[ "$m" != zram ] || args=num_devices=2
			# shellcheck disable=SC2086
			insmod "/lib/modules/vm/$m.ko" $args ||
				say "warning: insmod $m failed"
		done </lib/modules/vm/load-order
	fi
	if [ -e /sys/block/zram1 ]; then
		if ! { echo 1536M >/sys/block/zram0/disksize &&
			mkswap /dev/zram0 >/dev/null &&
			swapon /dev/zram0; }; then
			say "warning: no swap on /dev/zram0"
		fi
		mkdir -p /mnt/disk
		if echo 128M >/sys/block/zram1/disksize &&
			mke2fs -b 4096 /dev/zram1 >/dev/null 2>&1 &&
			mount -t ext2 /dev/zram1 /mnt/disk; then
			chmod 1777 /mnt/disk
			ALTFUTEX_VM_DISK=/mnt/disk
			export ALTFUTEX_VM_DISK
		else
			say "warning: no disk file system on /dev/zram1"
		fi
	else
		say "warning: no zram devices: no swap, no disk"
	fi
}
ALTFUTEX_VM_DISK=
setup_swap_disk
kmsg "swap: $(awk 'NR > 1 { printf "%s %s KiB; ", $1, $3 }' /proc/swaps)disk: ${ALTFUTEX_VM_DISK:-none}; NUMA nodes: $(cat /sys/devices/system/node/online 2>/dev/null)"

# A kernel with kmemleak (scripts/check-debug.sh's): what it reports of
# its own boot and of the set-up above is not the module's.  Once those
# objects are 5 s old (kmemleak's minimum age), scan and forget them.  The
# scan's "N new suspected memory leaks" line would fail the run: the
# console does not get it (kernel info messages are off meanwhile), one
# line that says how many were set aside does.
if grep -qw debugfs /proc/filesystems && [ -d /sys/kernel/debug ] &&
	! grep -q ' /sys/kernel/debug ' /proc/mounts; then
	mount -t debugfs -o nosuid,nodev,noexec debugfs /sys/kernel/debug ||
		say "warning: cannot mount debugfs"
fi
leaks=/sys/kernel/debug/kmemleak
if [ -w "$leaks" ]; then
	sleep 5
	level=$(awk '{ print $1 }' /proc/sys/kernel/printk)
	echo 6 >/proc/sys/kernel/printk
	scanned=''
	echo scan 2>/dev/null >"$leaks" && scanned=1
	echo "$level" >/proc/sys/kernel/printk
	if [ -n "$scanned" ]; then
		n=$(grep -c '^unreferenced object' "$leaks")
		echo clear >"$leaks"
		kmsg "kmemleak baseline at $(uptime_s) s:" \
			"$n object(s) of the boot set aside"
	else
		say "warning: kmemleak does not scan"
	fi
fi

read -r params <"$CONF/modparams"
kmsg "insmod $KO $params"
set -f		# split $params into words, but do not glob them
# shellcheck disable=SC2086
if insmod "$KO" $params; then
	set +f
	result "INSMOD ok"
else
	set +f
	say "error: insmod $KO $params failed; the kernel log says:"
	dmesg | tail -n 20
	result "INSMOD fail"
	finish
fi

export ALTFUTEX_KO="$KO" ALTFUTEX_PARAMS="$params" ALTFUTEX_VM_RESULT="$RES"
ALTFUTEX_VM_KLOG_PATTERN=$(cat "$CONF/klog-pattern")
export ALTFUTEX_VM_KLOG_PATTERN
export HOME=/root TERM=dumb
cmd=$(cat "$CONF/cmd")
cd /work || fatal "no /work"

# Shortly before the host kills the VM, leave a trace of what hangs.
watchdog=
now=$(uptime_s)
if [ -n "$deadline" ] && [ "$deadline" -gt "${now%.*}" ]; then
	(
		sleep $((deadline - ${now%.*}))
		say "CMD still runs at $deadline s, close to the VM's timeout: the blocked tasks and CPU backtraces go to the kernel log"
		echo w >/proc/sysrq-trigger
		echo l >/proc/sysrq-trigger
	) &
	watchdog=$!
fi

kmsg "running CMD"
result "START $(uptime_s)"
sh -c "$cmd"
status=$?
[ -z "$watchdog" ] || kill "$watchdog" 2>/dev/null
kmsg "CMD exited with status $status"
result "STATUS $status"

# Whatever CMD left running goes; then the module must unload.
kill -KILL -1 2>/dev/null
if [ -d /sys/module/altfutex ]; then
	tries=0
	until err=$(rmmod altfutex 2>&1); do
		tries=$((tries + 1))
		if [ "$tries" -ge 50 ]; then
			refcnt=$(cat /sys/module/altfutex/refcnt 2>/dev/null)
			say "error: rmmod altfutex failed (refcnt ${refcnt:-?}): $err"
			kmsg "rmmod failed: $err"
			result "RMMOD fail"
			break
		fi
		sleep 0.2
	done
	if [ "$tries" -lt 50 ]; then
		kmsg "rmmod altfutex done"
		result "RMMOD ok"
	fi
else
	say "note: the altfutex module was not loaded any more when CMD ended"
	result "RMMOD absent"
fi

finish
