#!/bin/sh
# fuzz_corpus.sh - every fuzz harness, built with the test build's compiler
# and flags (so under SAN=address an ASan one) against fuzz/driver.c, runs
# once on every input of its corpus, fuzz/corpus/<harness without fuzz_>/.
# Then each libFuzzer build ($FUZZ_BUILD, `make fuzz`: clang, ASan and UBSan
# without recovery) runs once over the same corpus. Fails when a harness did
# not build, its corpus is missing or empty, or an input makes it crash or
# report.
set -u
: "${BUILD:=build}" "${FUZZ_BUILD:=build/fuzz}"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

for src in fuzz/fuzz_*.c; do
	h=$(basename "$src" .c)
	corpus="fuzz/corpus/${h#fuzz_}"
	bin="$BUILD/fuzz_replay/$h"
	if [ ! -x "$bin" ]; then
		fail "corpus_$h" "$bin was not built"
		continue
	fi
	n=$(find "$corpus" -maxdepth 1 -type f 2>/dev/null | wc -l)
	if [ "$n" -eq 0 ]; then
		fail "corpus_$h" "no inputs in $corpus"
		continue
	fi
	if "$bin" "$corpus" >"$t/out" 2>"$t/err"; then
		ran=$(sed -n 's/^\([0-9]*\) inputs$/\1/p' "$t/out")
		[ "$ran" = "$n" ] && pass "corpus_$h ($n inputs)" ||
			fail "corpus_$h" "ran $ran of $n inputs"
	else
		fail "corpus_$h" "exit $?: $(tail -5 "$t/err")"
	fi
	# the libFuzzer build (clang, ASan + UBSan that stops at the first
	# report) over the same inputs: what the test build's flags miss
	lf="$FUZZ_BUILD/$h"
	if [ ! -x "$lf" ]; then
		fail "corpus_ubsan_$h" "$lf was not built (make fuzz)"
		continue
	fi
	if "$lf" -runs=0 -max_len=1048576 -artifact_prefix="$t/" "$corpus" >"$t/out" 2>"$t/err" &&
		grep -q '^Done' "$t/err"; then
		pass "corpus_ubsan_$h"
	else
		fail "corpus_ubsan_$h" "$(grep -m3 -E 'runtime error|ERROR|SUMMARY' "$t/err")"
	fi
done
