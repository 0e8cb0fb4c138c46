#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages altfutex needs, if any is missing.
#   scripts/deps.sh          install what is missing of the build's and
#                            the VM's packages (apt-get update first)
#   scripts/deps.sh PKG...   the same for those packages only (for the
#                            scripts that need more: the bench's gnuplot,
#                            the debug kernel's source, mmdebstrap, dkms)
#   scripts/deps.sh --check PKG...
#                            install nothing: fail, naming them and
#                            `make deps`, if any of those is missing
#                            (plain `make` checks what it needs so)
#   scripts/deps.sh --kver   print the version of Debian's stock kernel
#                            (the one linux-headers-amd64 depends on)
# With ALTFUTEX_NO_APT=1 in the environment (the Makefile sets it for
# every goal but the set-up ones: deps, run, check, check-install, matrix,
# check-debug, bench) nothing is installed either: a missing package is
# named, with the command that installs it, and the status is 1.
# What it says goes to stderr, so that a caller's stdout stays its own.
set -eu

# What `make` needs to build the module, the library and the tests, and
# what the VM and make check need on top (mandoc and groff: make manlint).
BUILD_PKGS="linux-headers-amd64 gcc gcc-multilib make libc6-dev"
VM_PKGS="linux-image-amd64 qemu-system-x86 busybox-static cpio kmod sparse
mandoc groff-base"

stock_kver() {
	dpkg-query -W -f='${Depends}\n' linux-headers-amd64 2>/dev/null |
		sed -n 's/.*linux-headers-\([^ ,]*-amd64\).*/\1/p' | head -n 1
}

if [ "${1:-}" = "--kver" ]; then
	v=$(stock_kver)
	if [ -z "$v" ]; then
		# not installed yet: the newest headers present, if any
		v=$(for d in /usr/src/linux-headers-*-amd64; do
			[ ! -d "$d" ] || echo "${d#/usr/src/linux-headers-}"
		done | sort -V | tail -n 1)
	fi
	echo "${v:-unknown}"
	exit 0
fi

apt=1 how="make deps"
PKGS="$BUILD_PKGS $VM_PKGS"
if [ "${1:-}" = "--check" ]; then
	shift
	PKGS=$* apt=''
elif [ $# -gt 0 ]; then
	PKGS=$* how="scripts/deps.sh $*"
fi
[ -z "${ALTFUTEX_NO_APT:-}" ] || apt=''
missing=
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
# the stock kernel's headers and image of the same version (those that
# are asked for) must be there
v=$(stock_kver)
case " $PKGS " in
*" linux-headers-amd64 "*)
	[ -z "$v" ] || [ -d "/usr/src/linux-headers-$v" ] ||
		missing="$missing linux-headers-$v" ;;
esac
case " $PKGS " in
*" linux-image-amd64 "*)
	[ -z "$v" ] || [ -e "/boot/vmlinuz-$v" ] ||
		missing="$missing linux-image-$v" ;;
esac
[ -n "$missing" ] || exit 0

if [ -z "$apt" ]; then
	echo "deps: missing Debian package(s):$missing; $how (as root)" \
		"installs them" >&2
	exit 1
fi
echo "deps: installing:$missing" >&2
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >&2
