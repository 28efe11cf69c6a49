#!/bin/sh
# capture_gen.sh - `peregrine capture gen` writes the events asked for, our
# reader reads them back, and Debian's sysdig (a real libs reader) reads every
# one of them with the processes and fds the stream built.
set -u
: "${PEREGRINE:?}"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

if "$PEREGRINE" capture gen -o "$t/g.scap" --events 20000 --procs 16 --threads-per-proc 2 \
	--skew 1 --seed 7 2>"$t/err"; then
	n=$("$PEREGRINE" capture info "$t/g.scap" | awk '$1 == "events" {print $2}')
	[ "$n" = 20000 ] && pass gen_count || fail gen_count "capture info says $n events"
else
	fail gen_count "capture gen failed: $(cat "$t/err")"
fi

"$PEREGRINE" capture gen -o "$t/g2.scap" --events 20000 --procs 16 --threads-per-proc 2 \
	--skew 1 --seed 7 && cmp -s "$t/g.scap" "$t/g2.scap" &&
	pass gen_deterministic || fail gen_deterministic "same seed, different files"

"$PEREGRINE" capture gen -o "$t/gz.scap" --events 5000 --gzip &&
	[ "$(head -c2 "$t/gz.scap" | od -An -tx1 | tr -d ' ')" = 1f8b ] &&
	[ "$("$PEREGRINE" capture info "$t/gz.scap" | awk '$1 == "events" {print $2}')" = 5000 ] &&
	pass gen_gzip || fail gen_gzip "gzip capture not written or not read back"

for bad in "--events 0" "--procs x" "--skew -1" "--threads-per-proc 65" ""; do
	if [ -z "$bad" ]; then
		"$PEREGRINE" capture gen >/dev/null 2>&1 # no -o at all
	else
		# shellcheck disable=SC2086
		"$PEREGRINE" capture gen -o "$t/bad.scap" $bad >/dev/null 2>&1
	fi
	rc=$?
	[ $rc -eq 2 ] || { fail gen_bad_options "'$bad' exited $rc, expected 2"; break; }
done
[ "${rc:-2}" -eq 2 ] && pass gen_bad_options

# A cut: `capture cat FILE CONDITION -w OUT` keeps exactly the matching events
# (the fact from the ecosystem's tests: 8 open events of cat in cat_write.scap)
# and the initial tables; a bad condition writes nothing.
cw="${FIXTURES:?}/captures/cat_write.scap"
"$PEREGRINE" capture cat "$cw" "evt.type=open and proc.name in (cat)" -w "$t/cut.scap" &&
	info=$("$PEREGRINE" capture info "$t/cut.scap") &&
	[ "$(echo "$info" | awk '$1 == "events" {print $2}')" = 8 ] &&
	echo "$info" | grep -q 'processes=40 ' &&
	pass capture_cut || fail capture_cut "cut of cat_write.scap is not the 8 open events"
"$PEREGRINE" capture cat "$cw" "evt.type=" -w "$t/badcut.scap" 2>/dev/null
rc=$?
[ $rc -eq 2 ] && [ ! -e "$t/badcut.scap" ] && pass capture_cut_bad_condition ||
	fail capture_cut_bad_condition "exit $rc, or a file was left behind"

if ! command -v sysdig >/dev/null 2>&1; then
	echo "SKIP gen_sysdig_reads: sysdig is not installed"
	exit 0
fi
n=$(sysdig -r "$t/g.scap" -p "%evt.num" 2>/dev/null | wc -l)
[ "$n" = 20000 ] && pass gen_sysdig_reads || fail gen_sysdig_reads "sysdig printed $n events"
# The process tree is real to a libs reader: every event has a known process
# name, and every read/write names an fd the stream opened.
na=$(sysdig -r "$t/g.scap" -p "%proc.name" 2>/dev/null | grep -c '<NA>')
nofd=$(sysdig -r "$t/g.scap" "evt.type in (read, write) and evt.dir=<" -p "%fd.name" 2>/dev/null |
	grep -c '<NA>')
[ "$na" = 0 ] && [ "$nofd" = 0 ] && pass gen_sysdig_state ||
	fail gen_sysdig_state "$na events without process name, $nofd reads/writes without fd name"
