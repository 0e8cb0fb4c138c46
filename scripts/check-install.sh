#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-install: make install and make uninstall, and DKMS, checked
# (make check runs it before the suite).
#
#   scripts/check-install.sh [--host]
#
# --host: the host's tests only; the VM's are counted as skipped.
# One line per test, PASS, FAIL or SKIP, then the summary line
#   N passed, N failed, N skipped
# On the host, with DESTDIR a temporary directory and PREFIX /usr/local:
#   install-stage      the staged install holds exactly the expected files,
#                      each with its mode and content, the soname links,
#                      and an altfutex.pc whose prefix is PREFIX
#   install-soname     readelf -d: the library's SONAME is libaltfutex.so.1
#   install-vermagic   modinfo -F vermagic of the installed module is the
#                      release it was installed for (KVER)
#   install-pkgconfig  tests/install/roundtrip.c compiles and links with
#                      `pkg-config --cflags --libs altfutex` into the stage
#                      (PKG_CONFIG_PATH and PKG_CONFIG_SYSROOT_DIR), and
#                      needs libaltfutex.so.1
#   install-static     the same program linked with the installed .a
#   install-uninstall  make uninstall leaves the stage empty
#   install-root       make install with no DESTDIR, in a mount namespace
#                      of its own where /usr/local, /etc and
#                      /lib/modules/KVER are overlays (nothing reaches the
#                      host): depmod's modules.dep has updates/altfutex.ko,
#                      ldconfig's cache has /usr/local/lib's library,
#                      pkg-config's own search path finds altfutex.pc and a
#                      program built with it loads that library; then
#                      make uninstall gives back modules.dep as it was, and
#                      neither the cache nor modules-load.d keeps anything
#                      (SKIP for a kernel not installed on the host)
#   install-dkms       dkms add, build and install from a copy of the
#                      sources (scripts/install.sh dkms-source), against
#                      the host's headers, with dkms's trees in a temporary
#                      directory: the module's vermagic is KVER and the host's
#                      /lib/modules and /var/lib/dkms are left as they were
#                      (SKIP for a kernel whose headers are not the host's)
# In the VM (scripts/vm.sh, one boot; tests/install/guest.sh): the staged
# install copied onto the guest's /, then
#   install-modprobe   depmod, and modprobe of the name in
#                      /etc/modules-load.d/altfutex.conf, once the module
#                      that vm.sh loaded is gone
#   install-devmode    /dev/altfutex is a character device of mode 0666
#   install-roundtrip  roundtrip, built above, finds libaltfutex.so.1 in
#                      /usr/local/lib through ldconfig's cache (Debian's
#                      ld.so.conf) and, run as nobody, does its wait/wake
#                      round trips
# A VM run that went wrong as a whole counts as one more failure, as in
# scripts/check.sh.  The VM's files are copied into
# $BUILD/install-check/vm.
#
# Environment: as scripts/vm.sh (the Makefile sets it), and CC, PREFIX.
# dkms is installed with scripts/deps.sh when missing (a set-up goal);
# under ALTFUTEX_NO_APT install-dkms skips instead.
set -euo pipefail

me=check-install
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

with_vm=1
case ${1:-} in
'') ;;
--host) with_vm="" ;;
--root-inner) ;;
*) die "usage: scripts/check-install.sh [--host]" ;;
esac

BUILD=${BUILD:-build}
MODULE=${MODULE:-altfutex.ko}
KVER=${KVER:-$(scripts/deps.sh --kver)}
PREFIX=/usr/local
CC=${CC:-cc}
passed=0 failed=0 skipped=0

report() {	# PASS|FAIL|SKIP NAME DETAIL
	echo "$1  $2 [host] ($3)"
	case $1 in
	PASS) passed=$((passed + 1)) ;;
	FAIL) failed=$((failed + 1)) ;;
	SKIP) skipped=$((skipped + 1)) ;;
	esac
}

