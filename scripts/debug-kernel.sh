#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build, once, and cache the altfutex debug kernel: Debian's linux-source-6.1
# configured as tinyconfig + scripts/debug-kernel.config (lockdep, KASAN,
# UBSAN, kmemleak, debugobjects, KUnit...), for scripts/check-debug.sh.
#
#   scripts/debug-kernel.sh           build it if the cache is stale, then
#                                     print KDIR=, VMLINUZ=, KVER=, KMODDIR=
#   scripts/debug-kernel.sh --print   only print them (fails if not built)
#
# The four lines on stdout are shell assignments (eval them, or source a
# file that holds them); every message goes to stderr.  KDIR is the built
# tree (bzImage, Module.symvers, modules_prepare): build an out-of-tree
# module with `make -C $KDIR M=<dir> modules`.  VMLINUZ is its bzImage,
# KVER its release, e.g. 6.1.192-altfutex-debug, and KMODDIR its module
# directory for scripts/vm.sh (no module: everything is built in; it
# has modules.builtin and modules.dep).
#
# Steps: install the missing Debian packages (apt-get update first, only
# when something is missing); unpack /usr/src/linux-source-6.1.tar.xz under
# the cache; make tinyconfig, merge the fragment, olddefconfig, and check
# that every option of the fragment has the value it asks for (Kconfig
# drops an option whose dependencies are missing without a word: this
# fails naming them); make bzImage and modules (no module is configured:
# this writes Module.symvers), modules_prepare and modules_install into
# the cache.
#
# SANITIZER=kcsan builds the KCSAN variant instead: the same fragment,
# then scripts/debug-kernel-kcsan.config over it (KASAN off, KCSAN on),
# in a cache of its own, $BUILD/cache/debug-kernel-kcsan, release
# 6.1.N-altfutex-kcsan.  Both can be kept side by side.
#
# The cache is valid while its stamp matches a hash of the fragments, this
# script, the linux-source-6.1 package version and the compiler version;
# then nothing is done.  A new source package version unpacks the tree
# afresh; any other change rebuilds in the same tree, incrementally.
#
# Environment:
#   BUILD             build directory (default: build)
#   SANITIZER         kasan (default) or kcsan
#   DEBUG_KERNEL_DIR  the cache (default: $BUILD/cache/debug-kernel, with
#                     -kcsan appended for the KCSAN variant)
#   JOBS              parallel make jobs (default: nproc)
set -euo pipefail

me=debug-kernel
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

mode=build
case ${1:-} in
'') ;;
--print) mode=print ;;
-h|--help) usage_text 4 16; exit 0 ;;
*) usage_text 8 9 >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."
top=$(pwd)
BUILD=${BUILD:-build}
jobs=${JOBS:-$(nproc)}
# the fragments, merged in this order: a later one's value wins
fragments=("$top/scripts/debug-kernel.config")
case ${SANITIZER:-kasan} in
kasan) cache=${DEBUG_KERNEL_DIR:-$BUILD/cache/debug-kernel} ;;
kcsan)
	cache=${DEBUG_KERNEL_DIR:-$BUILD/cache/debug-kernel-kcsan}
	fragments+=("$top/scripts/debug-kernel-kcsan.config") ;;
*) die "SANITIZER must be kasan or kcsan, not '$SANITIZER'" ;;
esac
srcpkg=linux-source-6.1
tarball=/usr/src/$srcpkg.tar.xz
# make's arguments for every step: x86_64 whatever the defaults (with
# tinyconfig, ARCH=x86 would ask for 64BIT and get "no")
kmake=(make -s ARCH=x86_64)

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
tree=$cache/$srcpkg
stamp=$cache/stamp
info=$cache/kernel.env

print_info() {
	[ -f "$info" ] && [ -f "$stamp" ] ||
		die "the debug kernel is not built (scripts/debug-kernel.sh)"
	cat "$info"
}
if [ "$mode" = print ]; then
	print_info
	exit 0
fi

# One build at a time; a second caller waits for the first.
exec 9>"$cache/lock"
if ! flock -n 9; then
	say "another build holds $cache/lock; waiting"
	flock 9
fi

t_all=$(now_ns)
declare -a figures=()
step_start=0
step() {	# NAME: start timing a step
	step_name=$1
	step_start=$(now_ns)
	say "$step_name..."
}
step_done() {
	local dt
	dt=$(since "$step_start")
	figures+=("$step_name ${dt}s")
	say "$step_name: ${dt}s"
}

# ---- packages --------------------------------------------------------------

"$top"/scripts/deps.sh "$srcpkg" bc bison flex libelf-dev gcc make xz-utils \
	cpio kmod || die "cannot install the packages the kernel build needs"
[ -r "$tarball" ] || die "no $tarball (package $srcpkg)"

# ---- the cache -------------------------------------------------------------

