#!/bin/bash
# section_stages.sh - the per-event cost of each worker stage (read, decode,
# process/fd state, rules with falco_rules.yaml): instructions per event
# counted by callgrind (bench/instr.sh; noise-free, checked against
# bench/baseline.json by `make bench-check`) and ns per event timed with the
# clock (bench/bench_stages), next to sysdig's instructions per event on the
# same capture, counted the same way, in the same run. Prints markdown; leaves
# $BUILD/bench/stages.json (for bench/model.py) and stages.dat (for the plot).
# Honours BUILD, FIXTURES, RUNS (at least 5 timed runs are taken), QUICK.
set -euo pipefail
: "${BUILD:=build}" "${FIXTURES:=$(cd "$(dirname "$0")/../.." && pwd)/shared/fixtures}"
export BUILD FIXTURES
N=200000
RUNS=${RUNS:-5}
[ "$RUNS" -ge 5 ] || RUNS=5
TRUNS=$((RUNS * 2 + 1)) # timed passes are cheap: take more
RULES="$FIXTURES/rules/falco_rules.yaml"
cap="$BUILD/bench/stages$N.scap"
small="$BUILD/bench/stages$((N / 10)).scap"

echo "bench: stages (callgrind)" >&2
ij=$(INSTR_EVENTS=$N bench/instr.sh)
[ -s "$small" ] || "$BUILD/peregrine" capture gen -o "$small" --events $((N / 10)) --procs 200 --seed 1 >&2
echo "bench: stages (timed, $TRUNS runs)" >&2
tj=$("$BUILD/bench/bench_stages" "$RULES" "$cap" "$TRUNS")

# sysdig's marginal instructions per event: (count on N events - count on
# N/10 events) / (0.9 N), so its start-up (plugin and table setup) cancels
cg() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
		sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p'
}
sd_parse=- sd_rules=- kept=-
if command -v sysdig >/dev/null; then
	echo "bench: stages (sysdig under callgrind)" >&2
	a=$(cg sysdig -r "$small" "evt.num<0")
	b=$(cg sysdig -r "$cap" "evt.num<0")
	sd_parse=$(awk -v a="$a" -v b="$b" -v n="$N" 'BEGIN {printf "%.0f", (b - a) / (0.9 * n)}')
	if [ -z "${QUICK:-}" ]; then # ~20 s under callgrind: full runs only
		cond=$(python3 bench/expand_rules.py "$RULES" "$FIXTURES/captures/syscall.scap" 2>"$BUILD/bench/expand.log")
		kept=$(cat "$BUILD/bench/expand.log")
		a=$(cg sysdig -r "$small" "$cond")
		b=$(cg sysdig -r "$cap" "$cond")
		sd_rules=$(awk -v a="$a" -v b="$b" -v n="$N" 'BEGIN {printf "%.0f", (b - a) / (0.9 * n)}')
	fi
fi

python3 - "$ij" "$tj" "$sd_parse" "$sd_rules" "$BUILD/bench" <<'EOF'
import json, sys
ij, tj = json.loads(sys.argv[1]), json.loads(sys.argv[2])
out = sys.argv[5]
ipe = ij["instructions_per_event"]
cum = {"read": "read_ns", "decode": "decode_ns", "state": "state_ns", "rules": "rules_ns"}
prev = {"read": None, "decode": "read", "state": "decode", "rules": "state"}
own_ns = {}
for k in cum:
    own_ns[k] = {}
    for m in ("min", "median", "max"):
        v = tj[cum[k]][m]
        # a stage's own time: its cumulative figure less the previous stage's median
        own_ns[k][m] = v - (tj[cum[prev[k]]]["median"] if prev[k] else 0)
json.dump({"instructions_per_event": ipe, "ns_per_event_cumulative": {k: tj[cum[k]] for k in cum},
           "ns_per_event_own": own_ns, "events": ij["events"], "timed_runs": tj["runs"],
           "sysdig_instructions_per_event": {"parse": sys.argv[3], "rules": sys.argv[4]}},
          open(out + "/stages.json", "w"))
with open(out + "/stages.dat", "w") as f:
    f.write("# stage own_ns_median own_ns_min own_ns_max instructions\n")
    for k in cum:
        f.write("%s %.1f %.1f %.1f %.1f\n" % (k, own_ns[k]["median"], own_ns[k]["min"],
                                               own_ns[k]["max"], ipe[k]))
EOF

