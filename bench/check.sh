#!/bin/bash
# check.sh - `make bench-check`: count the instructions per event of each
# stage afresh (bench/instr.sh, callgrind: the machine's load cannot move
# them) and compare them with the figures committed in bench/baseline.json.
# Fails (exit 1) when any figure grows by more than 5%. Falls of more than 5%
# are reported so that the baseline can be lowered with
#
#   bench/check.sh --update     (rewrites bench/baseline.json; commit it)
set -euo pipefail
: "${BUILD:=build}"
BASE=bench/baseline.json
LIMIT=${LIMIT:-5}
fresh=$(bench/instr.sh)
if [ "${1:-}" = --update ]; then
	echo "$fresh" >"$BASE"
	echo "check: wrote $BASE"
	exit 0
fi
[ -s "$BASE" ] || { echo "check: $BASE is missing (bench/check.sh --update writes it)" >&2; exit 1; }
python3 - "$BASE" "$fresh" "$LIMIT" <<'EOF'
import json, sys
base = json.load(open(sys.argv[1]))
fresh = json.loads(sys.argv[2])
limit = float(sys.argv[3])
if base["events"] != fresh["events"] or base["capture"] != fresh["capture"]:
    sys.exit("check: the baseline is for another capture (%s)" % base["capture"])
b, f = base["instructions_per_event"], fresh["instructions_per_event"]
bad = 0
print("instructions per event, %s, %s" % (fresh["capture"], fresh["rules"]))
print("%-8s %10s %10s %8s" % ("stage", "baseline", "now", "change"))
for k in b:
    ch = (f[k] - b[k]) / b[k] * 100
    flag = ""
    if ch > limit:
        flag, bad = "  GREW more than %g%%" % limit, bad + 1
    elif ch < -limit:
        flag = "  fell: lower the baseline (bench/check.sh --update)"
    print("%-8s %10.1f %10.1f %+7.1f%%%s" % (k, b[k], f[k], ch, flag))
sys.exit(1 if bad else 0)
EOF
