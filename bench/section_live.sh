#!/bin/bash
# section_live.sh - live drops under a syscall storm: the engine attached to
# the eBPF probe with falco_rules.yaml and every handled syscall sent (-A),
# in the reference engine's layout (--partition cpu: a ring per cpu, ONE
# consumer merging them by time) and partitioned (--partition tgid
# --workers 2), while bench/storm offers an increasing rate of syscalls
# (openat/read/close loops and loopback connects). Two hosts: "normal" (the
# engine at the storm's priority, 4 storm processes) and "busy" (8 storm
# processes and the engine at nice 19: the workload saturates the cpus and
# the agent gets what the scheduler leaves it, as on a loaded server). Per
# host, mode and rate: events the probe produced (kernel counters: written +
# dropped), processed by the engine, dropped, drop %. Finds the first rate at
# which the single consumer drops more than 1% and compares the partitioned
# drops there. Writes the plot data to docs/img/live_drops.dat and, with
# gnuplot, docs/img/live_drops.png. Prints markdown. Honours QUICK (fewer
# rates, shorter storms).
set -euo pipefail
: "${BUILD:=build}" "${FIXTURES:=$(cd "$(dirname "$0")/../.." && pwd)/shared/fixtures}"
QUICK=${QUICK:-}
P="$BUILD/peregrine"
S="$BUILD/bench/storm"
RULES="$FIXTURES/rules/falco_rules.yaml"
if [ -n "$QUICK" ]; then
	RATES="100000 0" SECS=1 NRUNS=1
else
	RATES="200000 0" SECS=1 NRUNS=5
fi
HOSTS="normal busy"
declare -A NICE=([normal]=0 [busy]=19) PROCS=([normal]=4 [busy]=8)
DAT=docs/img/live_drops.dat
PNG=docs/img/live_drops.png
mkdir -p docs/img
tmp=$(mktemp -d)
eng_pid=
cleanup() {
	[ -n "$eng_pid" ] && kill "$eng_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
# private copies: a rebuild in the tree during the sweep must not swap binaries
cp "$P" "$tmp/peregrine" && P="$tmp/peregrine"
cp "$S" "$tmp/storm" && S="$tmp/storm"

# stat_line FILE N: the N-th stats line of a log ("last" for the last one)
stat_line() {
	if [ "$2" = last ]; then grep '^{"elapsed_s"' "$1" | tail -1; else
		grep '^{"elapsed_s"' "$1" | sed -n "$2p"; fi
}
# counters "events kernel_events kernel_drops" of a stats line on stdin
# (sed, not a JSON parser: it runs many times per storm)
counters() {
	sed -n 's/^{"elapsed_s":[^,]*,"events":\([0-9]*\),.*"kernel_events":\([0-9]*\),"kernel_drops":\([0-9]*\),.*/\1 \2 \3/p'
}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

# eng_start HOST MODE: the engine live on the probe, ready (sets eng_pid)
eng_start() {
	local args n
	case $2 in
	cpu) args=(--partition cpu) ;;
	tgid) args=(--partition tgid --workers 2) ;;
	esac
	: >"$log"
	nice -n "${NICE[$1]}" "$P" -r "$RULES" -A "${args[@]}" -M 600 --stats-interval 0.2 \
		-o stdout_output.enabled=false 2>"$log" &
	eng_pid=$!
	# live once two stats lines are out: probe attached, /proc scanned
	for _ in $(seq 300); do
		n=$(grep -c '^{"elapsed_s"' "$log" || true)
		[ "$n" -ge 2 ] && break
		kill -0 "$eng_pid" 2>/dev/null || break
		sleep 0.05
	done
	if [ "${n:-0}" -lt 2 ]; then
		echo "section_live: the engine did not start:" >&2
		cat "$log" >&2
		return 1
	fi
}
eng_stop() {
	kill -INT "$eng_pid"
	wait "$eng_pid" || true
	eng_pid=
}
# settled: wait (at most 2 s) until the engine's processed count stops
# moving, so one storm's backlog is not counted in the next
settled() {
	local last=-1 cur
	for _ in $(seq 8); do
		sleep 0.25 # longer than the stats interval: a new line each time
		cur=$(stat_line "$log" last | counters | awk '{print $1}')
		[ "$cur" = "$last" ] && return 0
		last=$cur
	done
}
# one_run HOST RATE (engine running): prints "offered produced processed dropped"
one_run() {
	local a b storm
	b=$(stat_line "$log" last | counters) # settled after the previous storm
	storm=$("$S" --procs "${PROCS[$1]}" --reads 8 --seconds "$SECS" --rate "$2")
	settled
	a=$(stat_line "$log" last | counters)
	# after: events kernel_events kernel_drops; before: the same
	echo "$(echo "$storm" | jget rate) $a $b" | awk '{
		proc = $2 - $5; drop = $4 - $7
		prod = ($3 < 0) ? proc + drop : ($3 - $6) + drop
		printf "%s %d %d %d\n", $1, prod, proc, drop }'
}
# the median of the numbers on stdin (lib.sh's mmm)
med() { mmm | awk '{print $2}'; }

