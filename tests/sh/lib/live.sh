# live.sh - shared by the live shell tests (sourced, not run: tests/run.sh
# runs tests/sh/*.sh only).
#
# pg_live_start TEST TMP CANARY ARGS...: start "$PEREGRINE" ARGS... live with
# JSON alerts to TMP/alerts.json and its stderr in TMP/stderr, then touch
# /tmp/.CANARY (a hidden file in /tmp: a default rule alerts on it) until its
# alert shows that the probe is attached and the rules run. Sets PG to
# peregrine's pid. If peregrine exits first with a BPF or permission error,
# calls the caller's skip_all with the reason; any other failure prints
# "FAIL TEST: ..." and exits 1. Gives up after 10 s.
pg_live_start() {
	_t=$1 _tmp=$2 _canary=$3
	shift 3
	"$PEREGRINE" "$@" --json -o stdout_output.enabled=true >"$_tmp/alerts.json" 2>"$_tmp/stderr" &
	PG=$!
	_i=0
	while [ $_i -lt 100 ]; do
		if ! kill -0 "$PG" 2>/dev/null; then
			PG=
			_msg=$(grep -v '^Events' "$_tmp/stderr" | head -2 | tr '\n' ' ')
			if grep -qi 'bpf\|probe\|permission\|not permitted' "$_tmp/stderr"; then
				skip_all "BPF unavailable: $_msg"
			fi
			echo "FAIL $_t: peregrine exited: $_msg"
			exit 1
		fi
		if [ $((_i % 5)) -eq 0 ]; then
			rm -f "/tmp/.$_canary"
			touch "/tmp/.$_canary"
		fi
		grep -q "$_canary" "$_tmp/alerts.json" 2>/dev/null && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "FAIL $_t: no canary alert after 10 s (live mode not ready?)"
	sed 's/^/    /' "$_tmp/stderr" | head -5
	exit 1
}

# pg_rule_canary PREFIX: a rule alerting on opens of /tmp/.PREFIX* (a test's
# own canary, for rules files that do not have the default rules').
pg_rule_canary() {
	printf '%s\n' '- rule: canary' '  desc: the test canary (a hidden file in /tmp)' \
		"  condition: evt.type in (open, openat) and fd.name startswith /tmp/.$1" \
		'  output: canary %fd.name' '  priority: WARNING'
}

# pg_rule_mkdir WORD: a rule alerting on mkdir/mkdirat of a path holding WORD.
pg_rule_mkdir() {
	printf '%s\n' '- rule: mkdir seen' '  desc: a directory made by this test' \
		"  condition: evt.type in (mkdir, mkdirat) and evt.arg.path contains $1" \
		'  output: mkdir %evt.arg.path' '  priority: WARNING'
}

# pg_reload TMP N: SIGHUP to $PG, then wait (5 s at most) until its stderr
# (TMP/stderr) says that N rules were loaded.
pg_reload() {
	kill -HUP "$PG"
	_i=0
	until grep -q "^SIGHUP: $2 rules loaded" "$1/stderr" || [ $_i -ge 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

# pg_selected TMP: the last "syscalls_selected" of the stats lines in TMP/stderr.
pg_selected() { sed -n 's/.*"syscalls_selected":\([0-9]*\).*/\1/p' "$1/stderr" | tail -1; }
