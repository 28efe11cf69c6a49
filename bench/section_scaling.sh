#!/bin/bash
# section_scaling.sh - the inputs of the beyond-two-cores model that no other
# section measures (a shared cache-line write, bench_cacheline; the partition
# skew of generated captures at skew 0/1/2), then bench/model.py, which also
# reads stages.json, state.json and section_replay.md that the other
# sections left in $BUILD/bench/ (run.sh runs this section last). Writes
# docs/SCALING.md; prints markdown. Honours BUILD, RUNS (at least 5), QUICK.
set -euo pipefail
: "${BUILD:=build}"
P="$BUILD/peregrine"
RUNS=${RUNS:-5}
[ "$RUNS" -ge 5 ] || RUNS=5
if [ -n "${QUICK:-}" ]; then MS=50; else MS=150; fi
B="$BUILD/bench"
N=200000
FMT="%thread.tid %proc.pid %proc.ppid %fd.num"

echo "bench: cacheline ($RUNS x $MS ms per case)" >&2
cj=$("$B/bench_cacheline" "$RUNS" "$MS")
echo "$cj" >"$B/cacheline.json"

echo "bench: partition skew" >&2
for z in 0 1 2; do
	f="$B/skew${z}_$N.scap"
	[ -s "$f" ] || "$P" capture gen -o "$f" --events $N --procs 200 --threads-per-proc 4 \
		--skew $z --seed 1 >&2
	"$P" capture cat "$f" -p "$FMT" | python3 bench/model.py skew "skew $z" "$B/skew_skew$z.json"
done
# the replay section's capture parameters (skew 0, seed 11), for the 2-worker check
f="$B/skew_replay_$N.scap"
[ -s "$f" ] || "$P" capture gen -o "$f" --events $N --procs 200 --skew 0 --seed 11 >&2
"$P" capture cat "$f" -p "$FMT" | python3 bench/model.py skew replay "$B/skew_replay.json"

python3 - "$cj" "$RUNS" "$MS" "$B" <<'EOF'
import json, sys
j = json.loads(sys.argv[1])
print("## Cache-line sharing (bench_cacheline)")
print()
print("What: two threads pinned to the two cores increment counters for %s ms per case," % sys.argv[3])
print("%s runs interleaved; ns per increment per thread (pingpong: per hand-off). Baseline," % sys.argv[2])
print("same run: the same write to a line of the thread's own. This is what the design's")
print("per-worker counters and one-writer-per-record rule avoid, and an input of the model.")
print()
print("| case | min | median | max | ratio to its private baseline |")
print("|---|---|---|---|---|")
names = [("plain_private", "plain store, own line", None),
         ("plain_shared", "plain store, both counters in one line (false sharing)", "plain_private"),
         ("atomic_private", "locked add, own line", None),
         ("atomic_shared", "locked add, one counter for both", "atomic_private"),
         ("pingpong", "hand-off: write a line the other core just wrote", "plain_private")]
for k, d, b in names:
    v = j[k + "_ns"]
    r = "%.0fx" % (v["median"] / j[b + "_ns"]["median"]) if b else "1 (baseline)"
    print("| %s | %.2f | %.2f | %.2f | %s |" % (d, v["min"], v["median"], v["max"], r))
print()
print("Command: `%s/bench_cacheline %s %s`." % (sys.argv[4], sys.argv[2], sys.argv[3]))
print()
EOF
python3 bench/model.py model "$B" docs/SCALING.md
