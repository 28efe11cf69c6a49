#!/bin/sh
# run.sh - run every test program and shell test, count PASS/FAIL/SKIP lines,
# end with "N passed, N failed, N skipped". Exit status 1 when anything failed.
#
# Unit programs: $BUILD/tests/<module>/test_*; shell tests: tests/sh/*.sh
# (they print the same PASS/FAIL/SKIP lines). A program that crashes or
# exits non-zero without printing a FAIL line counts as one failure.
set -u
: "${BUILD:=build}"
: "${FIXTURES:=$(cd "$(dirname "$0")/../.." && pwd)/shared/fixtures}"
export BUILD FIXTURES
PEREGRINE="$(pwd)/$BUILD/peregrine"
export PEREGRINE
log="$BUILD/test.log"
: >"$log"

run_one() {
	name="$1"
	shift
	out="$BUILD/test.out"
	"$@" >"$out" 2>&1
	rc=$?
	cat "$out" >>"$log"
	grep -E '^(PASS|FAIL|SKIP) ' "$out"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
		echo "FAIL $name: exited with status $rc" | tee -a "$log"
		tail -20 "$out" | sed 's/^/    /'
	fi
	grep -q '^FAIL ' "$out" && tail -5 "$out" | grep -v -E '^(PASS|FAIL|SKIP) ' | sed 's/^/    /'
	return 0
}

for t in $(find "$BUILD/tests" -type f -name 'test_*' -perm -u+x 2>/dev/null | sort); do
	run_one "$t" "$t"
done
for t in tests/sh/*.sh; do
	[ -e "$t" ] || continue
	run_one "$t" sh "$t"
done

p=$(grep -c '^PASS ' "$log")
f=$(grep -c '^FAIL ' "$log")
s=$(grep -c '^SKIP ' "$log")
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
