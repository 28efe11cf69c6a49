#!/bin/bash
# section_rules.sh - rules load/compile time and evaluation cost with the
# ecosystem's default ruleset, next to sysdig evaluating the same rules'
# expanded conditions (OR-ed) on the same file, same run. Prints markdown
# for docs/BENCHMARKS.md (called by bench/run.sh; honours EVENTS, RUNS).
set -euo pipefail
: "${BUILD:=build}" "${EVENTS:=10000000}" "${RUNS:=5}"
P="$BUILD/peregrine"
RULES=${FIXTURES:-../shared/fixtures}/rules/falco_rules.yaml
# the rules figure is specified on a 10-million-event capture (full run)
[ -n "${QUICK:-}" ] || EVENTS=10000000
cap="$BUILD/bench/gen$EVENTS.scap"
[ -s "$cap" ] || "$P" capture gen -o "$cap" --events "$EVENTS" --procs 200 --seed 1 >&2

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
jsub() { sed -n "s/.*\"$1\":{\"min\":\([0-9.]*\),\"median\":\([0-9.]*\),\"max\":\([0-9.]*\)}.*/\1 \2 \3/p"; }

echo "bench: rules ($cap)" >&2
j=$("$BUILD/bench/bench_rules" "$RULES" "$cap" "$RUNS")
read -r lc_min lc_med lc_max <<<"$(echo "$j" | jsub load_compile_ms)"
read -r ev_min ev_med ev_max <<<"$(echo "$j" | jsub eval_ns_per_event)"

# the whole pipeline on one worker: read, decode, state, rules, outputs
pg=$(for _ in $(seq "$RUNS"); do wall "$P" --workers 1 -r "$RULES" -e "$cap"; done | mmm)
read -r pg_min pg_med pg_max <<<"$pg"
pg_evps=$(calc "$EVENTS / $pg_med")

sd_line="sysdig not installed"
ratio=0
if command -v sysdig >/dev/null; then
	cond=$(python3 bench/expand_rules.py "$RULES" "${FIXTURES:-../shared/fixtures}/captures/syscall.scap" 2>"$BUILD/bench/expand.log")
	kept=$(cat "$BUILD/bench/expand.log")
	sd=$(for _ in $(seq "$RUNS"); do wall sysdig -r "$cap" "$cond"; done | mmm)
	read -r sd_min sd_med sd_max <<<"$sd"
	sd_evps=$(calc "$EVENTS / $sd_med")
	ratio=$(calc "$pg_evps / $sd_evps")
	sd_line=$(printf "| sysdig, %s OR-ed, seconds | %s | %s | %s |" "$kept" "$sd_min" "$sd_med" "$sd_max")
fi

cat <<EOF2
## Rules: load, compile and evaluate falco_rules.yaml (one worker)

What: load and compile the ecosystem's default ruleset (target < 50 ms); the
rules' own evaluation cost per event (state update timed apart; target
< 150 ns); and the whole single-worker pipeline (read, decode, state, rules,
alerts) against Debian's sysdig 0.29.3 evaluating the same rules' conditions,
expanded and OR-ed (\`bench/expand_rules.py\`: macros and lists substituted,
keeping the rules whose fields sysdig's 2022 libs knows), on the same file in
the same run. Target: peregrine >= 4x sysdig.

Capture: \`peregrine capture gen --events $EVENTS --procs 200 --seed 1\`.

| measure | min | median | max |
|---|---|---|---|
| load + compile, ms | $lc_min | $lc_med | $lc_max |
| rules evaluation, ns/event | $ev_min | $ev_med | $ev_max |
| peregrine --workers 1 -r falco_rules.yaml -e, seconds | $pg_min | $pg_med | $pg_max |
$sd_line

Pipeline: peregrine $(calc "$pg_evps / 1e6") Mevents/s; ratio to sysdig: **$(printf %.1f "$ratio")x**.

Commands: \`$BUILD/bench/bench_rules $RULES $cap $RUNS\`;
\`$P --workers 1 -r $RULES -e $cap\`; \`sysdig -r $cap "\$(bench/expand_rules.py ...)"\`.

EOF2
