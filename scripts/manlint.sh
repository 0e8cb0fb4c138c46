#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make manlint: check the manual pages in man/.
#
#   scripts/manlint.sh
#
# Each page passes if:
#  - `mandoc -T lint` says nothing about it (a link page, a single
#    `.so man3/PAGE.3` line, may draw only mandoc's advice against .so);
#  - `groff -man -t -Tutf8 -ww -z` renders it without a warning;
#  - its .TH gives the name and section its file has;
#  - every page named in its SEE ALSO section is one of man/ or a
#    well-known system page (the list below).
# Then every symbol that userlib/libaltfutex.map exports must have a page,
# man/man3/SYMBOL.3 (a link page is fine).
#
# Prints one `PASS PAGE` or `FAIL PAGE` line per page, with the reasons
# of a failure on the lines after it, then a missing page as
# `FAIL man3/SYMBOL.3 (no page for a library symbol)`, and last the count:
#   N passed, N failed, 0 skipped
# Exit status: 0 if everything passed, 1 if not, 2 if a tool is missing.
set -euo pipefail

me=manlint
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# Everything runs in man/: groff reads a link page's .so from there.
cd "$(dirname "$0")/../man"
MAP=../userlib/libaltfutex.map

for tool in mandoc groff; do
	command -v "$tool" >/dev/null ||
		die "no $tool: run scripts/deps.sh (or make deps)"
done

# System pages a SEE ALSO may name without a page in man/.
KNOWN="
futex.2 poll.2 ppoll.2 select.2 read.2 write.2 open.2 close.2 ioctl.2
fcntl.2 fork.2 vfork.2 clone.2 execve.2 mmap.2 munmap.2 mremap.2
mprotect.2 madvise.2 ftruncate.2 clock_gettime.2 clock_nanosleep.2
prctl.2 syscall.2 sigaction.2 dup.2 dup2.2 memfd_create.2 umount.2
process_vm_readv.2 epoll_wait.2 eventfd.2
errno.3 pthread_mutex_lock.3 pthread_cond_wait.3 sem_wait.3 shm_open.3
epoll.7 signal.7 unix.7 time_namespaces.7 pthreads.7 io_uring.7
ld.so.8 insmod.8 modprobe.8 rmmod.8 pkg-config.1
"

pages=()
while IFS= read -r p; do
	pages+=("${p#./}")
done < <(find . -type f -name '*.[0-9]' | LC_ALL=C sort)

# Does a SEE ALSO reference NAME.SEC resolve?
resolves() {
	local ref=$1 sec=${1##*.}
	[ -f "man$sec/$ref" ] && return 0
	case " $(tr '\n' ' ' <<<"$KNOWN") " in
	*" $ref "*) return 0 ;;
	esac
	return 1
}

# The references of the SEE ALSO section of a page, as NAME.SEC lines:
# `.BR name (sec)` lines and inline `\fBname\fR(sec)`; `\-` is `-`.
see_also() {
	sed -n '/^\.SH "\{0,1\}SEE ALSO/,/^\.SH/p' "$1" |
		sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' |
		grep -oE '[A-Za-z0-9_.:+-]+ ?\([0-9][a-z]*\)' |
		sed -E 's/ ?\(([0-9][a-z]*)\)$/.\1/' || true
}

# check PAGE (relative to man/): print the problems, if any.
check() {
	local page=$1 out ref th name sec
	name=$(basename "$page")
	sec=${name##*.}
	name=${name%.*}

	if grep -q '^\.so ' "$page"; then
		# a link page: one line, naming a page that exists
		if [ "$(wc -l <"$page")" -ne 1 ]; then
			echo "a link page must be one .so line"
		fi
		ref=$(sed -n 's/^\.so //p' "$page")
		[ -f "$ref" ] || echo ".so target $ref does not exist"
		out=$(mandoc -T lint "$page" 2>&1 |
			grep -v ': WARNING: \.so is fragile, better use ln(1): so ') ||
			true
	else
		th=$(sed -n 's/^\.TH \([^ ]*\) \([^ ]*\) .*/\1 \2/p' "$page")
		th=${th//\\-/-}
		if [ "$th" != "${name^^} $sec" ]; then
			echo ".TH says '$th', the file '${name^^} $sec'"
		fi
		out=$(mandoc -T lint "$page" 2>&1) || true
		while IFS= read -r ref; do
			[ -n "$ref" ] || continue
			resolves "$ref" ||
				echo "SEE ALSO ${ref%.*}(${ref##*.}): no such page"
		done < <(see_also "$page")
	fi
	[ -z "$out" ] || printf '%s\n' "$out"
	out=$(groff -man -t -Tutf8 -ww -z "$page" 2>&1) || true
	[ -z "$out" ] || printf '%s\n' "$out"
	return 0
}

passed=0 failed=0
for page in "${pages[@]}"; do
	problems=$(check "$page")
	if [ -z "$problems" ]; then
		echo "PASS $page"
		passed=$((passed + 1))
	else
		echo "FAIL $page"
		printf '%s\n' "$problems" | sed "s/^/$me:   /"
		failed=$((failed + 1))
	fi
done

# Every exported symbol has its page.
[ -f "$MAP" ] || die "no $MAP"
symbols=$(sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);.*/\1/p' "$MAP")
[ -n "$symbols" ] || die "no symbol found in $MAP"
for sym in $symbols; do
	if [ ! -f "man3/$sym.3" ]; then
		echo "FAIL man3/$sym.3 (no page for a library symbol)"
		failed=$((failed + 1))
	fi
done

summary "$passed" "$failed" 0
[ "$failed" -eq 0 ]
