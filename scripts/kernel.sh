#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian's stock kernels other than the host's own: find them, fetch them,
# and build altfutex.ko for them.
#
#   scripts/kernel.sh version SUITE     print the version of SUITE's stock
#                                       kernel (bookworm, trixie, sid), e.g.
#                                       6.12.117+deb13-amd64
#   scripts/kernel.sh prepare KVER      fetch and unpack kernel KVER
#   scripts/kernel.sh module KVER OUT   build altfutex.ko for KVER into OUT
#   scripts/kernel.sh source KVER       print the path of KVER's source
#                                       tarball (linux-source-X.Y), fetched
#                                       if need be
#   scripts/kernel.sh list              the suite and version of each kernel
#                                       of the matrix, one per line
#
# bookworm's kernel is the host's (scripts/deps.sh installs it, and the
# module is built on the host).  For the others, which need a newer
# compiler and glibc than bookworm has, this script:
#
#  - reads each suite's package index through a private apt configuration
#    (its own sources list and state under $CACHE/apt-SUITE), never the
#    machine's own apt sources, to find the version that suite's
#    linux-headers-amd64 depends on;
#  - downloads the kernel's packages with `apt-get download` into
#    $CACHE/debs/KVER: the headers (linux-headers-KVER, its -common and
#    linux-kbuild), and the image with its modules (linux-image-KVER, or on
#    sid, which splits it, linux-binary-KVER and linux-modules-KVER);
#  - unpacks the image with dpkg -x into $CACHE/KVER, runs depmod there, and
#    links $CACHE/KVER/vmlinuz and $CACHE/KVER/modules (the modules
#    directory, for the VM's zram, ext4 and fuse; see mkinitramfs.sh -M);
#  - builds the module in a small sid build root ($CACHE/buildroot, made
#    once with mmdebstrap) that holds the compiler each kernel was built
#    with, as named by its headers' dependencies (gcc-14 for 6.12, gcc-16
#    for 7.x), and into which the headers are unpacked at their real paths
#    (their Makefiles name /usr/src/linux-headers-...-common).  The 7.x
#    objtool reads /proc, so the build runs in a mount namespace of its own
#    with /proc mounted in the root.
#
# Everything is cached: a second run downloads nothing and only rebuilds
# the module.  Needs root (mmdebstrap, chroot, mount).
#
# Environment:
#   CACHE          cache directory (default: build/cache/kernels)
#   DEBIAN_MIRROR  the Debian archive (default: the one in the machine's own
#                  apt sources, else http://deb.debian.org/debian)
#   APT_MAX_AGE    re-read a suite's index when older than this many
#                  seconds (default: 86400)
set -euo pipefail

me=kernel
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

cd "$(dirname "$0")/.."
top=$PWD
CACHE=${CACHE:-build/cache/kernels}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
APT_MAX_AGE=${APT_MAX_AGE:-86400}

[ "$(id -u)" -eq 0 ] || [ "${1:-}" = list ] || [ "${1:-}" = version ] ||
	die "needs root (mmdebstrap, chroot and mount); run it with sudo"

mirror() {
	local m=${DEBIAN_MIRROR:-}
	if [ -z "$m" ]; then
		# shellcheck disable=SC2016 # $(REPO_URI) is apt's, not ours
		m=$(apt-get indextargets --format '$(REPO_URI)' \
			'Identifier: Packages' 2>/dev/null |
			grep -m 1 '/debian/$' || true)
	fi
	echo "${m:-http://deb.debian.org/debian/}"
}

host_kver() {
	scripts/deps.sh --kver
}

# The options of apt-get/apt-cache for SUITE's private configuration.
apt_opts() {
	local d=$CACHE/apt-$1
	printf '%s\n' -o "Dir::Etc::sourcelist=$d/sources.list" \
		-o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$d/lists" \
		-o "Dir::Cache=$d/cache" -o "Dir::State::status=$d/status" \
		-o Acquire::Check-Valid-Until=false -o APT::Sandbox::User=root \
		-o Debug::NoLocking=1
}

# Read SUITE's index if we have none or it is old.
apt_update() {
	local d=$CACHE/apt-$1 stamp t0
	stamp=$d/updated
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	touch "$d/status"
	echo "deb $(mirror) $1 main" >"$d/sources.list.new"
	if ! cmp -s "$d/sources.list.new" "$d/sources.list" 2>/dev/null; then
		mv "$d/sources.list.new" "$d/sources.list"
		rm -f "$stamp"
	else
		rm -f "$d/sources.list.new"
	fi
	if [ -f "$stamp" ] &&
		[ $(($(date +%s) - $(stat -c %Y "$stamp"))) -lt "$APT_MAX_AGE" ]; then
		return 0
	fi
	t0=$(now_ns)
	mapfile -t o < <(apt_opts "$1")
	apt-get "${o[@]}" -q update >&2 ||
		die "apt-get update of $1 failed"
	touch "$stamp"
	say "read the $1 index in $(since "$t0") s"
}

