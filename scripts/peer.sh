#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make peer: software nobody here wrote, on altfutex through the preload
# library, in one VM boot, each program run natively and then under
# LD_PRELOAD=libaltfutex-preload.so:
#  - the kernel's futex selftests, tools/testing/selftests/futex/functional
#    from the linux-source package of the kernel being booted (built here
#    against the host's libc, as the selftests' own Makefile does);
#  - a C++20 program of ours (tests/peer/cxx20.cc) on libstdc++'s
#    std::atomic::wait, counting_semaphore, latch and barrier, and
#    stress-ng --futex (Debian's stress-ng);
#  - perf bench futex (Debian's linux-perf): hash, wake, wake-parallel and
#    requeue, private and shared, as make bench's perf-* rows.
#
#   scripts/peer.sh
#
# Prints a table (name, native, preloaded, ioctls the module counted
# during the preloaded run, verdict, why), writes the perf rows to
# bench/perf-bench.csv (workload,native,preloaded,ratio,unit; ratio: preloaded
# cost / native cost) and ends with
#   N passed, N failed, N skipped
# A case passes when both runs pass and the preloaded one reached the
# module (a selftest whose futexes are all PI but for a wake reaches it
# for that wake only, or not at all); it is skipped when the preloaded
# run fails for a reason tests/peer/guest.sh gives (a feature the module
# does not have, or cannot have), or the native run fails too; any other
# failure, a hang, or a kernel report in the VM fails it.
#
# Installs what it needs (linux-source-X.Y, stress-ng, linux-perf, g++,
# libnuma-dev for 7.x's selftests) with scripts/deps.sh, unless
# ALTFUTEX_NO_APT is set.  Not part of make
# check (.ci/run runs it after make matrix): about 2 minutes, 4 with the
# downloads.
#
# Environment: KVER (the kernel to boot: make peer KVER=trixie takes
# the selftests of trixie's linux-source-6.12), BUILD, PEER_TIMEOUT
# (seconds per program run in the guest, default 240), and those of
# scripts/vm.sh.
set -euo pipefail

me=peer
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -eq 0 ] || { usage_text 4 '/^set -e/'; exit 2; }

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
KVER=${KVER:-$(scripts/deps.sh --kver)}
scripts/deps.sh stress-ng linux-perf g++ libnuma-dev >&2 ||
	die "the packages make peer needs are missing"
# the source of the kernel we boot: bookworm's package for its own kernel,
# the suite's for the others (scripts/kernel.sh)
tarball=$(scripts/kernel.sh source "$KVER") ||
	die "no linux-source package for $KVER"
src_pkg=$(basename "$tarball" .tar.xz)

out=$BUILD/peer
rm -rf "$out"
mkdir -p "$out/files/bin" "$out/src"
t0=$(now_ns)

# ---- the programs ------------------------------------------------------------

top=$src_pkg/tools/testing/selftests
tar -xJf "$tarball" -C "$out/src" --wildcards "$top/futex" \
	"$top/kselftest*.h" || die "$tarball has no $top/futex"
fdir=$out/src/$top/futex/functional
built=0 unbuilt=()
for c in "$fdir"/*.c; do
	t=$(basename "$c" .c)
	# the flags of the selftests' Makefiles, 6.1's to 7.x's (7.x links
	# libnuma only from 2.0.18 on, bookworm has 2.0.16); one that needs
	# a newer libc or compiler than bookworm's is a row of its own
	if gcc -g -O2 -Wall -pthread -D_GNU_SOURCE= -D_FILE_OFFSET_BITS=64 \
		-D_TIME_BITS=64 -DLIBNUMA_VER_NO=1 -I"$fdir/../include" \
		-I"$fdir/../.." -o "$out/files/bin/$t" "$c" -lpthread -lrt \
		>"$out/$t.build.log" 2>&1; then
		built=$((built + 1))
	else
		unbuilt+=("$t")
		say "warning: $t does not build here ($out/$t.build.log)"
	fi
done
[ "$built" -gt 0 ] || die "no futex selftest built"
cp "$fdir/run.sh" "$out/files/bin/run.sh"
g++ -std=c++20 -O2 -g -Wall -Wextra -pthread -o "$out/files/cxx20" \
	tests/peer/cxx20.cc || die "tests/peer/cxx20.cc does not build"
cp "$(command -v stress-ng)" "$out/files/stress-ng"
# /usr/bin/perf is Debian's perf itself (linux-perf diverts the wrapper)
cp /usr/bin/perf "$out/files/perf"
cp "$BUILD/libaltfutex-preload.so" tests/peer/guest.sh "$out/files/"
say "built $built selftests of $src_pkg, cxx20, and copied stress-ng and perf in $(since "$t0") s"

# ---- the VM ------------------------------------------------------------------

log=$out/output.log
set +e
VM_MEM=${VM_MEM:-3072} scripts/vm.sh --timeout "${VM_TIMEOUT:-3600}" \
	--cmd "PEER_TIMEOUT=${PEER_TIMEOUT:-240} sh files/guest.sh files" \
	--files "$out/files" 2>&1 | tee "$log" | grep -v '^peer-'
# guest.sh exits 0: any other status is the VM's (scripts/vm.sh: a kernel
# report, a crash, no result within the timeout)
vm_status=${PIPESTATUS[0]}
set -e

# ---- the table ---------------------------------------------------------------

row_fmt='%-44s %-10s %-16s %7s  %-7s %s\n'
echo
# shellcheck disable=SC2059 # the format is ours
printf "$row_fmt" program native preloaded ioctls verdict why
grep -a '^peer-row: ' "$log" | sed 's/^peer-row: //' |
	while IFS='|' read -r name nat pre n verdict why; do
		# shellcheck disable=SC2059
		printf "$row_fmt" "$name" "$nat" "$pre" "$n" "$verdict" "$why"
	done
for t in "${unbuilt[@]}"; do
	# shellcheck disable=SC2059
	printf "$row_fmt" "$t" - - - SKIP \
		"does not build with bookworm's compiler and libc ($out/$t.build.log)"
done
if grep -qa '^peer-bench: ' "$log"; then
	mkdir -p bench
	{
		echo workload,native,preloaded,ratio,unit
		grep -a '^peer-bench: ' "$log" | sed 's/^peer-bench: //'
	} >bench/perf-bench.csv
	echo
	printf '%-22s %14s %14s %8s  %s\n' "perf bench futex" native preloaded \
		ratio unit
	tail -n +2 bench/perf-bench.csv | while IFS=, read -r w n p r u; do
		printf '%-22s %14s %14s %8s  %s\n' "$w" "$n" "$p" "$r" "$u"
	done
	echo "(ratio: preloaded cost / native cost; written to bench/perf-bench.csv)"
fi

line=$(grep -a -E "$SUMMARY_RE" "$log" | tail -n 1 || true)
read -r p f s < <(summary_counts "$line" || echo "0 1 0")
s=$((s + ${#unbuilt[@]}))
if [ "$vm_status" -ne 0 ]; then
	echo "$me: the VM run failed (status $vm_status: a kernel report, a crash or a timeout): $log"
	f=$((f + 1))
fi
echo "$me: done in $(since "$t0") s"
summary "$p" "$f" "$s"
[ "$f" -eq 0 ]
