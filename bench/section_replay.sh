#!/bin/bash
# section_replay.sh - replay throughput of the multi-worker engine with
# falco_rules.yaml over a generated capture: events/s for 1 and 2 workers,
# tgid and tid partitioning, skew 0 and 4, the cpu (single-consumer) layout,
# and `sysdig -r FILE "<condition>"` on the same file in the same run.
# Prints markdown. Honors $EVENTS (default 10000000) and $RUNS (default 3).
set -euo pipefail
: "${BUILD:=build}" "${FIXTURES:=$(cd "$(dirname "$0")/../.." && pwd)/shared/fixtures}"
EVENTS=${EVENTS:-10000000}
RUNS=${RUNS:-3}
P="$BUILD/peregrine"
RULES="$FIXTURES/rules/falco_rules.yaml"
mkdir -p "$BUILD/bench"

cap() {
	local f="$BUILD/bench/replay_$1_$EVENTS.scap"
	[ -s "$f" ] || "$P" capture gen -o "$f" --events "$EVENTS" --procs 200 --skew "$1" --seed 11 >&2
	echo "$f"
}
# replay FILE ARGS...: "EVENTS SECONDS" of one replay, from its summary line
replay() {
	local f=$1
	shift
	"$P" "$@" -r "$RULES" -e "$f" -o stdout_output.enabled=false 2>&1 |
		sed -n 's/^Events processed: \([0-9]*\) in \([0-9.]*\) s.*/\1 \2/p'
}
# "min median max" events/s of RUNS replays
evps() {
	for _ in $(seq "$RUNS"); do
		replay "$@" | awk '{printf "%.0f\n", $1 / $2}'
	done | mmm
}
# row SKEW LABEL KEY: a table row of R[KEY] ("min median max")
row() {
	local m
	read -r -a m <<<"${R[$3]}"
	echo "| $1 | $2 | ${m[0]} / **${m[1]}** / ${m[2]} |"
}
med_of() { awk '{print $2}' <<<"${R[$1]}"; }
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

echo "## Replay throughput (multi-worker engine, falco_rules.yaml)"
echo
echo "\`peregrine --workers W --partition P -r falco_rules.yaml -e FILE\` on a generated capture of"
echo "$EVENTS events (200 processes), alerts not printed; median of $RUNS runs; $(nproc) cores."
echo "Replay has no reader thread: every worker scans the capture and keeps its own events."
echo
# Can this machine run two CPU-bound threads at once right now? (Other work
# on a shared machine shows here first.) A plain busy loop, alone and twice.
spin=$(spin_bin)
echo "Two busy loops vs one on this machine, same run: $(for _ in 1 2 3; do "$spin"; done | tr '\n' ' ')x (2.00 = two free cores)."
# The same loop pinned to each CPU in turn: a vCPU the host is sharing out
# shows as slower here, and in a replay as the other worker waiting for it.
speeds=$(cpu_speeds)
[ -n "$speeds" ] && echo "The two-loop program pinned to one CPU at a time (same work on each; equal = no vCPU slowed by the host): $speeds."
echo
echo "| skew | layout | events/s min / **median** / max |"
echo "|---|---|---|"
declare -A R
for skew in 0 4; do
	f=$(cap $skew)
	R[$skew.cpu]=$(evps "$f" --partition cpu)
	row "$skew" "cpu (1 consumer, inline)" "$skew.cpu"
	for part in tgid tid; do
		for w in 1 2; do
			R[$skew.$part.$w]=$(evps "$f" --workers $w --partition $part)
			row "$skew" "$part, $w worker(s)" "$skew.$part.$w"
		done
	done
done
f=$(cap 0)
echo
r=$(awk -v a="$(med_of 0.tgid.2)" -v b="$(med_of 0.tgid.1)" 'BEGIN {printf "%.2f", a / b}')
echo "2-worker / 1-worker at skew 0 (tgid), from the medians above: ${r}x."
echo
# The ratio again, as interleaved pairs: each pair runs 1 worker then 2
# workers back to back, so that a slow spell of this shared VM (one vCPU
# stalled by the host shows as one worker waiting for the other) lands on
# both sides of a pair rather than on one configuration's runs.
PAIRS=${PAIRS:-9}
for _ in $(seq "$PAIRS"); do
	echo "$(replay "$f" --workers 1 --partition tgid | cut -d' ' -f2)" \
		"$(replay "$f" --workers 2 --partition tgid | cut -d' ' -f2)"
done >"$BUILD/bench/replay_pairs"
read -r pmin pmed pmax <<<"$(awk '{printf "%.3f\n", $1 / $2}' "$BUILD/bench/replay_pairs" | mmm)"
read -r b1 b2 <<<"$(awk 'NR == 1 || $1 < a {a = $1} NR == 1 || $2 < b {b = $2} END {print a, b}' "$BUILD/bench/replay_pairs")"
echo "2-worker / 1-worker at skew 0 (tgid), $PAIRS interleaved pairs: median pair ratio **${pmed}x**"
echo "(min $pmin, max $pmax); best times ${b1} s / ${b2} s = $(calc "$b1 / $b2" | xargs printf '%.2f')x. Target >= 1.8x."
echo "Where the rest goes (partition balance, the scan every worker repeats, cross-partition waits), and a measured alternative with one shared scan: [ARCHITECTURE.md](ARCHITECTURE.md#where-two-workers-lose-time-and-a-measured-alternative)."
if command -v sysdig >/dev/null; then
	cond='evt.type in (execve, execveat) and evt.dir=< and proc.name in (bash, sh, zsh)'
	read -r smin s smax <<<"$(for _ in $(seq "$RUNS"); do wall sysdig -r "$f" "$cond"; done | mmm)"
	echo
	echo "Same run: \`sysdig -r FILE \"$cond\"\` (one condition, libs single-threaded):"
	echo "$(awk -v e="$EVENTS" -v s="$s" 'BEGIN {printf "%.0f", e / s}') events/s (median; min / median / max"
	echo "$smin / $s / $smax s)."
fi
echo
