#!/bin/sh
# live_record.sh - `peregrine -w FILE` records the live stream into a .scap
# that Debian's sysdig and peregrine both read: with the engine running live,
# this script runs `cat /etc/passwd` and `sh -c 'ls DIR'`, stops peregrine
# with SIGINT and checks, with `sysdig -r` and with `peregrine capture cat`,
# the execve events of cat, sh and ls (command line and parent) and their
# opens (/etc/passwd, DIR). Also: the stop drains the rings (every event the
# kernel wrote was processed), nothing was dropped on the way to the file,
# and the same works in the reference layout (--partition cpu: a ring per
# cpu, one consumer merging by time), whose events are in time order.
#
# Needs root and BPF (SKIP with the reason otherwise); sysdig for its half.
set -u
: "${BUILD:=build}"
: "${PEREGRINE:=$BUILD/peregrine}"
T=live_record
CASES="stop_drains recorded_all sysdig_cat_exec sysdig_cat_open sysdig_ls_exec sysdig_ls_open
	pg_cat_exec pg_cat_open pg_ls_exec pg_ls_open cpu_merge_drains cpu_merge_ordered cpu_cat_open"

skip_all() {
	for c in $CASES; do
		echo "SKIP $T $c: $1"
	done
	exit 0
}
ok() { echo "PASS $T $1"; }
bad() {
	echo "FAIL $T $1: $2"
}
check() { # NAME CONDITION-RESULT MESSAGE
	if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1" "$3"; fi
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root (the eBPF probe)"
[ -r /sys/kernel/btf/vmlinux ] || skip_all "BPF unavailable: the kernel has no BTF"

TMP=$(mktemp -d /tmp/pg_rec.XXXXXX)
DIR="$TMP/listme"
mkdir "$DIR"
ME=$$
P=$(cat /proc/$$/comm) # proc.pname of the commands this script starts
PG=
cleanup() {
	[ -n "$PG" ] && kill -INT "$PG" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$TMP"; rm -f /tmp/.pg_canary_rec_$ME
	return 0
}
trap cleanup EXIT

. "$(dirname "$0")/lib/live.sh"
start() { pg_live_start "$T" "$TMP" "pg_canary_rec_$ME" "$@"; }
stop() {
	kill -INT "$PG"
	wait "$PG"
	rc=$?
	PG=
	return $rc
}
# kernel_eq_processed STDERR: the summary's kernel count equals processed
drained() {
	sed -n 's/^Kernel: \([0-9]*\) events written to the rings, \([0-9]*\) dropped; \([0-9]*\) processed.*/\1 \2 \3/p' "$1" |
		awk '{ exit !($1 > 0 && $1 == $3) }'
}

# ---- tgid layout, 2 workers -------------------------------------------------
start -w "$TMP/rec.scap" --workers 2
cat /etc/passwd >/dev/null
sh -c "ls $DIR >/dev/null"
sleep 0.3
stop && drained "$TMP/stderr"
check stop_drains $? "exit status or kernel events != processed: $(grep '^Kernel\|^peregrine' "$TMP/stderr" | tr '\n' ' ')"
grep -q "^Recorded [1-9][0-9]* events to $TMP/rec.scap (0 dropped" "$TMP/stderr"
check recorded_all $? "$(grep '^Recorded' "$TMP/stderr")"

F='*%evt.type %proc.name %proc.pname %proc.cmdline %fd.name' # '*': lines with <NA> fields too
# lines: "execve cat PARENT cat /etc/passwd" etc.
if command -v sysdig >/dev/null 2>&1; then
	sysdig -r "$TMP/rec.scap" -p "$F" "evt.type in (execve, openat, open) and evt.dir=< and proc.name in (cat, sh, ls)" >"$TMP/sysdig.txt" 2>"$TMP/sysdig.err"
	[ -s "$TMP/sysdig.err" ] && echo "# sysdig: $(head -2 "$TMP/sysdig.err")"
	grep -q "^execve cat $P cat /etc/passwd" "$TMP/sysdig.txt"
	check sysdig_cat_exec $? "no execve of cat (parent $P) in sysdig's view"
	grep -q "^openat cat $P cat /etc/passwd /etc/passwd$" "$TMP/sysdig.txt"
	check sysdig_cat_open $? "no open of /etc/passwd by cat in sysdig's view"
	grep -q "^execve sh $P sh -c ls $DIR" "$TMP/sysdig.txt" &&
		grep -q "^execve ls sh ls $DIR" "$TMP/sysdig.txt"
	check sysdig_ls_exec $? "no execve of sh (parent $P) and ls (parent sh) in sysdig's view"
	grep -q "^openat ls sh ls $DIR $DIR$" "$TMP/sysdig.txt"
	check sysdig_ls_open $? "no open of $DIR by ls in sysdig's view"
else
	for c in sysdig_cat_exec sysdig_cat_open sysdig_ls_exec sysdig_ls_open; do
		echo "SKIP $T $c: sysdig is not installed"
	done
fi

"$PEREGRINE" capture cat "$TMP/rec.scap" "evt.type in (execve, openat, open) and evt.dir=< and proc.name in (cat, sh, ls)" -p "$F" >"$TMP/pg.txt" 2>"$TMP/pg.err"
grep -q "^execve cat $P cat /etc/passwd" "$TMP/pg.txt"
check pg_cat_exec $? "no execve of cat (parent $P): $(head -2 "$TMP/pg.err")"
grep -q "^openat cat $P cat /etc/passwd /etc/passwd$" "$TMP/pg.txt"
check pg_cat_open $? "no open of /etc/passwd by cat"
grep -q "^execve sh $P sh -c ls $DIR" "$TMP/pg.txt" && grep -q "^execve ls sh ls $DIR" "$TMP/pg.txt"
check pg_ls_exec $? "no execve of sh (parent $P) and ls (parent sh)"
grep -q "^openat ls sh ls $DIR $DIR$" "$TMP/pg.txt"
check pg_ls_open $? "no open of $DIR by ls"

# ---- the reference layout: a ring per cpu, one merging consumer -------------
start -w "$TMP/cpu.scap" --partition cpu
cat /etc/passwd >/dev/null
sleep 0.3
stop
drained "$TMP/stderr"
check cpu_merge_drains $? "exit or drain: $(grep '^Kernel\|^peregrine' "$TMP/stderr" | tr '\n' ' ')"
"$PEREGRINE" capture cat "$TMP/cpu.scap" -p '%evt.rawtime' | awk 'NR > 1 && $1 < last { bad++ } { last = $1 } END { exit bad > 0 }'
r1=$?
grep -q "^Recorded [1-9][0-9]* events to $TMP/cpu.scap (0 dropped by a full recorder queue, 0 written out of time order)" "$TMP/stderr"
r2=$?
check cpu_merge_ordered $((r1 + r2)) "events not in time order: $(grep '^Recorded' "$TMP/stderr")"
"$PEREGRINE" capture cat "$TMP/cpu.scap" "evt.type=openat and proc.name=cat and fd.name=/etc/passwd" -p '%proc.pname' | grep -qx "$P"
check cpu_cat_open $? "no open of /etc/passwd by cat (parent $P) in the cpu-layout recording"
