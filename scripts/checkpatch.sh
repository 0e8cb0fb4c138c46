#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run the kernel's checkpatch.pl --strict over altfutex's kernel, uapi,
# library and test sources.  checkpatch.pl ships only in Debian's
# linux-source package; the first run fetches that package with
# `apt-get download` (no installation) and keeps just the three files
# checkpatch needs under build/tools/checkpatch/.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dir="$top/build/tools/checkpatch"
cp="$dir/scripts/checkpatch.pl"

if [ ! -x "$cp" ]; then
	mkdir -p "$dir/dl"
	pkg=$(apt-cache depends linux-source 2>/dev/null |
		sed -n 's/.*Depends: \(linux-source-[0-9.]*\)$/\1/p' | head -n 1)
	pkg=${pkg:-linux-source-6.1}
	echo "checkpatch: fetching $pkg (once)"
	(cd "$dir/dl" && apt-get download "$pkg")
	deb=$(ls "$dir"/dl/"$pkg"_*.deb | head -n 1)
	dpkg-deb --fsys-tarfile "$deb" |
		tar -x -C "$dir/dl" --wildcards '*/linux-source-*.tar.xz'
	tarball=$(find "$dir/dl" -name 'linux-source-*.tar.xz' | head -n 1)
	tar -xJf "$tarball" -C "$dir" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	rm -rf "$dir/dl"
fi

cd "$top"
cpflags="--strict --no-tree --terse --show-types"
ret=0
# Kernel code and the uapi header: the full --strict set, except for the
# tracepoint header's two layout checks, which every TRACE_EVENT() laid
# out as the kernel's own include/trace/events/*.h are draws.
kernel_srcs=
for f in module/*.[ch] include/uapi/linux/*.h; do
	[ "$f" = module/trace.h ] || kernel_srcs="$kernel_srcs $f"
done
# shellcheck disable=SC2086
"$cp" $cpflags -f $kernel_srcs || ret=1
# shellcheck disable=SC2086
"$cp" $cpflags --ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT \
	-f module/trace.h || ret=1
# Userspace: the library's API (README.md, "API") is written in C99 types
# (uint32_t), so the kernel-type preference does not apply there, nor
# the kernel's attribute macros (__aligned, noinline: <linux/compiler.h>
# is not for user space), nor CamelCase, which the C library's own names
# have (_Fork), nor the rule that ENOSYS only means a bad system call
# number: the tests check for exactly that (a system call the kernel was
# built without).
# shellcheck disable=SC2046,SC2086
"$cp" $cpflags \
	--ignore PREFER_KERNEL_TYPES,PREFER_DEFINED_ATTRIBUTE_MACRO,CAMELCASE,ENOSYS \
	-f userlib/*.[ch] tests/*.[ch] tests/install/*.c bench/*.[ch] $(ls examples/*.c 2>/dev/null) ||
	ret=1
exit $ret