log="$tmp/eng.log"
declare -A OFF PROD PROC DROP PCT PMIN PMAX
for h in $HOSTS; do
	for mode in cpu tgid; do
		echo "section_live: $h host, $mode" >&2
		eng_start "$h" $mode
		settled
		for r in $RATES; do
			k=$h.$mode.$r
			: >"$tmp/cell"
			for _ in $(seq "$NRUNS"); do
				read -r off prod proc drop <<<"$(one_run "$h" "$r")"
				pct=$(awk -v d="$drop" -v p="$prod" 'BEGIN {printf "%.2f", (p > 0) ? 100 * d / p : 0}')
				echo "$off $prod $proc $drop $pct" >>"$tmp/cell"
			done
			OFF[$k]=$(awk '{print $1}' "$tmp/cell" | med)
			PROD[$k]=$(awk '{print $2}' "$tmp/cell" | med)
			PROC[$k]=$(awk '{print $3}' "$tmp/cell" | med)
			DROP[$k]=$(awk '{print $4}' "$tmp/cell" | med)
			read -r PMIN[$k] PCT[$k] PMAX[$k] <<<"$(awk '{print $5}' "$tmp/cell" | mmm)"
		done
		eng_stop
	done
done

{
	echo "# live drops: storm rate vs drop % (bench/section_live.sh, $(date -u +%Y-%m-%dT%H:%MZ))"
	echo "# host mode target_rate offered_rate produced processed dropped drop_pct"
	for h in $HOSTS; do
		for mode in cpu tgid; do
			for r in $RATES; do
				k=$h.$mode.$r
				echo "$h $mode $r ${OFF[$k]} ${PROD[$k]} ${PROC[$k]} ${DROP[$k]} ${PCT[$k]}"
			done
			echo
			echo
		done
	done
} >"$DAT"
plotted=
if command -v gnuplot >/dev/null; then
	gnuplot <<EOF && plotted=1 || true
set terminal pngcairo size 800,480 font "sans,10" noenhanced
set output "$PNG"
set title "Live drops under a syscall storm (falco_rules.yaml, -A, $(nproc) cores shared with the storm)"
set xlabel "offered rate (syscalls/s, measured by storm)"
set ylabel "events dropped (%)"
set key top left
set grid
set yrange [0:*]
plot "$DAT" index 0 using 4:8 smooth unique with linespoints lw 2 pt 7 title "normal host: --partition cpu (1 consumer)", \
     "$DAT" index 1 using 4:8 smooth unique with linespoints lw 2 pt 5 title "normal host: --partition tgid --workers 2", \
     "$DAT" index 2 using 4:8 smooth unique with linespoints lw 2 pt 6 dt 2 title "busy host: --partition cpu (1 consumer)", \
     "$DAT" index 3 using 4:8 smooth unique with linespoints lw 2 pt 4 dt 2 title "busy host: --partition tgid --workers 2"
EOF
fi

