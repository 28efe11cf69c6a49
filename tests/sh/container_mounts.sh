#!/bin/sh
# container_mounts.sh - the container mount fields end to end on replay: a
# capture whose container events carry libs' JSON with Mounts
# (tests/data/container_mounts/mounts.scn, built by pg_scn2scap) replayed
# with rules of our own on every mount field (rules.yaml, which must
# validate); the alerts must be exactly expected.txt (priority and output,
# without the time). A container with more mounts than the bounds keep:
# the first ones are seen, the summary says so. One worker: a multi-worker replay does not wait for a
# container event applied by another worker (state.h, container metadata).
set -u
: "${BUILD:=build}"
: "${PEREGRINE:=$BUILD/peregrine}"
DATA=tests/data/container_mounts
GEN="$BUILD/tests/helpers/pg_scn2scap"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ok() { echo "PASS container_mounts_$1${2:+ $2}"; }
ko() { echo "FAIL container_mounts_$1: $2"; }

out=$("$PEREGRINE" --validate "$DATA/rules.yaml" 2>&1)
rc=$?
if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "rules.yaml: Ok" &&
	! printf '%s\n' "$out" | grep -qi 'warning\|error'; then
	ok validate
else
	ko validate "rc=$rc: $out"
fi

if [ ! -x "$GEN" ]; then
	ko replay "$GEN is not built (make $GEN)"
	exit 0
fi
if ! "$GEN" "$DATA/mounts.scn" "$TMP/m.scap" 2>"$TMP/gen.err"; then
	ko replay "the capture was not built: $(cat "$TMP/gen.err")"
	exit 0
fi
if ! "$PEREGRINE" --workers 1 --all-matches -r "$DATA/rules.yaml" -e "$TMP/m.scap" \
	>"$TMP/alerts" 2>"$TMP/stderr"; then
	ko replay "peregrine failed: $(tail -3 "$TMP/stderr")"
	exit 0
fi
sed 's/^[0-9:.]*: //' "$TMP/alerts" >"$TMP/got"
if cmp -s "$TMP/got" "$DATA/expected.txt"; then
	ok replay "($(wc -l <"$TMP/got") alerts)"
else
	ko replay "alerts differ from $DATA/expected.txt:"
	diff "$DATA/expected.txt" "$TMP/got" | sed 's/^/    /'
fi

# output formats of capture cat take the fields too
out=$("$PEREGRINE" capture cat "$TMP/m.scap" 'evt.type=execve and evt.dir=<' --workers 1 \
	-p '%proc.pid %container.mount.source[/host/*] %container.mount.rdwr[1] %container.mount[0]')
if [ "$out" = "600 /proc true /proc:/host/proc:ro:false:rprivate" ]; then
	ok cat_format
else
	ko cat_format "$out"
fi

# past the bounds (PROC_CTR_MOUNTS_MAX, 64): 65 mounts, the first 64 kept
{
	sed -n '/^user\|^proc tid=1 \|^proc tid=600 /p' "$DATA/mounts.scn"
	printf 'evt -1 container> json="{\\"container\\":{\\"type\\":0,\\"id\\":\\"a1b2c3d4e5f6\\",\\"Mounts\\":['
	i=0
	while [ $i -lt 65 ]; do
		[ $i -gt 0 ] && printf ','
		printf '{\\"Source\\":\\"/s%d\\",\\"Destination\\":\\"/d%d\\"}' $i $i
		i=$((i + 1))
	done
	printf ']}}"\n'
	echo 'evt 600 execve res=0 exe=cat args="" tid=600 pid=600 ptid=1 comm=cat'
} >"$TMP/many.scn"
cat >"$TMP/many.yaml" <<'Y'
- rule: many
  desc: d
  condition: evt.type = execve and evt.dir = <
  output: "63=%container.mount.dest[63] 64=%container.mount.dest[64] s64=%container.mount.dest[/s64]"
  priority: INFO
Y
if "$GEN" "$TMP/many.scn" "$TMP/many.scap" 2>"$TMP/gen.err" &&
	"$PEREGRINE" --workers 1 -r "$TMP/many.yaml" -e "$TMP/many.scap" >"$TMP/many.out" \
		2>"$TMP/many.err"; then
	got=$(sed 's/^[0-9:.]*: //' "$TMP/many.out")
	if [ "$got" = "Informational 63=/d63 64=<NA> s64=<NA>" ] &&
		grep -q "^Container events with more mounts than kept: 1 (each keeps its first mounts, at most 64 in 16384 bytes" "$TMP/many.err"; then
		ok bounds
	else
		ko bounds "alert \"$got\"; stderr: $(cat "$TMP/many.err")"
	fi
else
	ko bounds "$(cat "$TMP/gen.err" "$TMP/many.err" 2>/dev/null)"
fi
