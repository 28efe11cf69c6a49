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
