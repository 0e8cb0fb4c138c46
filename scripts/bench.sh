#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark altfutex against the kernel's futex in one VM boot.
#
#   scripts/bench.sh [-r REPS] [-d SECONDS] [-n]
#
# Boots one VM (scripts/vm.sh) that runs build/bench/bench: every workload
# on both implementations, interleaved, REPS times (default 9), SECONDS per
# measurement (default 0.5).  The bench sends its results through the VM's
# result port; from them this writes
#   bench/results.csv   workload,native,altfutex,ratio,unit (ratio: altfutex
#                       cost / native cost, lower is better); the rows
#                       perf-* are perf bench futex (linux-perf), native
#                       and under libaltfutex-preload.so, medians of 3
#                       (tests/peer/guest.sh --bench)
#   bench/samples.csv   every measurement, and the spreads
#   bench/scaling.csv   the hash workload over thread and word counts
#   bench/flood.csv     victim,flood,ns_without,ns_with,ratio: another
#                       process's wake with no waiter, on a private and on
#                       a shared word, without and under a flood of 100 000
#                       fd waiters (tests/flood, run after the bench)
#   bench/plot.png      the ratios and the scaling curves (gnuplot)
# and prints the table.  -n: leave the files in bench/ alone, only print.
#
# Environment: VM_SMP (default 2 here: the number of vCPUs the bench VM
# gets), plus everything scripts/vm.sh reads.
set -euo pipefail

me=bench
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

reps=9 dur=0.5 write=1
while getopts r:d:nh opt; do
	case $opt in
	r) reps=$OPTARG ;;
	d) dur=$OPTARG ;;
	n) write= ;;
	*) usage_text 4 6; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
bin=$BUILD/bench/bench
[ -x "$bin" ] || die "no $bin (make)"
if ! command -v gnuplot >/dev/null; then
	echo "$me: installing gnuplot-nox for the plot"
	scripts/deps.sh gnuplot-nox ||
		say "warning: no gnuplot, no plot"
fi

peer=$BUILD/bench/libbenchpeer.so
[ -f "$peer" ] || die "no $peer (make)"
flood=$BUILD/tests/flood
[ -x "$flood" ] || die "no $flood (make)"
# perf bench futex, native and under the preload library: rows perf-*
# (tests/peer/guest.sh --bench, as make peer runs them)
perf_files=
if scripts/deps.sh linux-perf >&2 && [ -x /usr/bin/perf ]; then
	perf_files="/usr/bin/perf $BUILD/libaltfutex-preload.so tests/peer/guest.sh"
else
	say "warning: no linux-perf: no perf bench rows"
fi

export VM_SMP=${VM_SMP:-2}
start=$(date +%s)
# The bench writes to the result port itself; its table goes to stdout.
# The flood rows come from the flood test, in the same boot.
VM_TIMEOUT=${VM_TIMEOUT:-900} scripts/vm.sh \
	--cmd "./bench -r $reps -d $dur -o \"\$ALTFUTEX_VM_RESULT\" &&
		ALTFUTEX_FLOOD_WAITERS=100000 \
		ALTFUTEX_FLOOD_OUT=\"\$ALTFUTEX_VM_RESULT\" ./flood &&
		{ [ ! -x ./perf ] ||
		sh guest.sh --bench . >>\"\$ALTFUTEX_VM_RESULT\"; }" \
	--files "$bin $peer $flood $perf_files" ||
	die "the VM run failed (see $BUILD/vm/)"
wall=$(($(date +%s) - start))

res=$(tr -d '\r' <"$BUILD/vm/result")
printf '%s\n' "$res" | grep -q '^END' ||
	die "the bench did not finish (see $BUILD/vm/result)"

outdir=bench
[ -n "$write" ] || outdir=$(mktemp -d)
{
	echo "workload,native,altfutex,ratio,unit"
	printf '%s\n' "$res" | awk '$1 == "ROW" {
		printf "%s,%s,%s,%s,%s\n", $2, $3, $4, $5, $6 }'
} >"$outdir/results.csv"
{
	echo "# vCPUs=$VM_SMP reps=$reps seconds_per_measurement=$dur"
	echo "workload,backend,rep,value"
	printf '%s\n' "$res" | awk '$1 == "SAMPLE" {
		printf "%s,%s,%s,%s\n", $2, $3, $4, $5 }'
	echo "# spread = (max - min) / median, percent"
	echo "workload,native_spread_pct,altfutex_spread_pct"
	printf '%s\n' "$res" | awk '$1 == "ROW" {
		printf "%s,%s,%s\n", $2, $7, $8 }'
	printf '%s\n' "$res" | awk '$1 == "MEM" {
		printf "# slab %s objsize %s\n", $2, $3 }'
} >"$outdir/samples.csv"
{
	echo "curve,x,native_ops_per_s,altfutex_ops_per_s"
	printf '%s\n' "$res" | awk '$1 == "CURVE" {
		printf "%s,%s,%s,%s\n", $2, $3, $4, $5 }'
} >"$outdir/scaling.csv"