base=$(cat bench/baseline.json 2>/dev/null || echo '{}')
python3 - "$ij" "$tj" "$base" "$sd_parse" "$sd_rules" "$kept" "$N" "$TRUNS" <<'EOF'
import json, sys
ij, tj = json.loads(sys.argv[1]), json.loads(sys.argv[2])
base = json.loads(sys.argv[3]).get("instructions_per_event", {})
sd_parse, sd_rules, kept, n, truns = sys.argv[4:9]
ipe = ij["instructions_per_event"]
print("## Per-event cost by stage (instructions and ns, one worker)")
print()
print("What: the cost of each stage of a worker per event, on a fixed generated capture")
print("(`peregrine capture gen --events %s --procs 200 --seed 1`), with falco_rules.yaml." % n)
print("`bench/bench_stages` runs the stages cumulatively — *read* (walk the capture's")
print("blocks, events handed out in place), *+ decode* (`evt_decode`), *+ state*")
print("(`proc_event_apply`/`proc_event_done`: thread, process and fd tables), *+ rules*")
print("(`rule_eval`, alert strings formatted at match time) — and a stage's own cost is")
print("the difference between neighbours.")
print()
print("**Instructions per event** are counted by callgrind over the per-event loop only")
print("(`--collect-atstart=no --toggle-collect=stages_pass`: capture open, process-list")
print("seeding and rules compile are excluded). They do not move with the machine's load,")
print("and `make bench-check` (bench/check.sh) fails when one grows more than 5% over the")
print("figures committed in `bench/baseline.json`. (`perf stat -e instructions` is not")
print("available on this machine: the counter reads `<not supported>` in this VM.)")
print()
print("| stage | instructions/event | committed baseline | ratio now / baseline |")
print("|---|---|---|---|")
for k in ("read", "decode", "state", "rules", "total"):
    b = base.get(k)
    r = "%.3f" % (ipe[k] / b) if b else "-"
    print("| %s | %.1f | %s | %s |" % (k, ipe[k], "%.1f" % b if b else "-", r))
print()
if sd_parse != "-":
    dstate = ipe["read"] + ipe["decode"] + ipe["state"]
    print("Same-run baseline, counted the same way: Debian's sysdig 0.29.3 on the same capture,")
    print("marginal instructions per event ((count on %s events − count on %d) / %d, so" % (n, int(n) // 10, int(n) * 9 // 10))
    print("start-up cancels):")
    print()
    print("| work | sysdig instr/event | peregrine instr/event | sysdig / peregrine |")
    print("|---|---|---|---|")
    print("| read, parse, thread/fd state (`sysdig -r F \"evt.num<0\"`) | %s | %.0f (read+decode+state) | **%.1fx** |"
          % (sd_parse, dstate, float(sd_parse) / dstate))
    if sd_rules != "-":
        print("| + rules (%s of falco_rules.yaml, expanded, OR-ed) | %s | %.0f (all stages, every rule) | **%.1fx** |"
              % (kept, sd_rules, ipe["total"], float(sd_rules) / ipe["total"]))
    else:
        print("| + rules (falco_rules.yaml, expanded, OR-ed) | full run only (`make bench`) | %.0f | - |" % ipe["total"])
    print()
print("**ns per event** (clock, %s interleaved passes over the same capture; a stage's own" % truns)
print("figure is its cumulative time less the previous stage's median):")
print()
print("| stage (cumulative) | min | median | max | own ns (median) | instr/ns |")
print("|---|---|---|---|---|---|")
prev = None
cum_i = 0
for k in ("read", "decode", "state", "rules"):
    v = tj[k + "_ns"]
    own = v["median"] - (tj[prev + "_ns"]["median"] if prev else 0)
    cum_i += ipe[k]
    print("| %s%s | %.1f | %.1f | %.1f | %.1f | %.1f |" % ("" if not prev else "+ ", k, v["min"], v["median"],
          v["max"], own, cum_i / v["median"]))
    prev = k
print()
print("One worker at these costs handles about **%.2f M events/s** (1e9 / rules median)." % (1e3 / tj["rules_ns"]["median"]))
print()
print("Commands: `bench/instr.sh` (callgrind, 4 runs of `build/bench/bench_stages --once STAGE")
print("RULES CAPTURE`); `build/bench/bench_stages RULES CAPTURE %s`;" % truns)
print("`valgrind --tool=callgrind sysdig -r CAPTURE \"evt.num<0\"` and the same with the expanded rules.")
print()
print("![ns per event by stage](img/stages.png)")
print()
EOF
