#!/bin/bash
# run.sh - run every benchmark and rewrite docs/BENCHMARKS.md.
#
#   make bench          full figures (5M-event captures, 5 runs each; < 10 min)
#   make bench-quick    smaller captures, fewer runs (a smoke run, < 2 min)
#
# Every figure is printed with what was measured, the command, the machine,
# the baseline measured in the same run, and min/median/max over the runs.
# Generated captures are cached in $BUILD/bench/ (same seed, same bytes).
#
# Order: the read+decode section below, then every bench/section_*.sh (each
# prints markdown; its output is also kept as $BUILD/bench/section_NAME.md
# for the later steps), then section_scaling.sh, whose model reads what the
# others left in $BUILD/bench/, then bench/plots.sh (docs/img/*.png). A
# section that fails leaves a line saying so and the run goes on.
set -euo pipefail
: "${BUILD:=build}"
QUICK=${QUICK:-}
P="$BUILD/peregrine"
out=docs/BENCHMARKS.md
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
mkdir -p "$BUILD/bench"
T0=$(date +%s)
touch "$BUILD/bench/.run_start" # plots.sh: which images this run drew
# figures of an earlier run must not stand in for missing ones
rm -f "$BUILD"/bench/section_*.md "$BUILD"/bench/{stages,state,cacheline}.json \
	"$BUILD"/bench/skew_*.json "$BUILD"/bench/{stages,model,replay}.dat

if [ -n "$QUICK" ]; then
	EVENTS=1000000 RUNS=3
else
	EVENTS=5000000 RUNS=5
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

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

# how fast each vCPU runs a fixed busy loop now: a host that shares one out
# (steal the guest may not even see) slows every timing, unevenly. A full
# run first waits (up to STEADY_WAIT seconds, default 300; 0: no wait) for
# two readings in a row with the vCPUs within 1.25x of each other: these
# VMs' hosts take a vCPU away for minutes at a time, and a run started then
# is flagged unsteady and worth little.
steady() { [ -n "$1" ] && awk -v r="$(speeds_spread "$1")" 'BEGIN {exit !(r <= 1.25)}'; }
speeds0=$(cpu_speeds)
waited=0
if [ -z "$QUICK" ] && [ -n "$speeds0" ]; then
	ok=0
	while [ "$waited" -lt "${STEADY_WAIT:-300}" ]; do
		if steady "$speeds0"; then
			ok=$((ok + 1))
			[ "$ok" -ge 2 ] && break
		else
			ok=0
			echo "bench: an unsteady host ($speeds0), waiting for a steady one" >&2
			sleep 15
			waited=$((waited + 15))
		fi
		speeds0=$(cpu_speeds)
	done
fi
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
	echo "| load average at start | $(cut -d' ' -f1-3 /proc/loadavg) |"
	if [ -n "$speeds0" ]; then
		echo "| a fixed busy loop pinned to each CPU, at start | $speeds0 |"
		if [ "$waited" -gt 0 ]; then echo "| waited for a steady host | $waited s |"; fi
	fi
	echo
	# judge the machine by its load when the run starts: above 0.5 per core,
	# something else is running and timings are not those of an idle host
	if awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v n="$(nproc)" 'BEGIN {exit !(l > 0.5 * n)}'; then
		echo "**A busy machine.** The load average was high when this run started: every"
		echo "timing figure (ns, events/s, GB/s, drop %) is lower and noisier than on an idle"
		echo "machine; ratios taken in the same run are the figures to read."
	else
		echo "The machine was idle when this run started (load average above)."
	fi
	# and by its vCPUs: the same loop 1.25x slower on one of them than on
	# another means the host is giving that one less than a core
	if [ -n "$speeds0" ] && awk -v r="$(speeds_spread "$speeds0")" 'BEGIN {exit !(r > 1.25)}'; then
		echo
		echo "**An unsteady host.** The same busy loop took $(speeds_spread "$speeds0")x longer on one CPU than on"
		echo "another when this run started (table above; the end of the page says how it"
		echo "ended): the host was sharing out a vCPU. Wall-clock figures, two-worker ones"
		echo "most (each worker waits for the slower one), are not those of this code on a"
		echo "steady machine; instruction counts are."
	fi
	echo "Instruction counts (callgrind, *Per-event cost by stage*) do not depend on load;"
	echo "\`make bench-check\` compares them with \`bench/baseline.json\`."
	echo
	echo "Sections: capture read and decode; then, from \`bench/section_*.sh\`: live drops,"
	echo "probe overhead, replay throughput, rules, per-event cost by stage (instructions),"
	echo "thread table (lock-free vs rwlock), cache-line sharing, the scaling model"
	echo "([SCALING.md](SCALING.md): 4-128 workers, on paper), and the plots."
	echo
} >"$tmp"