# install-root's inner half (below): in a mount namespace of its own
# (unshare -m, private propagation), with
# /usr/local, /etc and /lib/modules/KVER overlaid by directories under
# $2: install with no DESTDIR, look, uninstall, look.  One line: "ok ..."
# or "fail ...".  Nothing of it reaches the host's mounts.
root_inner() {
	local d=$1 m up why='' dep cache flags lib
	for m in /usr/local /etc "/lib/modules/$KVER"; do
		up=$d/$(echo "$m" | tr / _)
		mkdir -p "$up/u" "$up/w"
		if ! mount -t overlay overlay \
			-o "lowerdir=$m,upperdir=$up/u,workdir=$up/w" "$m" ||
			! mountpoint -q "$m"; then
			echo "fail cannot overlay $m"
			return
		fi
	done
	if ! DESTDIR='' PREFIX=$PREFIX BUILD=$BUILD MODULE=$MODULE \
		KRELEASE=$KVER scripts/install.sh install >"$d/install.log" 2>&1; then
		echo "fail scripts/install.sh install: $(tail -n 1 "$d/install.log")"
		return
	fi
	dep=$(grep -o '^[^:]*/altfutex\.ko:' "/lib/modules/$KVER/modules.dep" ||
		true)
	[ "$dep" = updates/altfutex.ko: ] ||
		why+=" modules.dep has '$dep', not updates/altfutex.ko;"
	cache=$(ldconfig -p | sed -n 's/^[[:space:]]*libaltfutex\.so\.1 .*=> //p')
	[ "$cache" = "$PREFIX/lib/libaltfutex.so.1" ] ||
		why+=" ldconfig -p: libaltfutex.so.1 => '$cache';"
	# pkg-config's own search path, which has /usr/local/lib/pkgconfig
	# shellcheck disable=SC2046,SC2086
	if flags=$(env -u PKG_CONFIG_PATH pkg-config --cflags --libs altfutex) &&
		"$CC" -pthread -o "$d/roundtrip" tests/install/roundtrip.c $flags \
			>"$d/cc.log" 2>&1; then
		lib=$(ldd "$d/roundtrip" 2>&1 | sed -n 's/^[[:space:]]*libaltfutex\.so\.1 => \([^ ]*\) .*/\1/p')
		[ "$lib" = "$PREFIX/lib/libaltfutex.so.1" ] ||
			why+=" the program loads libaltfutex.so.1 from '$lib';"
	else
		why+=" pkg-config --cflags --libs altfutex ('$flags') and cc failed;"
	fi
	DESTDIR='' PREFIX=$PREFIX BUILD=$BUILD MODULE=$MODULE KRELEASE=$KVER \
		scripts/install.sh uninstall >"$d/uninstall.log" 2>&1 ||
		why+=" scripts/install.sh uninstall failed;"
	! grep -q altfutex "/lib/modules/$KVER/modules.dep" ||
		why+=" modules.dep still names altfutex after uninstall;"
	cmp -s "/lib/modules/$KVER/modules.dep" "$d/modules.dep.before" ||
		why+=" modules.dep is not what it was;"
	case $(ldconfig -p) in
	*libaltfutex*) why+=" ld.so.cache still has libaltfutex;" ;;
	esac
	[ ! -e /etc/modules-load.d/altfutex.conf ] ||
		why+=" modules-load.d/altfutex.conf is left;"
	if [ -z "$why" ]; then
		echo "ok depmod: $dep; ldconfig: $cache; pkg-config: $flags; the program loads $lib; uninstall: modules.dep as before, cache and conf clean"
	else
		echo "fail$why"
	fi
}
if [ "${1:-}" = --root-inner ]; then
	root_inner "$2"
	exit 0
fi

for f in "$MODULE" "$BUILD/libaltfutex.so.1.1.0" "$BUILD/libaltfutex.a" \
	"$BUILD/altfutex.pc"; do
	[ -f "$f" ] || die "no $f (make module lib)"
done
grep -qx "prefix=$PREFIX" "$BUILD/altfutex.pc" ||
	die "$BUILD/altfutex.pc is not for PREFIX=$PREFIX (make lib)"

work=$BUILD/install-check
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
stage=$work/stage
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

inst() {	# install|uninstall, into $stage
	DESTDIR=$stage PREFIX=$PREFIX BUILD=$BUILD MODULE=$MODULE \
		KRELEASE=$KVER scripts/install.sh "$1" >"$work/$1.log" 2>&1
}

# ---- install-stage ---------------------------------------------------------

