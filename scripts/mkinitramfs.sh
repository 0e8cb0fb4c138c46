#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the initramfs of the altfutex test VM.
#
#   scripts/mkinitramfs.sh -o OUT -m MODULE -b BUILD [-c CMD] [-p MODPARAMS]
#                          [-k KLOG_PATTERN] [-K KVER [-M MODDIR]] [FILE...]
#
# The image holds:
#   /init                     scripts/vm-init.sh (busybox sh, PID 1)
#   /bin/busybox + applets    from busybox-static
#   /altfutex.ko              MODULE
#   /lib/modules/vm/          with -K: the stock kernel's modules that the VM
#                             needs for its swap, its disk and FUSE (zram,
#                             ext4 and fuse, with their dependencies, and
#                             the crc32c driver that ext4 asks the crypto
#                             API for where the kernel has one as a module,
#                             from MODDIR, default /lib/modules/KVER), and
#                             load-order, the names in the order vm-init.sh
#                             loads them
#   /lib/..., /lib64/...      the ELF interpreter and every library that ldd
#                             lists for the binaries in BUILD/tests,
#                             BUILD/examples, the FILEs and busybox
#   /usr/lib/<multiarch>/     BUILD/libaltfutex.so.*, next to libc, where
#                             ld.so looks without an ld.so.cache
#   /work/                    the FILEs (files or directories), by basename
#   /etc/altfutex-vm/cmd      CMD, run by /init with sh -c in /work
#   /etc/altfutex-vm/modparams  MODPARAMS for insmod
#   /etc/altfutex-vm/klog-pattern  what the kernel must not log (grep -E)
#
# OUT is a gzip-compressed newc cpio archive; every file in it is owned by
# root, so no root privileges are needed to build it.
set -euo pipefail

me=${0##*/}
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
	usage_text 4 8
}

out='' module='' build='' cmd='' modparams='' klog_pattern='' kver=''
moddir=''
while getopts o:m:b:c:p:k:K:M:h opt; do
	case $opt in
	o) out=$OPTARG ;;
	m) module=$OPTARG ;;
	b) build=$OPTARG ;;
	c) cmd=$OPTARG ;;
	p) modparams=$OPTARG ;;
	k) klog_pattern=$OPTARG ;;
	K) kver=$OPTARG ;;
	M) moddir=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ -z "$out" ] || [ -z "$module" ] || [ -z "$build" ]; then
	usage >&2
	exit 2
fi

srcdir=$(cd "$(dirname "$0")" && pwd)
busybox=$(command -v busybox) ||
	die "busybox not found (install busybox-static: scripts/deps.sh)"
[ -f "$module" ] || die "module $module not found (make module)"
[ -d "$build" ] || die "build directory $build not found (make)"
command -v cpio >/dev/null || die "cpio not found (scripts/deps.sh)"
command -v ldd >/dev/null || die "ldd not found (install libc-bin)"
build=$(cd "$build" && pwd)

