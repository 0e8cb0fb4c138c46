#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest's half of scripts/check-install.sh (busybox sh, in the VM's
# /work, as root, with the module that scripts/vm.sh loaded).  In /work:
#   stage.tar     `make install DESTDIR=...` staged on the host, with
#                 PREFIX=/usr/local
#   roundtrip     tests/install/roundtrip.c, built on the host with
#                 `pkg-config --cflags --libs altfutex` against the stage
#   ldconfig      the host's ldconfig (statically linked)
#   ld.so.conf, libc.conf   Debian's loader configuration (libc-bin),
#                 which names /usr/local/lib
# It does on this machine what a user does after make install: the files
# onto /, depmod, then what systemd-modules-load does at boot with
# /etc/modules-load.d/altfutex.conf (modprobe by name), and ldconfig; then
# checks the device's mode and runs roundtrip as an unprivileged user on
# the installed library.  One line per test, as tests/run-tests.sh prints
# them, and a TEST line on the result port.  Exit status: 0 if all passed.

rel=$(uname -r)
failed=0 stale=

report() {	# PASS|FAIL NAME DETAIL
	echo "$1  $2 [guest] ($3)"
	[ -z "${ALTFUTEX_VM_RESULT:-}" ] ||
		echo "TEST $1 $2 guest 0.0s" >"$ALTFUTEX_VM_RESULT"
	[ "$1" = PASS ] || failed=1
}

# The module that vm.sh loaded goes, and so does its file: only the
# installed one can be loaded from now on.
rmmod altfutex || echo "guest: rmmod of the module vm.sh loaded failed"
[ ! -d /sys/module/altfutex ] || stale=1
rm -f /altfutex.ko
# Only the installed library, too (the VM's image has one beside libc).
rm -f /lib/*/libaltfutex.so* /usr/lib/*/libaltfutex.so*

tar -xf stage.tar -C / || echo "guest: tar -x of the stage failed"
depmod -a "$rel" || echo "guest: depmod -a $rel failed"
conf=/etc/modules-load.d/altfutex.conf
names=$(grep -v '^[#;]' "$conf" 2>/dev/null)
ok=1
for m in $names; do
	modprobe "$m" || ok=
done
dep=$(grep -o '^[^:]*altfutex\.ko:' "/lib/modules/$rel/modules.dep" 2>/dev/null)
if [ -z "$stale" ] && [ -n "$ok" ] && [ "$names" = altfutex ] &&
	[ -d /sys/module/altfutex ] && [ "$dep" = updates/altfutex.ko: ]; then
	report PASS install-modprobe "modprobe $names, from $conf: modules.dep: $dep loaded"
else
	report FAIL install-modprobe "${stale:+the first module is still loaded; }$conf names '$names'; modules.dep: '$dep'; modprobe: ${ok:-failed}; /sys/module/altfutex: $(ls -d /sys/module/altfutex 2>&1)"
fi

mode=$(stat -c '%F %a' /dev/altfutex 2>&1)
if [ "$mode" = "character special file 666" ]; then
	report PASS install-devmode "/dev/altfutex: $mode"
else
	report FAIL install-devmode "/dev/altfutex: $mode (want a character device, 666)"
fi

if ! { cp ld.so.conf /etc/ld.so.conf && mkdir -p /etc/ld.so.conf.d &&
	cp libc.conf /etc/ld.so.conf.d/libc.conf && ./ldconfig; }; then
	echo "guest: ldconfig failed"
fi
ldso=$(ls /lib64/ld-linux-x86-64.so.2 2>/dev/null)
lib=$("$ldso" --list ./roundtrip | sed -n 's/^[[:space:]]*libaltfutex\.so\.1 => \([^ ]*\) .*/\1/p')
if [ "$lib" != /usr/local/lib/libaltfutex.so.1 ]; then
	report FAIL install-roundtrip "ld.so finds libaltfutex.so.1 at '$lib', not in /usr/local/lib"
elif out=$(su -s /bin/sh nobody -c 'id -u && ./roundtrip' 2>&1) &&
	[ "$(echo "$out" | head -n 1)" = 65534 ]; then
	report PASS install-roundtrip "with $lib, as uid $(echo "$out" | tr '\n' ';')"
else
	report FAIL install-roundtrip "as nobody (uid 65534), with $lib: $(echo "$out" | tr '\n' ';')"
fi
exit $failed
