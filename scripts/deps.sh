#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages altfutex needs, if any is missing.
#   scripts/deps.sh          install what is missing of the build's and
#                            the VM's packages (apt-get update first)
#   scripts/deps.sh PKG...   the same for those packages only (for the
#                            scripts that need more: the bench's gnuplot,
#                            the debug kernel's source, mmdebstrap)
#   scripts/deps.sh --kver   print the version of Debian's stock kernel
#                            (the one linux-headers-amd64 depends on)
# What it says goes to stderr, so that a caller's stdout stays its own.
set -eu

PKGS="linux-headers-amd64 linux-image-amd64 qemu-system-x86 busybox-static
cpio kmod gcc gcc-multilib make libc6-dev sparse mandoc groff-base"

stock_kver() {
	dpkg-query -W -f='${Depends}\n' linux-headers-amd64 2>/dev/null |
		sed -n 's/.*linux-headers-\([^ ,]*-amd64\).*/\1/p' | head -n 1
}

if [ "${1:-}" = "--kver" ]; then
	v=$(stock_kver)
	if [ -z "$v" ]; then
		# not installed yet: the newest headers present, if any
		v=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null |
			sed 's|.*/linux-headers-||' | sort -V | tail -n 1)
	fi
	echo "${v:-unknown}"
	exit 0
fi

own=1
if [ $# -gt 0 ]; then
	PKGS=$* own=
fi
missing=
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
# the image and headers of the same version must both be there
v=$(stock_kver)
if [ -n "$own" ] && [ -n "$v" ] && { [ ! -e "/boot/vmlinuz-$v" ] ||
		    [ ! -d "/usr/src/linux-headers-$v" ]; }; then
	missing="$missing linux-image-$v linux-headers-$v"
fi

if [ -n "$missing" ]; then
	echo "deps: installing:$missing" >&2
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q >&2
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -q --no-install-recommends $missing >&2
fi
