#!/bin/sh
# cli_help.sh - `peregrine --help` (and -h) exits 0 and names every option
# the engine's parser takes, so that the help cannot fall behind the code;
# an unknown option prints the usage on stderr and exits 2.
set -u
: "${PEREGRINE:?}"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

for h in --help -h; do
	if "$PEREGRINE" $h >"$t/help" 2>"$t/err" && [ ! -s "$t/err" ]; then
		pass "help_exit_0 ($h)"
	else
		fail "help_exit_0 ($h)" "rc $?, stderr: $(head -3 "$t/err")"
	fi
done
# the long options of src/cli/cmd_engine.c's table, and its short ones
longs=$(sed -n '/static const struct option lo\[\] = {/,/};/p' src/cli/cmd_engine.c |
	sed -n 's/^[[:space:]]*{"\([a-z-]*\)".*/\1/p')
shorts=$(sed -n 's/.*getopt_long(argc, argv, "\([^"]*\)".*/\1/p' src/cli/cmd_engine.c | tr -d ':')
[ -n "$longs" ] && [ -n "$shorts" ] || fail help_names_every_option "could not read the option table"
missing=
for o in $longs; do
	grep -q -e "--$o\b" "$t/help" || missing="$missing --$o"
done
for o in $(echo "$shorts" | sed 's/./& /g'); do
	grep -q -e "^  -$o[ ,]" "$t/help" || missing="$missing -$o"
done
[ -z "$missing" ] && pass "help_names_every_option ($(echo $longs | wc -w) long, ${#shorts} short)" ||
	fail help_names_every_option "not in --help:$missing"
# the subcommands
for s in "capture info" "--validate" "--list-fields" "-e CAPTURE"; do
	grep -q -e "$s" "$t/help" || missing="$missing '$s'"
done
[ -z "$missing" ] && pass help_names_subcommands || fail help_names_subcommands "missing:$missing"

"$PEREGRINE" --no-such-option >"$t/out" 2>"$t/err"
rc=$?
[ "$rc" = 2 ] && grep -q "^usage: peregrine" "$t/err" && [ ! -s "$t/out" ] &&
	pass unknown_option_usage_exit_2 || fail unknown_option_usage_exit_2 "rc $rc, stderr: $(head -2 "$t/err")"
