#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make run: boot the VM, load the module and run the demos:
#  - build/examples/token-ring: a token passed around a ring of processes
#    that map one memfd at different addresses, through altfutex words; it
#    compares its throughput with futex(2)'s in the same VM;
#  - build/examples/epoll-loop: a consumer that waits for several
#    producers' mailboxes at once with epoll and altfutex fds.
#
#   scripts/run.sh [ARG...]      ARGs go to token-ring (or $ARGS:
#                                make run ARGS='8 5000', for 8 processes
#                                and 5000 rounds)
#
# Environment: as scripts/vm.sh; VM_TIMEOUT defaults to 600 s here.
set -euo pipefail

me=run
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
demos="$BUILD/examples/token-ring $BUILD/examples/epoll-loop"
for demo in $demos; do
	[ -x "$demo" ] || die "no $demo: build the examples first (make)"
done
[ $# -eq 0 ] || ARGS="$*"
args=${ARGS:-}
case $args in
*[!0-9\ ]*) die "token-ring takes numbers: '$args'" ;;
esac

export VM_TIMEOUT=${VM_TIMEOUT:-600}
exec scripts/vm.sh --files "$demos" --cmd "set -e
echo '# uname -r'; uname -r
echo; echo '# lsmod'; lsmod
echo; echo '# ls -l /dev/altfutex'; ls -l /dev/altfutex
echo; echo '# dmesg | grep altfutex:'; dmesg | grep altfutex:
echo; echo '# ./token-ring $args'; ./token-ring $args
echo; echo '# ./epoll-loop'; ./epoll-loop"
