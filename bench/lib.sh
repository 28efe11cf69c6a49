# lib.sh - shell helpers shared by bench/run.sh and the bench/section_*.sh
# scripts (sourced, not run).

# stats over numbers on stdin: "min median max"
mmm() {
	sort -g | awk '{a[NR]=$1} END {printf "%s %s %s\n", a[1], a[int((NR+1)/2)], a[NR]}'
}

# seconds a command takes (wall clock); a failing command is timed all the
# same (its output is discarded either way)
wall() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || true
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}'
}

# the number after "KEY": in a one-line JSON object on stdin
jget() { sed -n "s/.*\"$1\":\([-0-9.e+]*\).*/\1/p"; }

# calc EXPR: floating-point arithmetic (awk; bc has no 1e6 notation)
calc() { awk "BEGIN {printf \"%.6g\\n\", $1}"; }
