#!/bin/sh
# live_behaviours.sh - the default rules against real behaviour on this host.
#
# peregrine runs live (eBPF probe) with the default ruleset and --json; once a
# canary alert shows it is ready, this script does each suspicious thing for
# real (read /etc/shadow, write below /etc, a reverse-shell connect, ptrace,
# memfd exec, finit_module, setuid(0) as nobody, ...), then stops peregrine
# with SIGINT and checks that the matching default rule fired exactly once
# for that process (selected by pid, or by parent for the forked shell), with
# the right proc.name, proc.pname, fd.name (or the path argument for calls
# without an fd) and user.name in the alert's output fields.
#
# Needs root and BPF; each behaviour prints SKIP with the reason otherwise.
# Everything it creates lives in a temp dir or under a pg_live_PID name and is
# removed at the end. About 10 s.
#
# PG_HOOK=raw|syscall runs the probe with that hook (--probe-hook) and names
# the tests live_behaviours[HOOK] (tests/sh/live_hook.sh does it).
set -u
: "${BUILD:=build}"
: "${PEREGRINE:=$BUILD/peregrine}"
L=live_behaviours${PG_HOOK:+[$PG_HOOK]}
case "$BUILD" in
/*) B="$BUILD/tests/helpers/pg_behave" ;;
*) B="$(pwd)/$BUILD/tests/helpers/pg_behave" ;;
esac
RULES=rules/peregrine_rules.yaml
BEHAVIOURS="read_shadow write_etc write_bin shell_parent nc_connect devtcp_connect devtcp_dup
	tmp_exec ptrace memfd_exec chmod_suid symlink_shadow hardlink_shadow module_load
	ssh_key_read clear_log history_clear hidden_tmp setuid_root packet_socket search_keys
	hostile_name"

skip_all() {
	for b in $BEHAVIOURS; do
		echo "SKIP $L $b: $1"
	done
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root (the eBPF probe)"
[ -r /sys/kernel/btf/vmlinux ] || skip_all "BPF unavailable: the kernel has no BTF"
[ -x "$B" ] || { echo "FAIL $L: $B is not built"; exit 1; }

TMP=$(mktemp -d /tmp/pg_live.XXXXXX)
ME=$$
P=$(cat /proc/$$/comm) # proc.pname of the commands this script starts
SSHDIR_MADE=
PG=
cleanup() {
	[ -n "$PG" ] && kill -INT "$PG" 2>/dev/null
	[ -n "$LISTENER" ] && kill "$LISTENER" 2>/dev/null
	rm -rf "$TMP"
	rm -f /etc/pg_live_$ME /usr/local/bin/pg_live_$ME /var/log/pg_live_$ME.log \
		/tmp/.pg_hidden_$ME /tmp/.pg_canary_$ME /root/.ssh/id_pg_live_$ME
	[ -n "$SSHDIR_MADE" ] && rmdir /root/.ssh 2>/dev/null
	return 0
}
LISTENER=
trap cleanup EXIT

# default rules: embedded, unless a rules file is installed (then name ours)
if [ -e /etc/peregrine/falco_rules.yaml ] || [ -e /etc/peregrine/peregrine.yaml ]; then
	set -- -r "$RULES"
else
	set --
fi
[ -n "${PG_HOOK:-}" ] && set -- "$@" --probe-hook "$PG_HOOK"
. "$(dirname "$0")/lib/live.sh"
pg_live_start "$L" "$TMP" "pg_canary_$ME" "$@"

# ---- the behaviours; each records the pid that does it ----
run() { # NAME CMD... : run in the background, keep its pid in $TMP/pid.NAME
	n=$1
	shift
	"$@" </dev/null >/dev/null 2>"$TMP/err.$n" &
	echo $! >"$TMP/pid.$n"
	wait $! || echo "$?" >"$TMP/rc.$n"
}

run read_shadow cat /etc/shadow
run write_etc tee /etc/pg_live_$ME
run write_bin tee /usr/local/bin/pg_live_$ME
run shell_parent "$B" spawn-shell

"$B" listen "$TMP/port" &
LISTENER=$!
i=0
while [ ! -s "$TMP/port" ] && [ $i -lt 50 ]; do sleep 0.05; i=$((i + 1)); done
PORT=$(cat "$TMP/port" 2>/dev/null)
mkdir -p "$TMP/bin"
ln -s "$B" "$TMP/bin/nc"
run nc_connect "$TMP/bin/nc" 127.0.0.1 "$PORT"
if command -v bash >/dev/null; then
	run devtcp bash -c "exec 1<>/dev/tcp/127.0.0.1/$PORT; echo peregrine"
	cp "$TMP/pid.devtcp" "$TMP/pid.devtcp_connect"
	cp "$TMP/pid.devtcp" "$TMP/pid.devtcp_dup"
fi

cp /bin/true "$TMP/pg_dropper"
run tmp_exec "$TMP/pg_dropper"
run ptrace "$B" ptrace
run memfd_exec "$B" memfd-exec
: >"$TMP/suid"
run chmod_suid chmod u+s "$TMP/suid"
run symlink_shadow ln -s /etc/shadow "$TMP/shadow"
run hardlink_shadow ln /etc/shadow "$TMP/shadow_hl"
run module_load "$B" module /dev/null
if [ ! -d /root/.ssh ]; then
	mkdir -m 700 /root/.ssh && SSHDIR_MADE=1
fi
echo "not a key" >/root/.ssh/id_pg_live_$ME
run ssh_key_read cat /root/.ssh/id_pg_live_$ME
echo "peregrine live test" >>/var/log/pg_live_$ME.log
run clear_log cp /dev/null /var/log/pg_live_$ME.log
echo "ls" >"$TMP/.bash_history"
run history_clear cp /dev/null "$TMP/.bash_history"
run hidden_tmp touch /tmp/.pg_hidden_$ME
run setuid_root "$B" setuid-root
run packet_socket "$B" packet-socket
run search_keys find "$TMP" -name id_rsa
# a process whose name (its file's name) holds a newline, a byte that is not
# UTF-8 and a ')': its alert must stay one line of valid JSON
HOSTILE=$(printf 'cat\n\377)x')
ln -s "$(command -v cat)" "$TMP/bin/$HOSTILE"
run hostile_name "$TMP/bin/$HOSTILE" /etc/shadow

sleep 1 # let the last events through the rings and the output queue
kill -INT "$PG"
wait "$PG"
PG=

# ---- checks ----
# check NAME RULE SELECTOR FIELD=VALUE...: exactly one alert of RULE whose
# line matches SELECTOR (an extended regex), holding every "FIELD":"VALUE".
check() {
	n=$1 rule=$2 sel=$3
	shift 3
	if [ -s "$TMP/rc.$n" ]; then
		echo "FAIL $L $n: the behaviour itself failed (exit $(cat "$TMP/rc.$n")): $(head -c 200 "$TMP/err.$n")"
		return
	fi
	grep -F "\"rule\":\"$rule\"" "$TMP/alerts.json" | grep -E "$sel" >"$TMP/hits.$n"
	c=$(wc -l <"$TMP/hits.$n")
	if [ "$c" -ne 1 ]; then
		echo "FAIL $L $n: '$rule' fired $c times for it (want 1)"
		grep -F "\"rule\":\"$rule\"" "$TMP/alerts.json" | head -3 | cut -c1-300 | sed 's/^/    /'
		return
	fi
	bad= kv_user=
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		[ "$k" = user.name ] && kv_user=$v
		grep -qF "\"$k\":\"$v\"" "$TMP/hits.$n" || bad="$bad $k!=$v"
	done
	if [ -n "$bad" ]; then
		echo "FAIL $L $n: '$rule' fired with wrong fields:$bad"
		cut -c1-400 "$TMP/hits.$n" | sed 's/^/    /'
	else
		echo "PASS $L $n: '$rule' ($*)"
	fi
}
pid() { echo "\"proc.pid\":$(cat "$TMP/pid.$1")[,}]"; }

check read_shadow "Read Sensitive Credential File" "$(pid read_shadow)" \
	proc.name=cat proc.pname="$P" fd.name=/etc/shadow user.name=root
check write_etc "Write Below Etc" "$(pid write_etc)" \
	proc.name=tee proc.pname="$P" fd.name=/etc/pg_live_$ME user.name=root
check write_bin "Write Below Binary Dir" "$(pid write_bin)" \
	proc.name=tee proc.pname="$P" fd.name=/usr/local/bin/pg_live_$ME user.name=root
check shell_parent "Shell Spawned by Unexpected Parent" '"proc.pname":"pg_behave"' \
	proc.name=sh proc.pname=pg_behave proc.cmdline="sh -c exit 0" user.name=root
check nc_connect "Network Tool Outbound Connection" "$(pid nc_connect)" \
	proc.name=nc proc.pname="$P" user.name=root
grep -F '"rule":"Network Tool Outbound Connection"' "$TMP/alerts.json" |
	grep -qE "\"fd.name\":\"127.0.0.1:[0-9]+->127.0.0.1:$PORT\"" ||
	echo "FAIL $L nc_connect: fd.name is not 127.0.0.1:*->127.0.0.1:$PORT"
if [ -s "$TMP/pid.devtcp" ]; then
	check devtcp_connect "Shell Connects Out" "$(pid devtcp)" \
		proc.name=bash proc.pname="$P" user.name=root
	check devtcp_dup "Standard Streams Redirected to Network" "$(pid devtcp)" \
		proc.name=bash proc.pname="$P" user.name=root
	grep -F "\"rule\":\"Standard Streams Redirected to Network\"" "$TMP/alerts.json" |
		grep -qE "\"fd.name\":\"127.0.0.1:[0-9]+->127.0.0.1:$PORT\"" ||
		echo "FAIL $L devtcp_dup: fd.name is not 127.0.0.1:*->127.0.0.1:$PORT"
else
	echo "SKIP $L devtcp_connect: no bash for /dev/tcp"
	echo "SKIP $L devtcp_dup: no bash for /dev/tcp"
fi
check tmp_exec "Execution from Temporary Directory" "$(pid tmp_exec)" \
	proc.name=pg_dropper proc.pname="$P" proc.exepath="$TMP/pg_dropper" user.name=root
check ptrace "Ptrace Attach to Process" "$(pid ptrace)" \
	proc.name=pg_behave proc.pname="$P" user.name=root
# fexecve of a memfd: the kernel names the task after the memfd ("memfd:NAME",
# cut to 15 characters) or, on older kernels, after the fd number
check memfd_exec "Fileless Execution via memfd" "$(pid memfd_exec)" \
	proc.pname="$P" user.name=root
grep -qE '"proc.name":"(memfd:pg_filele|[0-9]+)"' "$TMP/hits.memfd_exec" 2>/dev/null ||
	echo "FAIL $L memfd_exec: proc.name is neither memfd:pg_filele nor an fd number"
check chmod_suid "Set Setuid or Setgid Bit" "$(pid chmod_suid)" \
	proc.name=chmod proc.pname="$P" evt.arg.filename="$TMP/suid" user.name=root
check symlink_shadow "Symlink Over Sensitive File" "$(pid symlink_shadow)" \
	proc.name=ln proc.pname="$P" evt.arg.target=/etc/shadow evt.arg.linkpath="$TMP/shadow" \
	user.name=root
check hardlink_shadow "Hardlink Over Sensitive File" "$(pid hardlink_shadow)" \
	proc.name=ln proc.pname="$P" evt.arg.oldpath=/etc/shadow evt.arg.newpath="$TMP/shadow_hl" \
	user.name=root
# the syscall hook sees a syscall only through its tracepoint, which a
# kernel built without modules does not have (the engine says so)
if grep -q "no tracepoint for .*finit_module" "$TMP/stderr"; then
	echo "SKIP $L module_load: this kernel has no finit_module tracepoint (no module support): the syscall hook cannot see the attempt"
else
	check module_load "Kernel Module Load Attempt" "$(pid module_load)" \
		proc.name=pg_behave proc.pname="$P" fd.name=/dev/null user.name=root
fi
check ssh_key_read "Read SSH Private Key" "$(pid ssh_key_read)" \
	proc.name=cat proc.pname="$P" fd.name=/root/.ssh/id_pg_live_$ME user.name=root
check clear_log "Clear Log File" "$(pid clear_log)" \
	proc.name=cp proc.pname="$P" fd.name=/var/log/pg_live_$ME.log user.name=root
check history_clear "Delete or Clear Shell History" "$(pid history_clear)" \
	proc.name=cp proc.pname="$P" user.name=root
check hidden_tmp "Hidden File Created in Temporary Directory" "$(pid hidden_tmp)" \
	proc.name=touch proc.pname="$P" fd.name=/tmp/.pg_hidden_$ME user.name=root
check setuid_root "Non-root Process Tries to Become Root" "$(pid setuid_root)" \
	proc.name=pg_behave proc.pname="$P" user.name=nobody
check packet_socket "Packet Socket Created" "$(pid packet_socket)" \
	proc.name=pg_behave proc.pname="$P" user.name=root
check search_keys "Search for Private Keys or Passwords" "$(pid search_keys)" \
	proc.name=find proc.pname="$P" user.name=root
# hostile_name: every alert line is strict JSON (UTF-8 included), and the
# one for that process names it with the newline escaped and the stray byte
# as U+FFFD
if [ -s "$TMP/rc.hostile_name" ]; then
	echo "FAIL $L hostile_name: the behaviour itself failed: $(head -c 200 "$TMP/err.hostile_name")"
elif r=$(python3 - "$TMP/alerts.json" "$(cat "$TMP/pid.hostile_name")" <<'PY'
import json, sys
bad, hits = 0, []
for raw in open(sys.argv[1], "rb"):
    try:
        a = json.loads(raw.decode("utf-8"))
    except ValueError:
        bad += 1
        continue
    f = a.get("output_fields", {})
    if a.get("rule") == "Read Sensitive Credential File" and f.get("proc.pid") == int(sys.argv[2]):
        hits.append(a)
want = "cat\\n\ufffd)x"
if bad or len(hits) != 1 or hits[0]["output_fields"].get("proc.name") != want \
        or "\n" in hits[0]["output"]:
    print("%d lines not JSON, %d alerts for it, proc.name %r" % (bad, len(hits),
          hits[0]["output_fields"].get("proc.name") if hits else None))
    sys.exit(1)
PY
); then
	echo "PASS $L hostile_name: 'Read Sensitive Credential File' (newline escaped, stray byte as U+FFFD, every line strict JSON)"
else
	echo "FAIL $L hostile_name: $r"
fi
exit 0
