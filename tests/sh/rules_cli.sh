#!/bin/sh
# rules_cli.sh - the rules modes of the CLI: --validate (ok, errors with
# caret, exit statuses), --list-fields, -r/-e text and JSON alerts, capture
# cat with a condition and -p.
set -u
: "${PEREGRINE:=build/peregrine}"
: "${FIXTURES:=../shared/fixtures}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "PASS rules_cli_$1"; }
ko() { echo "FAIL rules_cli_$1: $2"; }

out=$("$PEREGRINE" --validate "$FIXTURES/rules/falco_rules.yaml" 2>&1)
rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q "falco_rules.yaml: Ok" &&
	echo "$out" | grep -q "^25 rules, 87 macros, 49 lists loaded and compiled$"; then
	ok validate_default
else
	ko validate_default "rc=$rc: $out"
fi

cat >"$tmp/bad.yaml" <<'Y'
- rule: bad
  desc: d
  condition: evt.type=open and proc.nme=cat
  output: o
  priority: INFO
Y
out=$("$PEREGRINE" --validate "$tmp/bad.yaml" 2>&1)
rc=$?
if [ $rc -eq 2 ] && echo "$out" | grep -q "bad.yaml:3:32: error: rule 'bad': unknown field 'proc.nme'" &&
	echo "$out" | grep -q "^ *\^$" && echo "$out" | grep -q "bad.yaml: Invalid"; then
	ok validate_error
else
	ko validate_error "rc=$rc: $out"
fi

n=$("$PEREGRINE" --list-fields | grep -c '^[a-z0-9]*\.[a-z]')
if [ "$n" -ge 120 ] && "$PEREGRINE" --list-fields | grep -q "^Field Class: *process"; then
	ok list_fields
else
	ko list_fields "$n fields"
fi

cat >"$tmp/r.yaml" <<'Y'
- rule: cat open
  desc: d
  condition: evt.type=open and proc.name in (cat)
  output: "open %fd.name by %proc.name"
  priority: WARNING
  tags: [t1]
Y
n=$("$PEREGRINE" -r "$tmp/r.yaml" -e "$FIXTURES/captures/cat_write.scap" 2>/dev/null |
	grep -c '^[0-9:.]*: Warning open .* by cat$')
[ "$n" -eq 8 ] && ok replay_text || ko replay_text "$n alerts"
n=$("$PEREGRINE" -r "$tmp/r.yaml" -e "$FIXTURES/captures/cat_write.scap" --json 2>/dev/null |
	grep -c '"rule":"cat open".*"tags":\["t1"\]')
[ "$n" -eq 8 ] && ok replay_json || ko replay_json "$n alerts"

out=$("$PEREGRINE" capture cat "$FIXTURES/captures/syscall.scap" \
	'evt.type=open and evt.dir=< and fd.name=/dev/null' -p '%evt.num %fd.name %evt.res')
if [ "$out" = "188 /dev/null SUCCESS
190 /dev/null SUCCESS" ]; then
	ok cat_filter
else
	ko cat_filter "$out"
fi
