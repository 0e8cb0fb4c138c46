#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install altfutex on this machine, or remove it (make install, make
# uninstall).
#
#   scripts/install.sh install     install every file of the manifest
#   scripts/install.sh uninstall   remove every file of the manifest
#   scripts/install.sh list        print the manifest: kind, mode, source
#                                  and installed path of each file
#   scripts/install.sh dkms-source DIR
#                                  copy what dkms builds the module from
#                                  (dkms.conf, Kbuild, the module's
#                                  sources, the uapi header) into DIR,
#                                  e.g. /usr/src/altfutex-1.1.0
#
# Both install and uninstall walk the one list that manifest() below
# prints, so that they cannot disagree.  What it holds:
#   /lib/modules/RELEASE/updates/altfutex.ko   the module
#   PREFIX/lib/libaltfutex.so.1.1.0, the links libaltfutex.so.1 (soname)
#     and libaltfutex.so, libaltfutex.a, libaltfutex-preload.so (when
#     BUILD has it)
#   PREFIX/include/altfutex.h                  the library's header
#   PREFIX/include/linux/altfutex.h            the uapi header
#   PREFIX/lib/pkgconfig/altfutex.pc           (its prefix must be PREFIX:
#                                              make writes it so)
#   PREFIX/share/man/man3/*.3, man7/*.7        man/ (when the tree has it)
#   /etc/modules-load.d/altfutex.conf          loads the module at boot
# No udev rule: the module itself asks for mode 0666 (the miscdevice's
# mode, module/dev.c), which devtmpfs gives /dev/altfutex; no udev rule
# of Debian's sets another.
#
# With DESTDIR empty, install and uninstall then run depmod -a RELEASE and
# ldconfig.  With DESTDIR (a staged install, for a package) they do not:
# whoever puts the files on the target machine runs them there; uninstall
# also removes the directories it leaves empty under DESTDIR, so that a
# stage goes back to empty.  Without DESTDIR directories are left, as
# they may hold other packages' files.
#
# Environment (the Makefile sets them):
#   DESTDIR   staging directory              (default: none)
#   PREFIX    where the library goes         (default: /usr/local)
#   BUILD     build directory                (default: build)
#   MODULE    the module                     (default: altfutex.ko)
#   KRELEASE  the kernel release it is for   (default: the module's
#             vermagic; uninstall needs it when the module is gone)
# Exit status: 0, or 2 when something is missing or a step failed.
set -euo pipefail

me=install
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
BUILD=${BUILD:-build}
MODULE=${MODULE:-altfutex.ko}
LIB_VERSION=1.1.0
LIB_SONAME=libaltfutex.so.1

