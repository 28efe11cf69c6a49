#!/bin/bash
# run.sh - run every benchmark and rewrite docs/BENCHMARKS.md.
#
#   make bench          full figures (10M-event captures, 5 runs each)
#   make bench-quick    smaller captures, fewer runs (a smoke run, < 2 min)
#
# Every figure is printed with what was measured, the command, the machine,
# the baseline measured in the same run, and min/median/max over the runs.
# Generated captures are cached in $BUILD/bench/ (same seed, same bytes).
set -euo pipefail
: "${BUILD:=build}"
QUICK=${QUICK:-}
P="$BUILD/peregrine"
out=docs/BENCHMARKS.md
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
mkdir -p "$BUILD/bench"

if [ -n "$QUICK" ]; then
	EVENTS=2000000 RUNS=3
else
	EVENTS=10000000 RUNS=5
fi

# gen_capture NAME ARGS... : a cached generated capture
gen_capture() {
	local f="$BUILD/bench/$1.scap"
	shift
	if [ ! -s "$f" ]; then
		"$P" capture gen -o "$f" "$@" >&2
	fi
	echo "$f"
}

# stats over numbers on stdin: "min median max"
mmm() {
	sort -g | awk '{a[NR]=$1} END {printf "%s %s %s\n", a[1], a[int((NR+1)/2)], a[NR]}'
}

# seconds a command takes (wall clock)
wall() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}'
}

jget() { sed -n "s/.*\"$1\":\([-0-9.e+]*\).*/\1/p"; }

# calc EXPR: floating-point arithmetic (awk; bc has no 1e6 notation)
calc() { awk "BEGIN {printf \"%.6g\\n\", $1}"; }

{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\` (bench/run.sh); do not edit by hand."
	echo
	echo "| machine | |"
	echo "|---|---|"
	echo "| cores (nproc) | $(nproc) |"
	echo "| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') |"
	echo "| kernel | $(uname -r) |"
	echo "| date | $(date -u +%Y-%m-%dT%H:%MZ) |"
	echo "| mode | $([ -n "$QUICK" ] && echo "quick ($EVENTS events, $RUNS runs)" || echo "full ($EVENTS events, $RUNS runs)") |"
	echo
} >"$tmp"

# ---- 1. capture read + decode, vs sysdig reading the same file ----
cap=$(gen_capture "gen$EVENTS" --events "$EVENTS" --procs 200 --seed 1)
size=$(stat -c %s "$cap")
echo "bench: read+decode $cap" >&2
j=$("$BUILD/bench/bench_read" "$cap" "$RUNS")
gb_med=$(echo "$j" | jget gbps_median)
ev_med=$(echo "$j" | jget evps_median)
if command -v sysdig >/dev/null; then
	sd=$(for _ in $(seq "$RUNS"); do wall sysdig -r "$cap" "evt.num<0"; done | mmm)
	read -r sd_min sd_med sd_max <<<"$sd"
	sd_evps=$(calc "$EVENTS / $sd_med")
	ratio=$(calc "$ev_med / $sd_evps")
else
	sd_min=- sd_med=- sd_max=- sd_evps=0 ratio=0
fi
{
	echo "## Capture read and decode (one core)"
	echo
	echo "What: open a raw generated capture, walk every block, hand out every event"
	echo "(current layout, in place) and decode it with evt_decode(). Target: >= 1 GB/s."
	echo "Baseline, same run: Debian's sysdig 0.29.3 reading and parsing the same file"
	echo "with a filter that prints nothing."
	echo
	echo "Capture: \`peregrine capture gen --events $EVENTS --procs 200 --seed 1\`"
	echo "($size bytes, $EVENTS events)."
	echo
	echo "| measure | min | median | max |"
	echo "|---|---|---|---|"
	printf "| peregrine GB/s | %s | %s | %s |\n" "$(echo "$j" | jget gbps_min)" "$gb_med" "$(echo "$j" | jget gbps_max)"
	printf "| peregrine Mevents/s | %.1f | %.1f | %.1f |\n" "$(calc "$(echo "$j" | jget evps_min) / 1e6")" "$(calc "$ev_med / 1e6")" "$(calc "$(echo "$j" | jget evps_max) / 1e6")"
	printf "| sysdig seconds | %s | %s | %s |\n" "$sd_min" "$sd_med" "$sd_max"
	echo
	printf "Ratio (median events/s, peregrine / sysdig): **%.1fx** (sysdig: %.2f Mevents/s).\n" "$ratio" "$(calc "$sd_evps / 1e6")"
	echo
	echo "Commands: \`$BUILD/bench/bench_read $cap $RUNS\`; \`sysdig -r $cap \"evt.num<0\"\` ($RUNS runs)."
	echo
} >>"$tmp"

# ---- more sections: each bench/section_*.sh prints markdown ----
for s in bench/section_*.sh; do
	[ -e "$s" ] || continue
	echo "bench: $s" >&2
	BUILD=$BUILD EVENTS=$EVENTS RUNS=$RUNS QUICK=$QUICK bash "$s" >>"$tmp"
done

mv "$tmp" "$out"
trap - EXIT
echo "bench: wrote $out" >&2