echo "## Live drops under a syscall storm (probe + engine, falco_rules.yaml)"
echo
echo "What: \`peregrine -r falco_rules.yaml -A --partition cpu\` (the reference engine's layout:"
echo "a ring per cpu, ONE consumer merging them by time) and \`-A --partition tgid --workers 2\`,"
echo "live, alerts not printed, while \`storm --procs P --reads 8 --seconds $SECS --rate R\` offers"
echo "R syscalls/s (openat, 8 reads of 512 bytes and close of small files, and every 16th round a"
echo "non-blocking connect to its own listener on 127.0.0.1; R = unlimited: as fast as it can);"
echo "\`-A\` sends every syscall the probe handles, so every syscall of the storm but setsockopt"
echo "is an event. Produced = the probe's kernel counters (events written + dropped), processed"
echo "= the engine's stats, both as differences over the storm (other processes on the host"
echo "count too). One engine per host and mode, $NRUNS storms per rate; the cells show"
echo "medians, and the drop % its min / median / max. Two hosts:"
echo
echo "- *normal*: 4 storm processes, the engine at the same priority;"
echo "- *busy*: 8 storm processes and the engine under \`nice -n 19\`: the workload saturates"
echo "  both cores and the agent runs on what the scheduler leaves it, as on a loaded server."
echo "  One consumer thread gets one thread's share; two workers get two (and both cores)."
echo
echo "The machine has $(nproc) cores: the storm, the engine's workers and the kernel side of"
echo "the probe all share them, so \"offered\" is what the storm achieved next to the engine,"
echo "not a free-running rate."
echo
echo "| host | mode | target rate | offered (storm) | produced | processed | dropped | drop % min / median / max |"
echo "|---|---|---|---|---|---|---|---|"
for h in $HOSTS; do
	for mode in cpu tgid; do
		for r in $RATES; do
			k=$h.$mode.$r
			printf "| %s | %s | %s | %s | %s | %s | %s | %s / %s / %s |\n" "$h" "$mode" \
				"${r/#0/unlimited}" "${OFF[$k]}" "${PROD[$k]}" "${PROC[$k]}" "${DROP[$k]}" \
				"${PMIN[$k]}" "${PCT[$k]}" "${PMAX[$k]}"
		done
	done
done
echo
for h in $HOSTS; do
	first=
	for r in $RATES; do
		if awk -v p="${PCT[$h.cpu.$r]}" 'BEGIN {exit !(p > 1)}'; then
			first=$r
			break
		fi
	done
	if [ -z "$first" ]; then
		echo "- *$h* host: the single consumer never dropped more than 1%: the storm could not"
		echo "  offer more than one consumer processes here."
		continue
	fi
	dc=${DROP[$h.cpu.$first]} dt=${DROP[$h.tgid.$first]}
	if [ "$dt" -gt 0 ]; then
		x="$(awk -v a="$dc" -v b="$dt" 'BEGIN {printf "%.1fx", a / b}') fewer"
	else
		x="none dropped"
	fi
	ok=$(awk -v a="$dc" -v b="$dt" 'BEGIN {print (a >= 10 * b) ? "met" : "**missed**"}')
	echo "- *$h* host: the single consumer first drops more than 1% at **${first/#0/unlimited}**"
	echo "  syscalls/s (${PCT[$h.cpu.$first]}%, $dc events); there the partitioned engine drops"
	echo "  ${PCT[$h.tgid.$first]}% ($dt events): **$x** (target >= 10x fewer: $ok)."
done
echo
echo "Which side of 1% a rate falls on moves from run to run on a shared machine (see the"
echo "min / max). At exit both modes detach the probe and drain their rings."
echo
if [ -n "$plotted" ]; then
	echo "![drop % vs offered rate]($(basename "$(dirname "$PNG")")/$(basename "$PNG"))"
	echo
fi
echo "Plot data: \`$DAT\` (gnuplot indexes 0-3 = normal cpu, normal tgid, busy cpu, busy tgid;"
echo "columns: host, mode, target, offered, produced, processed, dropped, drop %)."
echo