srcver=$(dpkg-query -W -f='${Version}' "$srcpkg")
ccver=$(gcc --version | head -n 1)
key=$({
	sha256sum "${fragments[@]}" "$0" | cut -d ' ' -f 1
	echo "$srcpkg $srcver"
	echo "$ccver"
} | sha256sum | cut -d ' ' -f 1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] && [ -f "$info" ]; then
	# shellcheck disable=SC1090
	. "$info"
	if [ -f "$VMLINUZ" ] && [ -f "$KDIR/Module.symvers" ] &&
		[ -f "${KMODDIR:-}/modules.dep" ]; then
		say "cached: $KVER in $KDIR ($(since "$t_all")s)"
		cat "$info"
		exit 0
	fi
fi
rm -f "$stamp"

# ---- source ----------------------------------------------------------------

if [ ! -f "$cache/source-version" ] ||
	[ "$(cat "$cache/source-version")" != "$srcpkg $srcver" ] ||
	[ ! -f "$tree/Makefile" ]; then
	step "unpacking $srcpkg $srcver"
	rm -rf "$tree" "$cache/source-version"
	tar -xJf "$tarball" -C "$cache"
	[ -f "$tree/Makefile" ] || die "$tarball did not unpack into $tree"
	echo "$srcpkg $srcver" >"$cache/source-version"
	step_done
else
	say "source: $srcpkg $srcver, already unpacked in $tree"
fi

# ---- configuration ---------------------------------------------------------

step "configuring (tinyconfig + ${fragments[*]#"$top"/})"
(
	cd "$tree"
	log=$cache/config.log
	# (kconfig's "override: X changes choice state" notes go to the log)
	{
		"${kmake[@]}" tinyconfig &&
		KCONFIG_CONFIG=.config scripts/kconfig/merge_config.sh -m \
			.config "${fragments[@]}" &&
		"${kmake[@]}" olddefconfig
	} >"$log" 2>&1 || { tail -n 30 "$log" >&2; exit 1; }
) || die "the configuration failed"

# Every option of the fragments must have the value the last one to name
# it asks for.
declare -A want=()
declare -a order=()
for fragment in "${fragments[@]}"; do
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*) opt=${line%%=*} ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }
			opt=${opt%% *} ;;
		*) continue ;;
		esac
		[ -n "${want[$opt]+set}" ] || order+=("$opt")
		want[$opt]=$line
	done <"$fragment"
done
bad=
for opt in "${order[@]}"; do
	line=${want[$opt]}
	case $line in
	CONFIG_*=*)
		if ! grep -qxF -- "$line" "$tree/.config"; then
			got=$(grep -E "^$opt=|^# $opt is not set" "$tree/.config" || true)
			bad+="  $line (got: ${got:-absent})"$'\n'
		fi ;;
	*)
		if got=$(grep -E "^$opt=" "$tree/.config"); then
			bad+="  $line (got: $got)"$'\n'
		fi ;;
	esac
done
if [ -n "$bad" ]; then
	say "these options of ${fragments[*]#"$top"/} did not get their" \
		"value (missing dependencies?):"
	printf '%s' "$bad" >&2
	die "configuration check failed"
fi
step_done

# ---- build -----------------------------------------------------------------

step "make -j$jobs bzImage modules"
log=$cache/build.log
if ! (cd "$tree" && "${kmake[@]}" -j"$jobs" bzImage modules) >"$log" 2>&1; then
	tail -n 40 "$log" | sed 's/^/  | /' >&2
	die "the kernel build failed (the whole log: $log)"
fi
step_done

step "make modules_prepare modules_install"
kver=$(cd "$tree" && "${kmake[@]}" kernelrelease)
# A module directory with no module but modules.builtin and a modules.dep
# (depmod), for scripts/mkinitramfs.sh: zram and ext4 are built in.
modroot=$cache/modules
rm -rf "$modroot"
(cd "$tree" && "${kmake[@]}" modules_prepare &&
	"${kmake[@]}" INSTALL_MOD_PATH="$modroot" modules_install) \
	>>"$log" 2>&1 || die "make modules_prepare modules_install failed ($log)"
kmoddir=$modroot/lib/modules/$kver
[ -f "$kmoddir/modules.dep" ] ||
	die "no $kmoddir/modules.dep after modules_install"
# (the links back to the tree, which the tree's own module builds use)
rm -f "$kmoddir/build" "$kmoddir/source"
step_done

vmlinuz=$tree/arch/x86/boot/bzImage
[ -f "$vmlinuz" ] || die "no $vmlinuz after the build"
[ -f "$tree/Module.symvers" ] || die "no $tree/Module.symvers after the build"
# printf %q: the paths come back intact through eval or source
printf 'KDIR=%q\nVMLINUZ=%q\nKVER=%q\nKMODDIR=%q\n' \
	"$tree" "$vmlinuz" "$kver" "$kmoddir" >"$info"
echo "$key" >"$stamp"

say "built $kver: $(du -h "$vmlinuz" | cut -f 1) bzImage;" \
	"${figures[*]/%/;} total $(since "$t_all")s"
cat "$info"
