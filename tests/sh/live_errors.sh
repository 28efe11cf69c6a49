#!/bin/sh
# live_errors.sh - live mode's errors a user can act on, through the CLI:
# not root (run as nobody), and a ring size that is not a power of two.
# Each says what to do in one line on stderr, exits 1, and prints no run
# summary (a run that never started has nothing to sum up).
set -u
: "${PEREGRINE:?}" "${FIXTURES:?}"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
R="$FIXTURES/rules/falco_rules.yaml"

# check NAME RC ERRFILE REGEX
check() {
	if [ "$2" = 1 ] && grep -qE "$4" "$3" && ! grep -q '^Events processed' "$3" &&
		[ "$(wc -l <"$3")" = 1 ]; then
		pass "$1"
	else
		fail "$1" "rc $2: $(head -5 "$3")"
	fi
}

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP live_error_not_root: needs root to drop to nobody"
else
	cp "$PEREGRINE" "$t/peregrine" && cp "$R" "$t/rules.yaml" && chmod 755 "$t" "$t/peregrine" &&
		chmod 644 "$t/rules.yaml"
	su nobody -s /bin/sh -c "'$t/peregrine' -M 1 -r '$t/rules.yaml'" >"$t/out" 2>"$t/err"
	check live_error_not_root $? "$t/err" '^peregrine: live: .*run as root'
fi

"$PEREGRINE" -M 1 -r "$R" -o engine.ring_buffer_bytes=1000000 >"$t/out" 2>"$t/err"
check live_error_ring_size $? "$t/err" '^peregrine: live: ring size 1000000 .*power of two'
