#!/bin/sh
# live_select.sh - the probe sends only the syscalls the rules and the state
# need, and a SIGHUP reload re-selects them: live with a ruleset that has no
# rule on mkdir (so mkdir is not selected), a mkdir raises nothing; after the
# rules file gains a mkdir rule and SIGHUP, the selection grows (stats line
# "syscalls_selected") and the next mkdir alerts. -A selects every handled
# syscall. Needs root and BPF (SKIP with the reason otherwise). PG_HOOK=HOOK
# runs the probe with that hook and names the tests live_select[HOOK]
# (tests/sh/live_hook.sh).
set -u
: "${BUILD:=build}"
: "${PEREGRINE:=$BUILD/peregrine}"
T=live_select${PG_HOOK:+[$PG_HOOK]}
HOOK=
[ -n "${PG_HOOK:-}" ] && HOOK="--probe-hook $PG_HOOK"
CASES="fewer_than_all reload_grows mkdir_alert_after_reload all_with_A"
skip_all() {
	for c in $CASES; do
		echo "SKIP $T $c: $1"
	done
	exit 0
}
check() { if [ "$2" -eq 0 ]; then echo "PASS $T $1"; else echo "FAIL $T $1: $3"; fi; }

[ "$(id -u)" -eq 0 ] || skip_all "needs root (the eBPF probe)"
[ -r /sys/kernel/btf/vmlinux ] || skip_all "BPF unavailable: the kernel has no BTF"

TMP=$(mktemp -d /tmp/pg_sel.XXXXXX)
ME=$$
PG=
cleanup() {
	[ -n "$PG" ] && kill -INT "$PG" 2>/dev/null
	rm -rf "$TMP" "/tmp/.pg_canary_sel_$ME"
	return 0
}
trap cleanup EXIT
. "$(dirname "$0")/lib/live.sh"

pg_rule_canary pg_canary_sel >"$TMP/rules.yaml"
# shellcheck disable=SC2086 # HOOK: empty or two words
pg_live_start "$T" "$TMP" "pg_canary_sel_$ME" -r "$TMP/rules.yaml" --stats-interval 0.1 $HOOK
sleep 0.3
s1=$(pg_selected "$TMP")
mkdir "$TMP/pgsel_before"
{ pg_rule_canary pg_canary_sel; pg_rule_mkdir pgsel_; } >"$TMP/rules.yaml"
pg_reload "$TMP" 2
sleep 0.3
s2=$(pg_selected "$TMP")
mkdir "$TMP/pgsel_after"
sleep 0.3
kill -INT "$PG"
wait "$PG"
PG=
cp "$TMP/alerts.json" "$TMP/alerts.1"

# shellcheck disable=SC2086
pg_live_start "$T" "$TMP" "pg_canary_sel_$ME" -r "$TMP/rules.yaml" --stats-interval 0.1 -A $HOOK
sleep 0.3
s3=$(pg_selected "$TMP")
kill -INT "$PG"
wait "$PG"
PG=

[ -n "$s1" ] && [ -n "$s3" ] && [ "$s1" -lt "$s3" ]
check fewer_than_all $? "selected $s1 with the canary rule, $s3 with -A"
[ -n "$s2" ] && [ "$s2" -gt "$s1" ]
check reload_grows $? "selected $s1 before the reload, $s2 after"
grep -q "pgsel_after" "$TMP/alerts.1"
check mkdir_alert_after_reload $? "no alert for the mkdir after the reload"
[ -n "$s3" ] && [ "$s3" -ge "$s2" ]
check all_with_A $? "-A selected $s3, the rules $s2"