# ---- 1. capture read + decode, vs sysdig reading the same file ----
# The read figure is specified on a 10-million-event capture; reading is fast
# enough that the full run affords it whatever EVENTS the other sections use.
if [ -n "$QUICK" ]; then REV=$EVENTS; else REV=10000000; fi
cap=$(gen_capture "gen$REV" --events "$REV" --procs 200 --seed 1)
size=$(stat -c %s "$cap")
echo "bench: read+decode $cap" >&2
j=$("$BUILD/bench/bench_read" "$cap" "$RUNS")
gb_med=$(echo "$j" | jget gbps_median)
ev_med=$(echo "$j" | jget evps_median)
if command -v sysdig >/dev/null; then
	sd=$(for _ in $(seq "$RUNS"); do wall sysdig -r "$cap" "evt.num<0"; done | mmm)
	read -r sd_min sd_med sd_max <<<"$sd"
	sd_evps=$(calc "$REV / $sd_med")
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
	echo "Capture: \`peregrine capture gen --events $REV --procs 200 --seed 1\`"
	echo "($size bytes, $REV events)."
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
# run_section SCRIPT: append its markdown; keep a copy for the later steps
run_section() {
	local s=$1 name t rc=0
	name=$(basename "$s" .sh)
	name=${name#section_}
	t=$(date +%s)
	echo "bench: $s" >&2
	local ev=$EVENTS
	# the replay figures are specified on 10-million-event captures
	[ "$name" = replay ] && [ -z "$QUICK" ] && ev=10000000
	BUILD=$BUILD EVENTS=$ev RUNS=$RUNS QUICK=$QUICK bash "$s" >"$BUILD/bench/section_$name.md" || rc=$?
	if [ "$rc" -ne 0 ]; then
		{
			echo
			echo "**$s failed (exit $rc) in this run; its figures above are incomplete or missing.**"
			echo
		} >>"$BUILD/bench/section_$name.md"
		echo "bench: $s failed (exit $rc)" >&2
	fi
	cat "$BUILD/bench/section_$name.md" >>"$tmp"
	echo "bench: $s took $(($(date +%s) - t)) s" >&2
}
for s in bench/section_*.sh; do
	[ -e "$s" ] || continue
	[ "$s" = bench/section_scaling.sh ] && continue
	run_section "$s"
done
run_section bench/section_scaling.sh
BUILD=$BUILD bash bench/plots.sh >>"$tmp" || echo "bench: plots.sh failed" >&2

{
	echo "---"
	echo
	echo "This run (\`$([ -n "$QUICK" ] && echo "make bench-quick" || echo "make bench")\`) took $(($(date +%s) - T0)) s."
	speeds1=$(cpu_speeds)
	if [ -n "$speeds1" ]; then
		echo
		echo "The busy loop pinned to each CPU at its end: $speeds1 (at its start: $speeds0)."
	fi
} >>"$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "bench: wrote $out in $(($(date +%s) - T0)) s" >&2
