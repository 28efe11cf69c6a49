#!/bin/sh
# live_hook.sh - the probe's syscall hook (--probe-hook syscall; live.h,
# PRB_HOOK_SYSCALL): each selected syscall's handler on that syscall's own
# tracepoint instead of one program on raw sys_exit.
#
# First the raw hook's behaviour and selection tests again with this hook
# (live_behaviours.sh and live_select.sh with PG_HOOK=syscall), then what
# only this hook has, read from the kernel with `bpftool perf list` (which
# program is attached where, by pid):
#  - no_raw_program: nothing of ours on raw sys_exit;
#  - one_per_selected: one syscalls:sys_exit_<name> attachment per selected
#    syscall (the stats line's syscalls_selected), less those the engine
#    says this kernel has no tracepoint for;
#  - reload_attaches: a SIGHUP that adds a rule on mkdir attaches
#    sys_exit_mkdir and sys_exit_mkdirat;
#  - detached_at_exit: after SIGINT the process has left no attachment
#    behind and exited within 10 s.
# Needs root, BPF and bpftool (SKIP with the reason otherwise).
set -u
: "${BUILD:=build}"
: "${PEREGRINE:=$BUILD/peregrine}"
D=$(dirname "$0")
PG_HOOK=syscall sh "$D/live_behaviours.sh"
PG_HOOK=syscall sh "$D/live_select.sh"

T=live_hook
CASES="no_raw_program one_per_selected reload_attaches detached_at_exit"
skip_all() {
	for c in $CASES; do
		echo "SKIP $T $c: $1"
	done
	exit 0
}
check() { if [ "$2" -eq 0 ]; then echo "PASS $T $1"; else echo "FAIL $T $1: $3"; fi; }

[ "$(id -u)" -eq 0 ] || skip_all "needs root (the eBPF probe)"
[ -r /sys/kernel/btf/vmlinux ] || skip_all "BPF unavailable: the kernel has no BTF"
command -v bpftool >/dev/null || skip_all "bpftool is not installed"

TMP=$(mktemp -d /tmp/pg_hook.XXXXXX)
ME=$$
PG=
cleanup() {
	[ -n "$PG" ] && kill -INT "$PG" 2>/dev/null
	rm -rf "$TMP" "/tmp/.pg_canary_hook_$ME"
	return 0
}
trap cleanup EXIT
. "$D/lib/live.sh"

pg_rule_canary pg_canary_hook >"$TMP/rules.yaml"
# our attachments: "<kind> <name>" per line, e.g. "tracepoint sys_exit_openat"
attached() { bpftool perf list 2>/dev/null | awk -v p="$PG" '$2 == p {print $(NF-1), $NF}'; }

pg_live_start "$T" "$TMP" "pg_canary_hook_$ME" -r "$TMP/rules.yaml" --stats-interval 0.1 \
	--probe-hook syscall
sleep 0.3
attached >"$TMP/a1"
sel=$(pg_selected "$TMP")
missing=$(sed -n 's/.*no tracepoint for \([0-9]*\) selected syscall.*/\1/p' "$TMP/stderr" | head -1)
n1=$(grep -c '^tracepoint sys_exit_' "$TMP/a1")

! grep -q 'raw_tracepoint sys_exit$' "$TMP/a1"
check no_raw_program $? "a program of ours is on raw sys_exit: $(grep sys_exit "$TMP/a1" | head -3 | tr '\n' ' ')"
[ -n "$sel" ] && [ "$n1" -eq $((sel - ${missing:-0})) ]
check one_per_selected $? "$n1 tracepoint attachments for $sel selected syscalls (${missing:-0} without a tracepoint)"

{ pg_rule_canary pg_canary_hook; pg_rule_mkdir pghook_; } >"$TMP/rules.yaml"
pg_reload "$TMP" 2
sleep 0.2
attached >"$TMP/a2"
grep -q '^tracepoint sys_exit_mkdir$' "$TMP/a2" && grep -q '^tracepoint sys_exit_mkdirat$' "$TMP/a2" &&
	! grep -q '^tracepoint sys_exit_mkdir$' "$TMP/a1"
check reload_attaches $? "sys_exit_mkdir/mkdirat before the reload: $(grep -c mkdir "$TMP/a1"), after: $(grep -c mkdir "$TMP/a2")"

pid=$PG
t0=$(date +%s)
kill -INT "$PG"
wait "$PG"
PG=
t1=$(date +%s)
left=$(bpftool perf list 2>/dev/null | awk -v p="$pid" '$2 == p' | wc -l)
[ "$left" -eq 0 ] && [ $((t1 - t0)) -le 10 ]
check detached_at_exit $? "$left attachments left, exit took $((t1 - t0)) s"
exit 0
