#!/bin/sh
# capture_cli.sh - `peregrine capture info|cat|gen` from the outside: the
# counts `info` reports, `cat` line counts, and corrupt input: exit status 2,
# one error line naming the offset, nothing on stdout.
set -u
: "${PEREGRINE:=build/peregrine}"
: "${FIXTURES:=../shared/fixtures}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
C="$FIXTURES/captures"

for pair in curl_google:1536 single_ipv6_conn:1728 sample_libs:572 cat_write:345 syscall:368; do
	f=${pair%%:*}
	n=${pair#*:}
	got=$("$PEREGRINE" capture info "$C/$f.scap" | awk '$1 == "events" { print $2 }')
	lines=$("$PEREGRINE" capture cat "$C/$f.scap" | wc -l)
	if [ "$got" = "$n" ] && [ "$lines" -eq "$n" ]; then
		echo "PASS capture_cli_count_$f"
	else
		echo "FAIL capture_cli_count_$f: info says '$got', cat printed $lines lines, expected $n"
	fi
done

out=$("$PEREGRINE" capture info "$C/syscall.scap")
if echo "$out" | grep -q '^machine    hostname=ubuntu cpus=2' &&
	echo "$out" | grep -q '^tables     processes=55 threads=229 fds=773' &&
	echo "$out" | grep -q 'PL_V8=1' && echo "$out" | grep -q '^duration'; then
	echo "PASS capture_cli_info_fields"
else
	echo "FAIL capture_cli_info_fields:"
	echo "$out" | head -12 | sed 's/^/    /'
fi

# corrupt inputs: truncated, wrong magic, patched trailer
head -c 100000 "$C/syscall.scap" >"$tmp/trunc.scap"
{ printf 'XXXX'; tail -c +5 "$C/syscall.scap"; } >"$tmp/magic.scap"
cp "$C/sample_libs.scap" "$tmp/trailer.scap"
# the SHB is 28 bytes; its trailer sits at 24..27
printf '\377' | dd of="$tmp/trailer.scap" bs=1 seek=24 conv=notrunc 2>/dev/null
for f in trunc magic trailer; do
	for cmd in info cat; do
		"$PEREGRINE" capture $cmd "$tmp/$f.scap" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if [ $rc -eq 2 ] && [ ! -s "$tmp/out" ] && grep -q 'offset [0-9]*:' "$tmp/err" &&
			[ "$(wc -l <"$tmp/err")" -eq 1 ]; then
			echo "PASS capture_cli_corrupt_${f}_$cmd"
		else
			echo "FAIL capture_cli_corrupt_${f}_$cmd: status $rc, $(wc -c <"$tmp/out") bytes on stdout, stderr: $(head -2 "$tmp/err")"
		fi
	done
	"$PEREGRINE" capture cat "$tmp/$f.scap" -w "$tmp/copy.scap" 2>/dev/null
	rc=$?
	if [ $rc -eq 2 ] && [ ! -e "$tmp/copy.scap" ]; then
		echo "PASS capture_cli_corrupt_${f}_copy"
	else
		echo "FAIL capture_cli_corrupt_${f}_copy: status $rc or a partial copy left behind"
	fi
done

"$PEREGRINE" capture gen -o "$tmp/g.scap" >/dev/null 2>&1
rc=$?
"$PEREGRINE" capture frob >/dev/null 2>&1
rc2=$?
if [ $rc2 -eq 2 ] && { [ $rc -eq 2 ] || [ $rc -eq 0 ]; }; then
	echo "PASS capture_cli_dispatch"
else
	echo "FAIL capture_cli_dispatch: gen exited $rc, unknown subcommand exited $rc2"
fi

# cat on the engine's workers (--workers): one worker prints exactly what the
# one-thread replay prints; two print the same lines (sorted), long ones
# (> one output slot, 3 KiB) included; a full output queue makes workers
# wait, never drop (the line counts); a bad value is a usage error.
fmt='%evt.num %proc.name %proc.pname %fd.name %evt.args %proc.env'
bad=""
long=0
for f in curl_google single_ipv6_conn sample_libs cat_write syscall; do
	"$PEREGRINE" capture cat "$C/$f.scap" -p "*$fmt" >"$tmp/one" 2>&1
	"$PEREGRINE" capture cat "$C/$f.scap" -p "*$fmt" --workers 1 >"$tmp/w1" 2>&1
	"$PEREGRINE" capture cat "$C/$f.scap" -p "*$fmt" --workers 2 >"$tmp/w2" 2>&1
	"$PEREGRINE" capture cat "$C/$f.scap" 'evt.type=openat or evt.type=open' --workers 2 \
		--partition tgid >"$tmp/c2" 2>&1
	"$PEREGRINE" capture cat "$C/$f.scap" 'evt.type=openat or evt.type=open' >"$tmp/c1" 2>&1
	cmp -s "$tmp/one" "$tmp/w1" || bad="$bad $f:w1"
	[ "$(sort "$tmp/one")" = "$(sort "$tmp/w2")" ] || bad="$bad $f:w2"
	[ "$(sort "$tmp/c1")" = "$(sort "$tmp/c2")" ] || bad="$bad $f:cond"
	[ "$f" != curl_google ] || long=$(awk 'length($0) > 3072' "$tmp/one" | wc -l)
done
if [ -z "$bad" ] && [ "$long" -gt 0 ]; then
	echo "PASS capture_cli_cat_workers ($long lines longer than a slot on curl_google)"
else
	echo "FAIL capture_cli_cat_workers:$bad (long lines: $long)"
fi
"$PEREGRINE" capture cat "$C/syscall.scap" -p '%evt.num' --workers 0 >"$tmp/out" 2>"$tmp/err"
rc=$?
"$PEREGRINE" capture cat "$C/syscall.scap" -p '%evt.num' --partition bogus >>"$tmp/out" 2>>"$tmp/err"
rc2=$?
if [ $rc -eq 2 ] && [ $rc2 -eq 2 ] && [ ! -s "$tmp/out" ] && grep -q -- '--workers' "$tmp/err" &&
	grep -q -- '--partition' "$tmp/err"; then
	echo "PASS capture_cli_cat_workers_bad_options"
else
	echo "FAIL capture_cli_cat_workers_bad_options: status $rc/$rc2"
	sed 's/^/    /' "$tmp/err"
fi