# apt-cache depends of package $2 in suite $1, one "Depends:" name a line.
depends() {
	mapfile -t o < <(apt_opts "$1")
	apt-cache "${o[@]}" depends "$2" 2>/dev/null |
		sed -n 's/^ *|\{0,1\}Depends: \([^ <]*\)$/\1/p'
}

has_package() {
	mapfile -t o < <(apt_opts "$1")
	apt-cache "${o[@]}" show "$2" >/dev/null 2>&1
}

suite_version() {
	local v
	if [ "$1" = bookworm ]; then
		host_kver
		return
	fi
	apt_update "$1"
	v=$(depends "$1" linux-headers-amd64 |
		sed -n 's/^linux-headers-\(.*-amd64\)$/\1/p' | head -n 1)
	[ -n "$v" ] || die "$1 has no linux-headers-amd64 depending on a kernel"
	echo "$v"
}

# The suite that has kernel $1: +debNN names it, else ask each index.
suite_of() {
	local s
	case $1 in
	*+deb13-*) echo trixie; return ;;
	*+deb14-*) echo sid; return ;;
	esac
	[ "$1" != "$(host_kver)" ] || { echo bookworm; return; }
	for s in $MATRIX_SUITES; do
		[ "$s" != bookworm ] || continue
		apt_update "$s"
		if has_package "$s" "linux-headers-$1"; then
			echo "$s"
			return
		fi
	done
	die "no Debian suite of the matrix ($MATRIX_SUITES) has kernel $1"
}

# ---- fetching ----------------------------------------------------------------

# Download packages $3... of suite $1 into directory $2 (once).
download() {
	local suite=$1 dir=$2 p missing=() t0
	shift 2
	mkdir -p "$dir"
	for p in "$@"; do
		compgen -G "$dir/${p}_*.deb" >/dev/null || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	t0=$(now_ns)
	mapfile -t o < <(apt_opts "$suite")
	(cd "$dir" && apt-get "${o[@]}" -q download "${missing[@]}" >&2) ||
		die "apt-get download ${missing[*]} from $suite failed"
	say "downloaded ${missing[*]} ($(du -sh "$dir" | cut -f 1) in all) in $(since "$t0") s"
}

# The header packages of kernel $2 in suite $1.
header_packages() {
	echo "linux-headers-$2"
	depends "$1" "linux-headers-$2" |
		grep -E '^linux-(headers-.*-common|kbuild-)' || true
}

# The compilers kernel $2 of suite $1 was built with (gcc-N for host).
compilers() {
	depends "$1" "linux-headers-$2" |
		sed -n 's/^\(gcc-[0-9][0-9]*\)\(-for-host\)\{0,1\}$/\1/p' | sort -u
}

prepare() {
	local kver=$1 suite dir pkgs t0 vmlinuz
	suite=$(suite_of "$kver")
	[ "$suite" != bookworm ] ||
		die "$kver is the host's kernel: scripts/deps.sh installs it"
	dir=$CACHE/$kver
	if [ -f "$dir/ready" ]; then
		return 0
	fi
	apt_update "$suite"
	pkgs=$(header_packages "$suite" "$kver")
	if has_package "$suite" "linux-binary-$kver"; then
		pkgs+=" linux-binary-$kver linux-modules-$kver"
	else
		pkgs+=" linux-image-$kver"
	fi
	# shellcheck disable=SC2086 # one package a word
	download "$suite" "$CACHE/debs/$kver" $pkgs

	t0=$(now_ns)
	rm -rf "$dir"
	mkdir -p "$dir/root"
	for p in "$CACHE/debs/$kver"/linux-{image,binary,modules}-*.deb; do
		[ ! -e "$p" ] || dpkg -x "$p" "$dir/root"
	done
	vmlinuz=$(cd "$dir/root" &&
		find . -name "vmlinuz-$kver" -o -name vmlinuz -path "*/$kver/*" |
		head -n 1)
	[ -n "$vmlinuz" ] || die "no vmlinuz in the packages of $kver"
	ln -s "root/${vmlinuz#./}" "$dir/vmlinuz"
	# Debian's image packages leave modules.dep to depmod at install time.
	[ -e "$dir/root/lib" ] || ln -s usr/lib "$dir/root/lib"
	depmod -b "$dir/root" "$kver" || die "depmod for $kver failed"
	ln -s "root/lib/modules/$kver" "$dir/modules"
	echo "$suite" >"$dir/suite"
	touch "$dir/ready"
	say "unpacked kernel $kver (from $suite) in $(since "$t0") s"
}

