#!/bin/sh
# capture_roundtrip.sh - copy each shared capture with `peregrine capture cat
# -w` and check that Debian's sysdig (0.29.3, libs of 2022) prints exactly the
# same events for the copy as for the original: number, raw time, cpu, tid,
# direction, type. One gzip copy too. Prints PASS/FAIL/SKIP lines.
set -u
: "${PEREGRINE:=build/peregrine}"
: "${FIXTURES:=../shared/fixtures}"
FMT='*%evt.num %evt.rawtime %evt.cpu %thread.tid %evt.dir %evt.type'

if ! command -v sysdig >/dev/null 2>&1; then
	echo "SKIP capture_roundtrip: sysdig is not installed (apt-get install sysdig)"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

check() { # name orig copy
	sysdig -r "$2" -p "$FMT" >"$tmp/a" 2>"$tmp/a.err"
	sysdig -r "$3" -p "$FMT" >"$tmp/b" 2>"$tmp/b.err"
	na=$(sysdig -v -r "$2" -p '%evt.num' 2>&1 | sed -n 's/.*Captured Events: \([0-9]*\).*/\1/p')
	nb=$(sysdig -v -r "$3" -p '%evt.num' 2>&1 | sed -n 's/.*Captured Events: \([0-9]*\).*/\1/p')
	if [ ! -s "$tmp/a" ]; then
		echo "FAIL $1: sysdig printed nothing for the original: $(head -1 "$tmp/a.err")"
	elif [ -z "$na" ] || [ "$na" != "$nb" ]; then
		echo "FAIL $1: sysdig counts '$na' events in the original, '$nb' in the copy"
	elif cmp -s "$tmp/a" "$tmp/b"; then
		echo "PASS $1 ($na events read by sysdig, $(wc -l <"$tmp/a") shown)"
	else
		echo "FAIL $1: sysdig output differs between original and copy:"
		diff "$tmp/a" "$tmp/b" | head -5 | sed 's/^/    /'
		head -2 "$tmp/b.err" | sed 's/^/    /'
	fi
}

for f in curl_google single_ipv6_conn sample_libs cat_write syscall; do
	orig="$FIXTURES/captures/$f.scap"
	if ! "$PEREGRINE" capture cat "$orig" -w "$tmp/copy.scap" 2>"$tmp/err"; then
		echo "FAIL capture_roundtrip_$f: capture cat -w failed: $(cat "$tmp/err")"
		continue
	fi
	check "capture_roundtrip_$f" "$orig" "$tmp/copy.scap"
done

for f in single_ipv6_conn cat_write; do
	orig="$FIXTURES/captures/$f.scap"
	if ! "$PEREGRINE" capture cat "$orig" -w "$tmp/copy.scap.gz" --gzip 2>"$tmp/err"; then
		echo "FAIL capture_roundtrip_gzip_$f: capture cat -w --gzip failed: $(cat "$tmp/err")"
		continue
	fi
	if [ "$(head -c 2 "$tmp/copy.scap.gz" | od -An -tx1 | tr -d ' ')" != "1f8b" ]; then
		echo "FAIL capture_roundtrip_gzip_$f: the copy is not gzip-compressed"
		continue
	fi
	check "capture_roundtrip_gzip_$f" "$orig" "$tmp/copy.scap.gz"
done