root=$(mktemp -d "${TMPDIR:-/tmp}/altfutex-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc/altfutex-vm} \
	"$root"/{proc,sys,dev,tmp,run,root,work,var/tmp}
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 0700 "$root/root"

# busybox and its applets (--list-full gives e.g. "usr/bin/awk")
cp "$busybox" "$root/bin/busybox"
"$busybox" --list-full | while IFS= read -r applet; do
	if [ -n "$applet" ] && [ ! -e "$root/$applet" ]; then
		ln -s /bin/busybox "$root/$applet"
	fi
done

cp "$srcdir/vm-init.sh" "$root/init"
chmod 0755 "$root/init"
cp "$module" "$root/altfutex.ko"
# the KUnit suites, a module of their own, built beside it for a kernel
# with KUnit (tests/kunit loads them)
kunit_ko=$(dirname "$module")/altfutex_kunit.ko
[ ! -f "$kunit_ko" ] || cp "$kunit_ko" "$root/altfutex_kunit.ko"
printf '%s\n' "$cmd" >"$root/etc/altfutex-vm/cmd"
printf '%s\n' "$modparams" >"$root/etc/altfutex-vm/modparams"
printf '%s\n' "$klog_pattern" >"$root/etc/altfutex-vm/klog-pattern"
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
	'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
	>"$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"
echo altfutex-vm >"$root/etc/hostname"

# Kernel modules for the VM's swap (zram) and disk (ext2 on zram, through
# the ext4 driver), and for tests/fuse (fuse), each after the modules it
# depends on (modules.dep).  Debian builds them as modules; a kernel that
# has them built in needs none.  ext4 asks the crypto API for "crc32c" at
# mount time, which no dependency names: its driver is crc32c_generic up
# to 6.x, crc32c-cryptoapi in 7.x, so those two are optional (no warning
# for a kernel that lacks one).  So is fuse: a module in 6.1, built in
# from 6.12 on, where 7.x's packages have no modules.builtin to say so;
# without it tests/fuse skips, saying why.
vm_modules='zram crc32c_generic crc32c-cryptoapi ext4 fuse'
vm_optional='crc32c_generic crc32c-cryptoapi fuse'
if [ -n "$kver" ]; then
	moddir=${moddir:-/lib/modules/$kver}
	mkdir -p "$root/lib/modules/vm"
	: >"$root/lib/modules/vm/load-order"
	add_module() {	# NAME: add it after its dependencies, once
		local path deps d name=$1
		grep -qx "$name" "$root/lib/modules/vm/load-order" && return 0
		path=$(sed -n "s#^\(.*/$name\.ko[^:]*\):.*#\1#p" \
			"$moddir/modules.dep" | head -n 1)
		if [ -z "$path" ]; then
			case " $vm_optional " in *" $name "*) return 0 ;; esac
			grep -Eq "/$name\.ko\$" "$moddir/modules.builtin" \
				2>/dev/null ||
				say "warning: no module $name for $kver"
			return 0
		fi
		deps=$(sed -n "s#^$path: *##p" "$moddir/modules.dep")
		for d in $deps; do
			d=${d##*/}
			add_module "${d%%.ko*}"
		done
		local ko=$root/lib/modules/vm/$name.ko
		case $path in
		*.ko) cp "$moddir/$path" "$ko" ;;
		*.ko.xz) xz -dc "$moddir/$path" >"$ko" ;;
		*.ko.zst) zstd -qdc "$moddir/$path" >"$ko" ;;
		*.ko.gz) gzip -dc "$moddir/$path" >"$ko" ;;
		*) die "$path: unknown module compression" ;;
		esac
		echo "$name" >>"$root/lib/modules/vm/load-order"
	}
	if [ -r "$moddir/modules.dep" ]; then
		for m in $vm_modules; do
			add_module "$m"
		done
	else
		say "warning: no $moddir/modules.dep: the VM gets no swap, disk or fuse modules"
	fi
fi

# The FILEs, into /work.  Symbolic links are followed: the guest gets the
# files they point to.
for f in "$@"; do
	[ -e "$f" ] || die "$f: no such file or directory"
	cp -RL -- "$f" "$root/work/"
done

# The ELF files whose libraries the guest needs.
elfs=$(mktemp "${TMPDIR:-/tmp}/altfutex-elfs.XXXXXX")
trap 'rm -rf "$root" "$elfs"' EXIT
{
	echo "$busybox"
	for d in "$build/tests" "$build/examples" "$root/work"; do
		[ -d "$d" ] && find "$d" -type f
	done
	find "$build" -maxdepth 1 -name 'libaltfutex.so.*' -type f
} | while IFS= read -r f; do
	[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] &&
		echo "$f"
done >"$elfs"

# ldd prints "name => /path (addr)", "/path/ld.so (addr)" or "name (addr)"
# for the vDSO; a library in BUILD is libaltfutex, copied below.
while IFS= read -r f; do
	deps=$(LD_LIBRARY_PATH=$build ldd "$f" 2>/dev/null) || continue
	if printf '%s\n' "$deps" | grep -q 'not found'; then
		printf '%s\n' "$deps" | grep 'not found' >&2
		die "$f needs a library that is not installed"
	fi
	printf '%s\n' "$deps" | awk '
		$2 == "=>" && $3 ~ /^\// { print $3; next }
		$1 ~ /^\// { print $1 }'
done <"$elfs" | sort -u | while IFS= read -r lib; do
	# (ours: libaltfutex, copied below, or a FILE beside its program)
	case $lib in "$build"/* | "$root"/*) continue ;; esac
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

# libaltfutex goes next to libc, in a directory ld.so searches without an
# ld.so.cache (the multiarch one on Debian).
libc=$(cd "$root" && find . -name libc.so.6 | head -n 1)
libc=${libc#./}
libdir=$root/${libc:+$(dirname "$libc")}
[ -n "$libc" ] || libdir=$root/usr/lib
for l in "$build"/libaltfutex.so.*; do
	if [ -e "$l" ]; then cp -P "$l" "$libdir/"; fi
done

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