# The path of kernel $1's source tarball, from its suite's linux-source
# package (make peer's futex selftests): installed for the host's kernel,
# downloaded and unpacked into $CACHE/KVER/source for the others.
source_tarball() {
	local kver=$1 suite series pkg dir
	series=$(echo "$kver" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
	pkg=linux-source-$series
	suite=$(suite_of "$kver")
	if [ "$suite" = bookworm ]; then
		scripts/deps.sh "$pkg" >&2 || die "cannot install $pkg"
		echo "/usr/src/$pkg.tar.xz"
		return
	fi
	dir=$CACHE/$kver/source
	if [ ! -f "$dir/usr/src/$pkg.tar.xz" ]; then
		apt_update "$suite"
		has_package "$suite" "$pkg" || die "$suite has no $pkg"
		download "$suite" "$CACHE/debs/$kver" "$pkg"
		rm -rf "$dir"
		mkdir -p "$dir"
		dpkg -x "$CACHE/debs/$kver/${pkg}_"*.deb "$dir" ||
			die "cannot unpack $pkg"
	fi
	[ -f "$dir/usr/src/$pkg.tar.xz" ] || die "$pkg has no $pkg.tar.xz"
	echo "$dir/usr/src/$pkg.tar.xz"
}

# ---- building ----------------------------------------------------------------

# The compilers of every kernel of the matrix but the host's, so that one
# build root serves them all.
matrix_compilers() {
	local s
	for s in $MATRIX_SUITES; do
		[ "$s" = bookworm ] || compilers "$s" "$(suite_version "$s")"
	done
}

# The sid build root, with every compiler in $@ and those of the matrix
# (made again when one is missing from it).
buildroot() {
	local root=$CACHE/buildroot want have c complete t0 inc
	want=$({ printf '%s\n' "$@"; matrix_compilers; } | sort -u | tr '\n' ' ')
	have=$(cat "$root.compilers" 2>/dev/null || true)
	if [ -f "$root/.ready" ]; then
		complete=1
		for c in $want; do
			case " $have " in *" $c "*) ;; *) complete=0 ;; esac
		done
		[ "$complete" -eq 0 ] || return 0
		# shellcheck disable=SC2086 # one compiler a word
		want=$(printf '%s\n' $want $have | sort -u | tr '\n' ' ')
	fi
	command -v mmdebstrap >/dev/null || "$top"/scripts/deps.sh mmdebstrap ||
		die "cannot install mmdebstrap"
	t0=$(now_ns)
	rm -rf "$root" "$root.compilers"
	inc="make,libc6-dev,libelf1t64,libssl3t64,zlib1g,pahole"
	inc+=",$(echo "$want" | tr -s ' ' ',' | sed 's/,$//')"
	say "making the sid build root ($inc)"
	mmdebstrap --variant=minbase --include="$inc" \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		sid "$root" "$(mirror)" >&2 || die "mmdebstrap failed"
	echo "$want" >"$root.compilers"
	touch "$root/.ready"
	say "made the build root ($(du -sh "$root" | cut -f 1)) in $(since "$t0") s"
}

module() {
	local kver=$1 out=$2 suite root src t0
	prepare "$kver"
	suite=$(cat "$CACHE/$kver/suite")
	# shellcheck disable=SC2046 # one compiler a word
	buildroot $(compilers "$suite" "$kver")
	root=$CACHE/buildroot
	if [ ! -f "$root/.headers-$kver" ]; then
		for p in $(header_packages "$suite" "$kver"); do
			dpkg -x "$CACHE/debs/$kver/${p}_"*.deb "$root"
		done
		touch "$root/.headers-$kver"
	fi

	t0=$(now_ns)
	src=/build/$kver
	rm -rf "${root:?}$src"
	mkdir -p "$root$src"
	cp -R module include Kbuild "$root$src/"
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare --mount --fork sh -c '
		mount -t proc proc "$1/proc" &&
		chroot "$1" make -C "/usr/src/linux-headers-$2" M="$3" modules' \
		sh "$root" "$kver" "$src" >&2 ||
		die "building altfutex.ko for $kver failed"
	mkdir -p "$(dirname "$out")"
	cp "$root$src/altfutex.ko" "$out"
	say "built $out for $kver in $(since "$t0") s"
}

case ${1:-} in
version)
	[ $# -eq 2 ] || die "usage: $0 version SUITE"
	suite_version "$2" ;;
prepare)
	[ $# -eq 2 ] || die "usage: $0 prepare KVER"
	prepare "$2" ;;
module)
	[ $# -eq 3 ] || die "usage: $0 module KVER OUT"
	out=$3
	case $out in /*) ;; *) out=$top/$out ;; esac
	module "$2" "$out" ;;
source)
	[ $# -eq 2 ] || die "usage: $0 source KVER"
	source_tarball "$2" ;;
list)
	for s in $MATRIX_SUITES; do
		echo "$s $(suite_version "$s")"
	done ;;
*)
	usage_text 4 16 >&2
	exit 2 ;;
esac
