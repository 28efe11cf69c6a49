#!/bin/sh
# live_inherit.sh - live mode, 2 workers: a child forked into the other
# partition still knows the fds it inherited. The parent (this script's
# shell) opens fd 3 on a file; eight `sh -c 'echo x >&3'` children (new
# processes, so about half of them hash to the other worker) write to it;
# a rule on writes to that file must fire for every one of them with
# fd.name = the file. The child's owner cannot read the parent's fd table
# (another worker's), so it reads the inherited fd from /proc on first use
# (src/state/fd.c, fdt_lookup).
# Needs root and BPF (SKIP with the reason otherwise).
set -u
: "${BUILD:=build}"
: "${PEREGRINE:=$BUILD/peregrine}"
T=live_inherit
skip_all() {
	echo "SKIP $T all_children_alert: $1"
	exit 0
}
[ "$(id -u)" -eq 0 ] || skip_all "needs root (the eBPF probe)"
[ -r /sys/kernel/btf/vmlinux ] || skip_all "BPF unavailable: the kernel has no BTF"

TMP=$(mktemp -d /tmp/pg_inh.XXXXXX)
ME=$$
PG=
cleanup() {
	[ -n "$PG" ] && kill -INT "$PG" 2>/dev/null
	rm -rf "$TMP" "/tmp/.pg_canary_inh_$ME"
	return 0
}
trap cleanup EXIT
. "$(dirname "$0")/lib/live.sh"

cat >"$TMP/rules.yaml" <<EOR
- rule: canary
  desc: the test canary (a hidden file in /tmp)
  condition: evt.type in (open, openat) and fd.name startswith /tmp/.pg_canary_inh
  output: canary %fd.name
  priority: WARNING
- rule: inherited write
  desc: a write to the parent's file through an inherited fd
  condition: evt.type=write and fd.name=$TMP/out and proc.name=sh
  output: inherited write pid=%proc.pid fd=%fd.num name=%fd.name
  priority: WARNING
EOR
pg_live_start "$T" "$TMP" "pg_canary_inh_$ME" -r "$TMP/rules.yaml" --workers 2
exec 3>"$TMP/out"
# each child lingers after its write: live mode reads an inherited fd from
# /proc when first used, which needs the process still there (a child gone
# within milliseconds of that use is the documented limit)
kids=
for i in 1 2 3 4 5 6 7 8; do
	sh -c 'echo x >&3; sleep 0.5' &
	kids="$kids $!"
done
wait $kids
exec 3>&-
sleep 0.3
kill -INT "$PG"
wait "$PG"
PG=
n=$(grep -c "inherited write" "$TMP/alerts.json")
pids=$(grep -o 'pid=[0-9]*' "$TMP/alerts.json" | sort -u | wc -l)
if [ "$n" -ge 8 ] && [ "$pids" -eq 8 ]; then
	echo "PASS $T all_children_alert ($n alerts from $pids children)"
else
	echo "FAIL $T all_children_alert: $n alerts from $pids children, 8 expected"
	grep -o '"output":"[^"]*"' "$TMP/alerts.json" | head -12 | sed 's/^/    /'
fi
