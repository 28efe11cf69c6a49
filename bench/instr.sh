#!/bin/bash
# instr.sh - instructions per event of each worker stage, counted by
# callgrind, so that no load on the machine moves them. Prints one JSON
# object (the format of bench/baseline.json) on stdout.
#
# Method: bench/bench_stages runs the stages cumulatively (read; + decode;
# + state; + rules with falco_rules.yaml) over one fixed generated capture,
# and callgrind counts only the instructions executed inside its per-event
# loop, stages_pass() (--collect-atstart=no --toggle-collect=stages_pass):
# setup (capture open, process-list seeding, rules compile) is not counted.
# A stage's own figure is the difference between neighbouring cumulative
# runs, divided by the number of events.
#
# Used by bench/section_stages.sh (make bench) and bench/check.sh
# (make bench-check). Environment: BUILD, FIXTURES; INSTR_EVENTS (default
# 200000: the committed baseline is for that size, ~10 s under callgrind).
set -euo pipefail
: "${BUILD:=build}" "${FIXTURES:=$(cd "$(dirname "$0")/../.." && pwd)/shared/fixtures}"
N=${INSTR_EVENTS:-200000}
RULES="$FIXTURES/rules/falco_rules.yaml"
cap="$BUILD/bench/stages$N.scap"
mkdir -p "$BUILD/bench"
command -v valgrind >/dev/null || { echo "instr.sh: valgrind is not installed" >&2; exit 1; }
[ -s "$cap" ] || "$BUILD/peregrine" capture gen -o "$cap" --events "$N" --procs 200 --seed 1 >&2

declare -A IR
for st in read decode state rules; do
	log=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --collect-atstart=no \
		--toggle-collect=stages_pass "$BUILD/bench/bench_stages" --once "$st" "$RULES" "$cap" 2>&1)
	IR[$st]=$(echo "$log" | sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p')
	ev=$(echo "$log" | sed -n 's/.*"events":\([0-9]*\).*/\1/p')
	if [ -z "${IR[$st]}" ] || [ "$ev" != "$N" ]; then
		echo "instr.sh: callgrind run of stage $st failed:" >&2
		echo "$log" | tail -5 >&2
		exit 1
	fi
done
awk -v n="$N" -v r="${IR[read]}" -v d="${IR[decode]}" -v s="${IR[state]}" -v u="${IR[rules]}" \
	-v rules="$(basename "$RULES")" 'BEGIN {
	printf "{\"capture\":\"peregrine capture gen --events %d --procs 200 --seed 1\",", n
	printf "\"events\":%d,\"rules\":\"%s\",\"tool\":\"valgrind --tool=callgrind\",", n, rules
	printf "\"instructions_per_event\":{\"read\":%.1f,\"decode\":%.1f,\"state\":%.1f,", r / n, (d - r) / n, (s - d) / n
	printf "\"rules\":%.1f,\"total\":%.1f}}\n", (u - s) / n, u / n
}'