case $PREFIX in
/*) ;;
*) die "PREFIX must be an absolute path, not '$PREFIX'" ;;
esac
PREFIX=${PREFIX%/}
case $DESTDIR in
''|/*) DESTDIR=${DESTDIR%/} ;;
*) DESTDIR=$(pwd)/$DESTDIR ;;
esac

# The release the module is for: KRELEASE, or the module's vermagic.
release() {
	local v
	if [ -n "${KRELEASE:-}" ]; then
		echo "$KRELEASE"
		return
	fi
	[ -f "$MODULE" ] ||
		die "no $MODULE: build it (make module) or give KRELEASE="
	v=$(modinfo -F vermagic "$MODULE") ||
		die "modinfo cannot read $MODULE (install kmod)"
	echo "${v%% *}"
}

# The manifest: one line per installed file,
#   file MODE SOURCE PATH   a file of the tree or of BUILD
#   opt MODE SOURCE PATH    the same, installed only when SOURCE exists
#   link - TARGET PATH      a symbolic link to TARGET
#   text MODE WORD PATH     a file holding the line WORD
# PATH is where it goes on the target machine (DESTDIR comes on top).
manifest() {
	local rel=$1 lib=$PREFIX/lib inc=$PREFIX/include m
	echo "file 0644 $MODULE /lib/modules/$rel/updates/altfutex.ko"
	echo "text 0644 altfutex /etc/modules-load.d/altfutex.conf"
	echo "file 0644 $BUILD/libaltfutex.so.$LIB_VERSION $lib/libaltfutex.so.$LIB_VERSION"
	echo "link - libaltfutex.so.$LIB_VERSION $lib/$LIB_SONAME"
	echo "link - $LIB_SONAME $lib/libaltfutex.so"
	echo "file 0644 $BUILD/libaltfutex.a $lib/libaltfutex.a"
	echo "opt 0644 $BUILD/libaltfutex-preload.so $lib/libaltfutex-preload.so"
	echo "file 0644 $BUILD/altfutex.pc $lib/pkgconfig/altfutex.pc"
	echo "file 0644 userlib/altfutex.h $inc/altfutex.h"
	echo "file 0644 include/uapi/linux/altfutex.h $inc/linux/altfutex.h"
	for m in man/man3/*.3 man/man7/*.7; do
		[ ! -f "$m" ] ||
			echo "opt 0644 $m $PREFIX/share/man/${m#man/}"
	done
}

# depmod and ldconfig, on the machine itself only.
refresh() {
	local rel=$1
	if [ -n "$DESTDIR" ]; then
		say "$DESTDIR is a stage: depmod -a $rel and ldconfig are for" \
			"the machine the files go to"
		return
	fi
	depmod -a "$rel" || die "depmod -a $rel failed"
	if command -v ldconfig >/dev/null; then
		ldconfig || die "ldconfig failed"
	fi
}

do_install() {
	local rel kind mode src path dst tmp
	rel=$(release)
	[ -f "$MODULE" ] || die "no $MODULE (make module)"
	grep -qx "prefix=$PREFIX" "$BUILD/altfutex.pc" 2>/dev/null ||
		die "$BUILD/altfutex.pc is not for PREFIX=$PREFIX" \
			"(make lib PREFIX=$PREFIX)"
	while read -r kind mode src path; do
		dst=$DESTDIR$path
		case $kind in
		file|opt)
			if [ ! -f "$src" ]; then
				[ "$kind" = opt ] && continue
				die "no $src (make)"
			fi
			install -D -m "$mode" "$src" "$dst" ;;
		link)
			install -d "$(dirname "$dst")"
			ln -sfn "$src" "$dst" ;;
		text)
			tmp=$(mktemp)
			printf '%s\n' "$src" >"$tmp"
			install -D -m "$mode" "$tmp" "$dst"
			rm -f "$tmp" ;;
		esac
		echo "  $dst"
	done < <(manifest "$rel")
	refresh "$rel"
}

do_uninstall() {
	local rel kind mode src path dst d
	rel=$(release)
	while read -r kind mode src path; do
		dst=$DESTDIR$path
		[ -e "$dst" ] || [ -L "$dst" ] || continue
		rm -f "$dst"
		echo "  removed $dst"
		[ -n "$DESTDIR" ] || continue
		d=$(dirname "$dst")
		while [ "$d" != "$DESTDIR" ] && [ "${d#"$DESTDIR"/}" != "$d" ] &&
			rmdir "$d" 2>/dev/null; do
			d=$(dirname "$d")
		done
	done < <(manifest "$rel")
	refresh "$rel"
}

# What dkms builds the module from, at the same paths as in the tree.
do_dkms_source() {
	local dir=$1 f
	[ -n "$dir" ] || die "dkms-source needs a directory"
	for f in dkms.conf Kbuild module/*.[ch] include/uapi/linux/altfutex.h; do
		install -D -m 0644 "$f" "$dir/$f"
	done
	echo "$me: the module's sources are in $dir"
}

case ${1:-} in
install) do_install ;;
uninstall) do_uninstall ;;
list) manifest "$(release)" ;;
dkms-source) do_dkms_source "${2:-}" ;;
*) usage_text 7 16 >&2; exit 2 ;;
esac
