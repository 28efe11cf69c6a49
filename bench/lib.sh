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

# spin_bin: a busy-loop program ($BUILD/bench/spin2, built on first use)
# that runs the loop once, then on two threads at once, and prints the
# two-thread speed-up (2.00 = two free cores)
spin_bin() {
	local spin="${BUILD:-build}/bench/spin2"
	if [ ! -x "$spin" ]; then
		printf '%s\n' '#include <pthread.h>' '#include <stdio.h>' '#include <time.h>' \
			'static volatile unsigned long sink;' \
			'static void *spin(void *a) { unsigned long x = 0; for (unsigned long i = 0; i < 600000000ul; i++) x += i * i; sink = x; return a; }' \
			'static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }' \
			'int main(void) { pthread_t a, b; double t0 = now(), t1, t2; spin(0); t1 = now();' \
			'pthread_create(&a, 0, spin, 0); pthread_create(&b, 0, spin, 0); pthread_join(a, 0); pthread_join(b, 0); t2 = now();' \
			'printf("%.2f\n", 2 * (t1 - t0) / (t2 - t1)); return 0; }' >"$spin.c"
		cc -O1 -pthread -o "$spin" "$spin.c" || return 1
	fi
	echo "$spin"
}

# cpu_speeds: "cpu0 S, cpu1 S, ..." - seconds of spin_bin pinned to each
# CPU in turn (the same work on each): a vCPU the host is sharing out is
# slower; empty without taskset
cpu_speeds() {
	local spin c t0 out=""
	command -v taskset >/dev/null || return 0
	spin=$(spin_bin) || return 0
	for c in $(seq 0 $(($(nproc) - 1))); do
		t0=$(date +%s%N)
		taskset -c "$c" "$spin" >/dev/null
		out="$out${out:+, }cpu$c $(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN {printf "%.2f", (b - a) / 1e9}') s"
	done
	echo "$out"
}

# speeds_spread "cpu0 S, cpu1 S, ...": slowest over fastest
speeds_spread() {
	tr ',' '\n' <<<"$1" | awk '{v = $2 + 0; if (NR == 1 || v < lo) lo = v; if (v > hi) hi = v}
		END {printf "%.2f\n", (lo > 0) ? hi / lo : 1}'
}
