#!/bin/sh
# default_rules.sh - the default ruleset (rules/peregrine_rules.yaml) loads
# without a warning, is the one embedded in the binary, and each of its rules
# fires exactly where it should on a capture made for it.
#
# Each tests/data/default_rules/NAME.scn (after prelude.scn) is turned into a
# capture by $BUILD/tests/helpers/pg_scn2scap, replayed with
# `peregrine -r rules/peregrine_rules.yaml -e CAP --json`, and the alerts are
# counted by rule: every `expect "RULE" N` line must match exactly and no
# other rule may fire. Last, every rule of the file must be expected by some
# scenario, so a new rule without a test fails here.
set -u
: "${BUILD:=build}"
: "${PEREGRINE:=$BUILD/peregrine}"
RULES=rules/peregrine_rules.yaml
DATA=tests/data/default_rules
GEN="$BUILD/tests/helpers/pg_scn2scap"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [ ! -x "$GEN" ]; then
	echo "FAIL default_rules: $GEN is not built (make $GEN)"
	exit 1
fi

# 1. validates with no error and no warning
out=$("$PEREGRINE" --validate "$RULES" 2>&1)
rc=$?
if [ $rc -eq 0 ] && ! printf '%s\n' "$out" | grep -qi 'warning\|error'; then
	echo "PASS default_rules: $RULES validates without warnings ($(printf '%s\n' "$out" | tail -1))"
else
	echo "FAIL default_rules: $RULES does not validate cleanly (rc $rc)"
	printf '%s\n' "$out" | head -20 | sed 's/^/    /'
fi

# 2. each scenario
: >"$TMP/expected_rules"
for scn in "$DATA"/*.scn; do
	name=$(basename "$scn" .scn)
	[ "$name" = prelude ] && continue
	cat "$DATA/prelude.scn" "$scn" >"$TMP/$name.scn"
	if ! "$GEN" "$TMP/$name.scn" "$TMP/$name.scap" 2>"$TMP/$name.err"; then
		echo "FAIL default_rules $name: the capture was not built: $(cat "$TMP/$name.err")"
		continue
	fi
	if ! "$PEREGRINE" -r "$RULES" -e "$TMP/$name.scap" --json >"$TMP/$name.json" \
		2>"$TMP/$name.stderr"; then
		echo "FAIL default_rules $name: peregrine failed: $(tail -3 "$TMP/$name.stderr")"
		continue
	fi
	# "N RULE" lines, got and expected
	grep -o '"rule":"[^"]*"' "$TMP/$name.json" | sed 's/^"rule":"//; s/"$//' | sort |
		uniq -c | sed 's/^ *//' >"$TMP/$name.got"
	sed -n 's/^expect "\([^"]*\)" \([0-9]*\).*/\2 \1/p' "$scn" | sort -k2 >"$TMP/$name.want"
	sed 's/^[0-9]* //' "$TMP/$name.want" >>"$TMP/expected_rules"
	sort -k2 "$TMP/$name.got" >"$TMP/$name.got.s"
	if cmp -s "$TMP/$name.got.s" "$TMP/$name.want"; then
		echo "PASS default_rules $name: $(tr '\n' ';' <"$TMP/$name.want" | sed 's/;$//')"
	else
		echo "FAIL default_rules $name: alerts by rule differ (want, then got)"
		sed 's/^/    want /' "$TMP/$name.want"
		sed 's/^/    got  /' "$TMP/$name.got.s"
	fi
done

# 3. every rule has a scenario
missing=0
grep '^- rule: ' "$RULES" | sed 's/^- rule: //; s/ *$//' | while read -r r; do
	grep -qxF "$r" "$TMP/expected_rules" || echo "$r"
done >"$TMP/missing"
if [ -s "$TMP/missing" ]; then
	echo "FAIL default_rules: rules with no scenario: $(tr '\n' ';' <"$TMP/missing")"
	missing=1
else
	echo "PASS default_rules: every rule of $RULES is expected by a scenario"
fi

# 4. the embedded copy is the file: without -r (and no installed rules file)
# the engine runs the same rules
if [ -e /etc/peregrine/falco_rules.yaml ] || [ -e /etc/peregrine/peregrine.yaml ]; then
	echo "SKIP default_rules embedded: /etc/peregrine holds an installed configuration or rules"
elif [ -s "$TMP/shell_connect.scap" ]; then
	"$PEREGRINE" -e "$TMP/shell_connect.scap" --json >"$TMP/embedded.json" 2>"$TMP/embedded.err"
	if cmp -s "$TMP/embedded.json" "$TMP/shell_connect.json"; then
		echo "PASS default_rules embedded: without -r the embedded rules give the same alerts"
	else
		echo "FAIL default_rules embedded: without -r the alerts differ from -r $RULES"
		head -5 "$TMP/embedded.err" | sed 's/^/    /'
	fi
fi
exit 0
