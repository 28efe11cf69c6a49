#!/bin/sh
# config_file.sh - the shipped config/peregrine.yaml holds every key at its
# default, `--print-config` shows the values in effect (file, -o, options)
# as YAML that -c reads back to the same values, and a bad file is refused.
set -u
: "${PEREGRINE:?}" "${FIXTURES:?}"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
shipped=config/peregrine.yaml

"$PEREGRINE" --print-config -c /dev/null >"$t/defaults.yaml" 2>"$t/err" ||
	fail print_config_defaults "rc $?: $(cat "$t/err")"
n=$(grep -c ':' "$t/defaults.yaml")
keys=$(grep -c '^	X("' src/cli/config.h)
# every key but the one alias (rules_file) is printed; mappings add lines
[ "$n" -ge $((keys - 1)) ] && pass "print_config_defaults ($n lines, $keys keys)" ||
	fail print_config_defaults "$n lines for $keys keys"

# the shipped file, comments and blank lines aside, is exactly the defaults
grep -v -E '^[[:space:]]*(#|$)' "$shipped" >"$t/shipped.yaml"
if diff -u "$t/defaults.yaml" "$t/shipped.yaml" >"$t/diff"; then
	pass config_shipped_is_defaults
else
	fail config_shipped_is_defaults "$shipped differs from --print-config (- defaults, + file): $(head -20 "$t/diff")"
fi
"$PEREGRINE" --print-config -c "$shipped" >"$t/loaded.yaml" 2>"$t/err" &&
	cmp -s "$t/loaded.yaml" "$t/defaults.yaml" && pass config_shipped_loads ||
	fail config_shipped_loads "$(cat "$t/err") $(diff "$t/defaults.yaml" "$t/loaded.yaml" | head -5)"

# what -o and the options set shows, and reads back the same
"$PEREGRINE" --print-config -c "$shipped" -o engine.workers=3 -o 'program_output.program=jq "." | tee a\b' \
	-o 'http_output.url=http://127.0.0.1/ä' -o syscall_event_drops.rate=0.1234567890123 \
	-o syscall_event_drops.actions=log,exit --partition tid -r "$t/a.yaml" -r "$t/b.yaml" \
	>"$t/set.yaml" 2>"$t/err" || fail print_config_set "rc $?: $(cat "$t/err")"
grep -q '^  workers: 3$' "$t/set.yaml" && grep -q '^  partition: "tid"$' "$t/set.yaml" &&
	grep -q '^  program: "jq \\"\.\\" | tee a\\\\b"$' "$t/set.yaml" &&
	grep -q '^  rate: 0.1234567890123$' "$t/set.yaml" &&
	[ "$(sed -n '/^rules_files:/,/^[a-z]/p' "$t/set.yaml" | grep -c '^  - ')" = 2 ] &&
	[ "$(sed -n '/^  actions:/,/^  [a-z]/p' "$t/set.yaml" | grep -c '^    - ')" = 2 ] &&
	pass print_config_set || fail print_config_set "$(cat "$t/set.yaml")"
"$PEREGRINE" --print-config -c "$t/set.yaml" >"$t/again.yaml" 2>"$t/err" &&
	cmp -s "$t/set.yaml" "$t/again.yaml" && pass print_config_roundtrip ||
	fail print_config_roundtrip "$(cat "$t/err") $(diff "$t/set.yaml" "$t/again.yaml" | head -5)"

# a bad file is refused with its line, by --print-config as by a run
printf 'engine:\n  workers: 2\n  partitio: tid\n' >"$t/bad.yaml"
"$PEREGRINE" --print-config -c "$t/bad.yaml" >"$t/out" 2>"$t/err"
rc=$?
[ $rc = 2 ] && grep -q "bad.yaml:3: unknown key 'engine.partitio'" "$t/err" && [ ! -s "$t/out" ] &&
	pass print_config_bad_file || fail print_config_bad_file "rc $rc: $(cat "$t/err")"

# the shipped file runs a replay as it is (rules from -r)
"$PEREGRINE" -c "$shipped" -r "$FIXTURES/rules/falco_rules.yaml" \
	-e "$FIXTURES/captures/$(ls "$FIXTURES/captures" | grep -m1 '\.scap$')" \
	-o stdout_output.enabled=false >"$t/out" 2>"$t/err" &&
	grep -q '^Events processed: [1-9]' "$t/err" && pass config_shipped_replay ||
	fail config_shipped_replay "$(tail -3 "$t/err")"
