#!/bin/sh
# engine_metrics.sh - the Prometheus endpoint serves peregrine_* metrics on
# /metrics during a run; promtool checks the scrape when it is installed.
set -u
: "${PEREGRINE:?}" "${FIXTURES:?}"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
here=$(cd "$(dirname "$0")/../.." && pwd)
port=$((20000 + $$ % 20000))
"$PEREGRINE" capture gen -o "$t/c.scap" --events 2000000 --seed 8 >/dev/null
"$PEREGRINE" --workers 2 -r "$here/tests/data/engine/often.yaml" -e "$t/c.scap" \
	-o stdout_output.enabled=false -o metrics.enabled=true -o metrics.listen_port=$port \
	2>"$t/err" & p=$!
ok=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	sleep 0.2
	if curl -sf "http://127.0.0.1:$port/metrics" >"$t/m.txt"; then ok=1; break; fi
done
kill -INT $p 2>/dev/null; wait $p
if [ $ok = 1 ] && grep -q '^peregrine_events_total{worker="1"} ' "$t/m.txt" &&
	grep -q '^peregrine_outputs_queue_num_drops_total ' "$t/m.txt"; then
	pass metrics_scrape
else
	fail metrics_scrape "no metrics on port $port: $(tail -2 "$t/err")"
fi
if command -v promtool >/dev/null 2>&1; then
	promtool check metrics <"$t/m.txt" >"$t/pt" 2>&1 && pass promtool_check_metrics ||
		fail promtool_check_metrics "$(head -5 "$t/pt")"
else
	echo "SKIP promtool_check_metrics: promtool not installed (Debian package prometheus, listed in scripts/setup.sh)"
fi