# What a staged install must hold, written out here rather than read from
# scripts/install.sh, each as "TYPE MODE PATH SOURCE-OR-LINK-TARGET".
lib=$PREFIX/lib
expected() {
	local m
	echo "f 644 /lib/modules/$KVER/updates/altfutex.ko $MODULE"
	echo "f 644 /etc/modules-load.d/altfutex.conf -"
	echo "f 644 $lib/libaltfutex.so.1.1.0 $BUILD/libaltfutex.so.1.1.0"
	echo "l 777 $lib/libaltfutex.so.1 libaltfutex.so.1.1.0"
	echo "l 777 $lib/libaltfutex.so libaltfutex.so.1"
	echo "f 644 $lib/libaltfutex.a $BUILD/libaltfutex.a"
	echo "f 644 $lib/pkgconfig/altfutex.pc $BUILD/altfutex.pc"
	echo "f 644 $PREFIX/include/altfutex.h userlib/altfutex.h"
	echo "f 644 $PREFIX/include/linux/altfutex.h include/uapi/linux/altfutex.h"
	[ ! -f "$BUILD/libaltfutex-preload.so" ] ||
		echo "f 644 $lib/libaltfutex-preload.so $BUILD/libaltfutex-preload.so"
	for m in man/man3/*.3 man/man7/*.7; do
		[ ! -f "$m" ] || echo "f 644 $PREFIX/share/man/${m#man/} $m"
	done
}

stage_ok=
if ! inst install; then
	report FAIL install-stage "scripts/install.sh install failed: $(tail -n 1 "$work/install.log")"
else
	expected | sort -k 3 >"$tmp/want"
	(cd "$stage" && find . ! -type d -printf '%y %m /%P\n') | sort -k 3 \
		>"$tmp/have"
	why=
	if ! diff <(cut -d ' ' -f 1-3 "$tmp/want") "$tmp/have" >"$tmp/diff"; then
		why="the files differ from the expected list (<: expected, >: installed): $(grep '^[<>]' "$tmp/diff" | tr '\n' ';')"
	fi
	while read -r type _ path src; do
		[ -e "$stage$path" ] || [ -L "$stage$path" ] || continue
		case $type in
		l) [ "$(readlink "$stage$path")" = "$src" ] ||
			why+=" $path links to $(readlink "$stage$path"), not $src;" ;;
		f) [ "$src" = - ] || cmp -s "$src" "$stage$path" ||
			why+=" $path is not $src;" ;;
		esac
	done <"$tmp/want"
	[ "$(cat "$stage/etc/modules-load.d/altfutex.conf" 2>/dev/null)" = altfutex ] ||
		why+=" modules-load.d/altfutex.conf does not name altfutex alone;"
	pc=$stage$lib/pkgconfig/altfutex.pc
	grep -qx "prefix=$PREFIX" "$pc" 2>/dev/null ||
		why+=" altfutex.pc's prefix is not $PREFIX ($(grep '^prefix=' "$pc" 2>/dev/null));"
	n=$(wc -l <"$tmp/want")
	if [ -z "$why" ]; then
		stage_ok=1
		report PASS install-stage "$n files and links, modes, contents; altfutex.pc: prefix=$PREFIX"
	else
		report FAIL install-stage "$why"
	fi
fi

# ---- install-soname, install-vermagic -------------------------------------

so=$stage$lib/libaltfutex.so.1.1.0
soname=$(readelf -d "$so" 2>/dev/null |
	sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" = libaltfutex.so.1 ] &&
	[ "$(readlink -f "$stage$lib/libaltfutex.so")" = "$(readlink -f "$so")" ]; then
	report PASS install-soname "SONAME $soname; libaltfutex.so -> libaltfutex.so.1 -> libaltfutex.so.1.1.0"
else
	report FAIL install-soname "SONAME '$soname' (want libaltfutex.so.1), or the links do not reach it"
fi

ko=$stage/lib/modules/$KVER/updates/altfutex.ko
vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null) || vermagic=
if [ "${vermagic%% *}" = "$KVER" ]; then
	report PASS install-vermagic "vermagic '$vermagic'"
else
	report FAIL install-vermagic "vermagic '$vermagic' of $ko, want $KVER"
fi

# ---- install-pkgconfig, install-static --------------------------------------

prog=$work/roundtrip
export PKG_CONFIG_PATH=$stage$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage
# shellcheck disable=SC2086 # the flags are words
if flags=$(pkg-config --cflags --libs altfutex 2>&1) &&
	"$CC" -Wall -Werror -pthread -o "$prog" tests/install/roundtrip.c \
		$flags >"$work/cc.log" 2>&1; then
	needed=$(readelf -d "$prog" | sed -n 's/.*(NEEDED).*\[\(libaltfutex[^]]*\)\]/\1/p')
	if [ "$needed" = libaltfutex.so.1 ]; then
		report PASS install-pkgconfig "cc ... $flags: links, NEEDED $needed"
	else
		report FAIL install-pkgconfig "the program needs '$needed', not libaltfutex.so.1"
	fi
else
	report FAIL install-pkgconfig "pkg-config --cflags --libs altfutex: '$flags'; $(tail -n 3 "$work/cc.log" 2>/dev/null | tr '\n' ' ')"
fi
# shellcheck disable=SC2086
if flags=$(pkg-config --cflags altfutex 2>&1) &&
	"$CC" -Wall -Werror -pthread -static -o "$work/roundtrip-static" \
		tests/install/roundtrip.c $flags "$stage$lib/libaltfutex.a" \
		>"$work/cc-static.log" 2>&1; then
	report PASS install-static "linked statically with $lib/libaltfutex.a"
else
	report FAIL install-static "$(tail -n 3 "$work/cc-static.log" | tr '\n' ' ')"
fi
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# The stage, for the VM, before it is uninstalled (symbolic links kept).
tar -C "$stage" --owner=0 --group=0 --numeric-owner -cf "$work/stage.tar" .

# ---- install-uninstall --------------------------------------------------------

if ! inst uninstall; then
	report FAIL install-uninstall "scripts/install.sh uninstall failed: $(tail -n 1 "$work/uninstall.log")"
elif [ -n "$(find "$stage" -mindepth 1 | head -n 5)" ]; then
	report FAIL install-uninstall "left: $(find "$stage" -mindepth 1 | head -n 5 | tr '\n' ' ')"
else
	note=
	[ -n "$stage_ok" ] ||
		note=" (after an install that install-stage failed)"
	report PASS install-uninstall "the stage is empty$note"
fi

# ---- install-root ---------------------------------------------------------

if ! command -v unshare >/dev/null ||
	! unshare -m --propagation private true 2>/dev/null; then
	report SKIP install-root "no mount namespace (unshare -m)"
elif [ ! -f "/lib/modules/$KVER/modules.dep" ]; then
	report SKIP install-root "no /lib/modules/$KVER on the host: the install into / is checked on the host's own kernel"
else
	mkdir -p "$tmp/root"
	cp "/lib/modules/$KVER/modules.dep" "$tmp/root/modules.dep.before"
	out=$(unshare -m --propagation private "$0" --root-inner "$tmp/root" 2>&1 |
		tail -n 1) || true
	case $out in
	ok*) report PASS install-root "${out#ok }" ;;
	fail*) report FAIL install-root "${out#fail}" ;;
	*) report FAIL install-root "the check itself failed: '$out'" ;;
	esac
fi

# ---- install-dkms -----------------------------------------------------------

host_state() {	# what dkms must not change on the host
	ls -l --time-style=+%s.%N "/lib/modules/$KVER/modules.dep" 2>&1 || true
	{ find /var/lib/dkms "/lib/modules/$KVER/updates" 2>/dev/null ||
		true; } | sort
}
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
if [ ! -e "/lib/modules/$KVER/build/Makefile" ]; then
	report SKIP install-dkms "no headers for $KVER on the host (/lib/modules/$KVER/build): DKMS is checked on the host's own kernel"
elif ! command -v dkms >/dev/null && ! scripts/deps.sh dkms; then
	report SKIP install-dkms "dkms is not installed (scripts/deps.sh dkms)"
else
	d=$tmp/dkms
	mkdir -p "$d/tree" "$d/lib/$KVER"
	scripts/install.sh dkms-source "$d/src/altfutex-$ver" >/dev/null
	before=$(host_state)
	dk=(--dkmstree "$d/tree" --sourcetree "$d/src" --installtree "$d/lib")
	# No signing: dkms would make a key in /var/lib/dkms.
	if sign_file=/nonexistent dkms add "altfutex/$ver" "${dk[@]}" \
			>"$work/dkms.log" 2>&1 &&
		sign_file=/nonexistent dkms build "altfutex/$ver" -k "$KVER" \
			"${dk[@]}" >>"$work/dkms.log" 2>&1 &&
		sign_file=/nonexistent dkms install "altfutex/$ver" -k "$KVER" \
			--no-depmod "${dk[@]}" >>"$work/dkms.log" 2>&1; then
		dko=$(find "$d/lib/$KVER" -name altfutex.ko | head -n 1)
		dvermagic=$(modinfo -F vermagic "$dko" 2>/dev/null) || dvermagic=
		after=$(host_state)
		if [ "${dvermagic%% *}" != "$KVER" ]; then
			report FAIL install-dkms "the module dkms installed ($dko) has vermagic '$dvermagic', want $KVER"
		elif [ "$before" != "$after" ]; then
			report FAIL install-dkms "the host changed: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | tr '\n' ' ')"
		else
			report PASS install-dkms "dkms add, build, install altfutex/$ver for $KVER: ${dko#"$d"/lib/}, vermagic '$dvermagic'; the host untouched"
		fi
	else
		report FAIL install-dkms "dkms failed ($work/dkms.log): $(tail -n 3 "$work/dkms.log" | tr '\n' ' ')"
	fi
fi

# ---- in the VM ----------------------------------------------------------------

if [ -z "$with_vm" ]; then
	for t in install-modprobe install-devmode install-roundtrip; do
		report SKIP "$t" "--host: no VM"
	done
	summary "$passed" "$failed" "$skipped"
	[ "$failed" -eq 0 ]
	exit
fi

cp /etc/ld.so.conf "$work/ld.so.conf"
cp /etc/ld.so.conf.d/libc.conf "$work/libc.conf"
cp "$(command -v ldconfig)" "$work/ldconfig"
stamp=$tmp/stamp
: >"$stamp"
rc=0
if [ -f "$prog" ]; then
	VM_TIMEOUT=${VM_TIMEOUT:-600} scripts/vm.sh --cmd "sh ./guest.sh" \
		--files "tests/install/guest.sh $work/stage.tar $prog $work/ldconfig $work/ld.so.conf $work/libc.conf" ||
		rc=$?
fi
res=$BUILD/vm/result
# A copy of the VM's files: make check runs the suite's VM next.
mkdir -p "$work/vm"
for f in console.log output.log result verdict; do
	[ ! -f "$BUILD/vm/$f" ] || cp "$BUILD/vm/$f" "$work/vm/"
done
if [ ! -f "$prog" ]; then
	for t in install-modprobe install-devmode install-roundtrip; do
		report FAIL "$t" "not run: no roundtrip program (install-pkgconfig)"
	done
elif [ ! "$BUILD/vm/verdict" -nt "$stamp" ]; then
	echo "$me: the VM did not run (scripts/vm.sh: status $rc)"
	failed=$((failed + 1))
else
	g_pass=$(grep -c '^TEST PASS ' "$res" || true)
	g_fail=$(grep -c '^TEST FAIL ' "$res" || true)
	passed=$((passed + g_pass)) failed=$((failed + g_fail))
	problems=$(verdict "$BUILD" problem)
	if [ -n "$problems" ]; then
		echo "$me: one more failure for the VM run:"
		printf '%s\n' "$problems" | cut -d ' ' -f 2- | sed "s/^/$me:   /"
		failed=$((failed + 1))
	elif [ $((g_pass + g_fail)) -ne 3 ]; then
		echo "$me: the guest reported $((g_pass + g_fail)) tests, not 3; counting one failure"
		failed=$((failed + 1))
	elif [ "$rc" -ne 0 ] && [ "$g_fail" -eq 0 ]; then
		echo "$me: the VM run exited with status $rc but no test failed; counting one failure"
		failed=$((failed + 1))
	fi
fi

summary "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ]