{
	echo "victim,flood,ns_without,ns_with,ratio"
	printf '%s\n' "$res" | awk '$1 == "FLOOD" {
		printf "%s,%s,%s,%s,%s\n", $2, $3, $4, $5, $6 }'
} >"$outdir/flood.csv"

if command -v gnuplot >/dev/null; then
	gnuplot <<EOF || say "warning: gnuplot failed"
set terminal pngcairo size 1500,500 font ",10"
set output "$outdir/plot.png"
set datafile separator ","
set multiplot layout 1,3 title "altfutex vs kernel futex, one QEMU TCG VM, $VM_SMP vCPUs, $reps repetitions (dashed: the 1.10 target)"
set title "cost ratio altfutex / native (lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.7 border -1
set boxwidth 0.9 relative
set xtics rotate by -40 scale 0
set yrange [0:*]
set grid ytics
set key off
plot "$outdir/results.csv" skip 1 using 4:xtic(1) lc rgb "#4477aa", \
     1 with lines lc rgb "black" notitle, \
     1.1 with lines dt 2 lc rgb "red" notitle
set title "hash: ops/s over threads (1024 words each)"
set style data linespoints
set xtics norotate
set logscale x 2
set key top left
set autoscale y
set yrange [0:*]
set format y "%.1s%c"
plot "< grep ^threads $outdir/scaling.csv" using 2:3 title "native" pt 7, \
     "" using 2:4 title "altfutex" pt 5
set title "hash: ops/s over distinct words (4 threads)"
set logscale x 10
set format x "10^{%L}"
plot "< grep ^keys $outdir/scaling.csv" using 2:3 title "native" pt 7, \
     "" using 2:4 title "altfutex" pt 5
unset multiplot
EOF
fi

echo
echo "altfutex / native: medians of $reps repetitions; ratio: median of the"
echo "$reps back-to-back ratios (VM: $VM_SMP vCPUs, QEMU TCG); spread: (max-min)/median"
printf '%-36s %14s %14s %7s  %-13s %s\n' workload native altfutex ratio \
	unit "spread n/a"
printf '%s\n' "$res" | awk '$1 == "ROW" {
	printf "%-36s %14s %14s %7s  %-13s %s%%/%s%%\n",
		$2, $3, $4, $5, $6, $7, $8 }'
printf '%s\n' "$res" | awk '$1 == "MEM" {
	printf "slab %s: %s bytes per object\n", $2, $3 }'
echo
echo "another process's wake with no waiter, without and under a flood"
printf '%-10s %-16s %12s %12s %7s\n' victim flood "ns without" "ns with" \
	ratio
printf '%s\n' "$res" | awk '$1 == "FLOOD" {
	printf "%-10s %-16s %12s %12s %7s\n", $2, $3, $4, $5, $6 }'
echo "make bench: $wall s; files in $outdir/"
