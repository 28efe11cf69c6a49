#!/bin/bash
# section_live.sh - live drops under a syscall storm: the engine attached to
# the eBPF probe with falco_rules.yaml and every handled syscall sent (-A),
# in the reference engine's layout (--partition cpu: a ring per cpu, ONE
# consumer merging them by time) and partitioned (--partition tgid
# --workers 2), while bench/storm offers a rate of syscalls (openat/read/
# close loops and loopback connects). Three hosts: "normal" (the engine at
# the storm's priority, 4 storm processes), "busy" (8 storm processes and the
# engine at nice 19: it runs on the cpu time the workload leaves) and
# "capped" (8 storm processes, every engine thread in a cgroup of its own
# capped at 5% of a core: the storm-to-consumer cpu ratio of a ~40-core host
# where each consumer has one core; the same cap in both modes; storms of
# 3 s, SECS_CAPPED, where the others last SECS = 1 s). Per host,
# mode and rate: events the probe produced (kernel counters: written +
# dropped), processed by the engine, dropped, drop %, the storm's cpu time per
# syscall and the engine's per event. Finds the first rate at which the
# single consumer drops more than 1% and compares the partitioned drops
# there. Writes the plot data to docs/img/live_drops.dat and, with gnuplot,
# docs/img/live_drops.png. Prints markdown. Honours QUICK (fewer rates, one
# storm per rate). HOSTS and MODES (cpu tgid) pick a part of the sweep.
set -euo pipefail
: "${BUILD:=build}" "${FIXTURES:=$(cd "$(dirname "$0")/../.." && pwd)/shared/fixtures}"
QUICK=${QUICK:-}
P="$BUILD/peregrine"
S="$BUILD/bench/storm"
RULES="$FIXTURES/rules/falco_rules.yaml"
# Rates (syscalls/s, 0 = as fast as the storm can) per host. Normal never
# drops: its maximum (0) is enough. For busy and capped ("search") the
# crossover depends on the machine (0.4-0.5M/s on one VM, over 1M/s on a
# faster one), so the single consumer is first walked up LADDER, one storm
# per rung, to the first rung where it drops more than 1% (confirmed by the
# median of NRUNS storms there); both modes are then measured at that rung,
# the rung below it and unlimited.
LADDER="250000 350000 500000 700000 1000000 1400000 2000000 2800000 4000000"
if [ -n "$QUICK" ]; then D_NRUNS=1; else D_NRUNS=5; fi
# the environment may override these (a list of rates instead of "search")
: "${RATES_NORMAL:=0}" "${RATES_BUSY:=search}" "${RATES_CAPPED:=search}"
: "${SECS:=1}" "${NRUNS:=$D_NRUNS}" "${HOSTS:=normal busy capped}" "${MODES:=cpu tgid}"
# The capped host's storms last longer: its consumers are slow by design,
# and at ~800k events/s the 8 MiB rings hold a 1 s storm's whole backlog,
# which a consumer then drains after the storm, dropping nothing whatever
# its speed; over 3 s a consumer that cannot keep up must drop.
: "${SECS_CAPPED:=3}"
: "${CAP_US:=5000}" "${CAP_PERIOD:=100000}"
declare -A NICE=([normal]=0 [busy]=19 [capped]=0) PROCS=([normal]=4 [busy]=8 [capped]=8)
declare -A RATES=([normal]=$RATES_NORMAL [busy]=$RATES_BUSY [capped]=$RATES_CAPPED)
declare -A LADDER_RUN=()
declare -A CAP=([normal]="" [busy]="" [capped]=$CAP_US)
declare -A HSECS=([normal]=$SECS [busy]=$SECS [capped]=$SECS_CAPPED)
CG=/sys/fs/cgroup/cpu/peregrine-live.$$
DAT=docs/img/live_drops.dat
PNG=docs/img/live_drops.png
mkdir -p docs/img
tmp=$(mktemp -d)
eng_pid=
cleanup() {
	[ -n "$eng_pid" ] && kill "$eng_pid" 2>/dev/null && wait "$eng_pid" 2>/dev/null || true
	uncap
	rm -rf "$tmp"
}
trap cleanup EXIT
# private copies: a rebuild in the tree during the sweep must not swap binaries
cp "$P" "$tmp/peregrine"
cp "$S" "$tmp/storm"
P="$tmp/peregrine" S="$tmp/storm"

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
	uncap
}
# cap US: every thread of the engine in a cpu cgroup of its own limited to
# US of each CAP_PERIOD (cgroup v1 cfs quota): one core per consumer, scaled
cap() {
	local t
	mkdir -p "$CG"
	for t in /proc/"$eng_pid"/task/*; do
		t=${t##*/}
		mkdir "$CG/tid-$t"
		echo "$CAP_PERIOD" >"$CG/tid-$t/cpu.cfs_period_us"
		echo "$1" >"$CG/tid-$t/cpu.cfs_quota_us"
		echo "$t" >"$CG/tid-$t/tasks"
	done
}
# uncap: remove the groups (their threads have exited)
uncap() {
	[ -d "$CG" ] || return 0
	rmdir "$CG"/tid-* 2>/dev/null || true
	rmdir "$CG" 2>/dev/null || true
}
# settled: wait (at most 2 s) until the engine's processed count all but
# stops moving, so one storm's backlog is not counted in the next. "All but":
# with -A the host's other syscalls (this loop's own sleep, grep and sed
# among them) are events too, so the count never stands still; a backlog
# drains at 100k+ events/s, far above the 2000 per step allowed here.
settled() {
	local last=-100000 cur
	for _ in $(seq 8); do
		sleep 0.25 # longer than the stats interval: a new line each time
		cur=$(stat_line "$log" last | counters | awk '{print $1}')
		[ $((cur - last)) -lt 2000 ] && return 0
		last=$cur
	done
}
# eng_cpu: the engine's cpu time so far, ns, all threads (schedstat)
eng_cpu() {
	cat /proc/"$eng_pid"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'
}
# one_run HOST RATE (engine running): prints "offered produced processed
# dropped storm_ns_per_syscall engine_ns_per_event"
one_run() {
	local a b c0 c1 storm
	b=$(stat_line "$log" last | counters) # settled after the previous storm
	c0=$(eng_cpu)
	storm=$("$S" --procs "${PROCS[$1]}" --reads 8 --seconds "${HSECS[$1]}" --rate "$2")
	[ -n "$storm" ] || { echo "section_live: storm failed" >&2; return 1; }
	settled
	a=$(stat_line "$log" last | counters)
	c1=$(eng_cpu)
	# after: events kernel_events kernel_drops; before: the same
	echo "$(echo "$storm" | jget rate) $a $b $(echo "$storm" | jget ns_per_syscall) $c0 $c1" | awk '{
		proc = $2 - $5; drop = $4 - $7
		prod = ($3 < 0) ? proc + drop : ($3 - $6) + drop
		printf "%s %d %d %d %.0f %.0f\n", $1, prod, proc, drop, $8,
			(proc > 0) ? ($10 - $9) / proc : 0 }'
}
# run_pct HOST RATE: "offered drop%" of one storm
run_pct() {
	local off prod proc drop
	read -r off prod proc drop _ _ <<<"$(one_run "$1" "$2")"
	[ -n "$drop" ] || return 1
	awk -v o="$off" -v d="$drop" -v p="$prod" 'BEGIN {printf "%s %.2f\n", o, (p > 0) ? 100 * d / p : 0}'
}
# search HOST (the single consumer running): walk LADDER, one storm per
# rung, until the consumer drops more than 1% or the storm cannot offer the
# rung. A rung over 1% is confirmed by NRUNS-1 more storms: it is taken only
# if the median of all NRUNS is over 1% too (one storm can drop for a
# reason of the moment: the cells are medians, and the crossover must be one
# by the medians as well); otherwise the walk goes on. Sets RATES[HOST] to
# the rung below, that rung, and unlimited, and LADDER_RUN[HOST] to what the
# walk saw ("rate:drop%" per rung, "rate:a/b/c..." for a confirmed one).
search() {
	local r lo= hi= off pct pcts m
	for r in $LADDER; do
		read -r off pct <<<"$(run_pct "$1" "$r")"
		[ -n "$pct" ] || exit 1
		echo "section_live: $1 host, search: $r/s offered $off, dropped $pct%" >&2
		# the storm's own ceiling: past it a rung is "unlimited"
		if awk -v o="$off" -v r="$r" 'BEGIN {exit !(o < 0.85 * r)}'; then
			LADDER_RUN[$1]+="${LADDER_RUN[$1]:+ }$r:$pct"
			break
		fi
		if awk -v p="$pct" 'BEGIN {exit !(p > 1)}'; then
			pcts=$pct
			for _ in $(seq 2 "$NRUNS"); do
				read -r _ m <<<"$(run_pct "$1" "$r")"
				[ -n "$m" ] || exit 1
				pcts+=" $m"
			done
			m=$(tr ' ' '\n' <<<"$pcts" | med)
			echo "section_live: $1 host, search: $r/s confirmed by $NRUNS storms: $pcts (median $m%)" >&2
			LADDER_RUN[$1]+="${LADDER_RUN[$1]:+ }$r:${pcts// //}"
			if awk -v p="$m" 'BEGIN {exit !(p > 1)}'; then hi=$r; break; fi
		else
			LADDER_RUN[$1]+="${LADDER_RUN[$1]:+ }$r:$pct"
		fi
		lo=$r
	done
	RATES[$1]="$lo${lo:+ }$hi${hi:+ }0"
}
# the median of the numbers on stdin (lib.sh's mmm)
med() { mmm | awk '{print $2}'; }

# the capped host needs cgroup v1's cpu controller, writable (root)
nocap=
if [[ " $HOSTS " = *" capped "* ]] && ! mkdir -p "$CG" 2>/dev/null; then
	nocap=1
	HOSTS=$(echo " $HOSTS " | sed 's/ capped / /; s/^ //; s/ $//')
fi

log="$tmp/eng.log"
declare -A OFF PROD PROC DROP PCT PMIN PMAX SNS ENS
for h in $HOSTS; do
	for mode in $MODES; do
		echo "section_live: $h host, $mode" >&2
		eng_start "$h" $mode
		[ -n "${CAP[$h]}" ] && cap "${CAP[$h]}"
		settled
		[ "${RATES[$h]}" = search ] && search "$h"
		for r in ${RATES[$h]}; do
			k=$h.$mode.$r
			: >"$tmp/cell"
			for _ in $(seq "$NRUNS"); do
				read -r off prod proc drop sns ens <<<"$(one_run "$h" "$r")"
				[ -n "$ens" ] || exit 1
				pct=$(awk -v d="$drop" -v p="$prod" 'BEGIN {printf "%.2f", (p > 0) ? 100 * d / p : 0}')
				echo "$off $prod $proc $drop $pct $sns $ens" >>"$tmp/cell"
			done
			OFF[$k]=$(awk '{print $1}' "$tmp/cell" | med)
			PROD[$k]=$(awk '{print $2}' "$tmp/cell" | med)
			PROC[$k]=$(awk '{print $3}' "$tmp/cell" | med)
			DROP[$k]=$(awk '{print $4}' "$tmp/cell" | med)
			read -r PMIN[$k] PCT[$k] PMAX[$k] <<<"$(awk '{print $5}' "$tmp/cell" | mmm)"
			SNS[$k]=$(awk '{print $6}' "$tmp/cell" | med)
			ENS[$k]=$(awk '{print $7}' "$tmp/cell" | med)
			cat "$tmp/cell" >>"$tmp/all"
		done
		eng_stop
	done
done

{
	echo "# live drops: storm rate vs drop % (bench/section_live.sh, $(date -u +%Y-%m-%dT%H:%MZ))"
	echo "# host mode target_rate offered_rate produced processed dropped drop_pct" \
		"storm_ns_per_syscall engine_ns_per_event"
	for h in $HOSTS; do
		for mode in $MODES; do
			for r in ${RATES[$h]}; do
				k=$h.$mode.$r
				echo "$h $mode $r ${OFF[$k]} ${PROD[$k]} ${PROC[$k]} ${DROP[$k]} ${PCT[$k]}" \
					"${SNS[$k]} ${ENS[$k]}"
			done
			echo
			echo
		done
	done
} >"$DAT"
# one gnuplot line per host and mode, in the .dat's index order
declare -A PT=([normal]="7 5" [busy]="6 4" [capped]="9 11") DT=([normal]=1 [busy]=2 [capped]=3)
plots= idx=0
for h in $HOSTS; do
	read -r pc pg <<<"${PT[$h]}"
	plots+="${plots:+, }\"$DAT\" index $idx using 4:8 smooth unique with linespoints lw 2 pt $pc dt ${DT[$h]} title \"$h host: --partition cpu (1 consumer)\""
	plots+=", \"$DAT\" index $((idx + 1)) using 4:8 smooth unique with linespoints lw 2 pt $pg dt ${DT[$h]} title \"$h host: --partition tgid --workers 2\""
	idx=$((idx + 2))
done
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
plot $plots
EOF
fi
# medians over every storm of the section: the storm's cpu per syscall, the
# engine's per event
sns_all=$(awk '{print $6}' "$tmp/all" | med)
ens_all=$(awk '{print $7}' "$tmp/all" | med)
cap_pct=$(awk -v q="$CAP_US" -v p="$CAP_PERIOD" 'BEGIN {printf "%g", 100 * q / p}')
cap_host=$(awk -v q="$CAP_US" -v p="$CAP_PERIOD" -v n="$(nproc)" 'BEGIN {printf "%.0f", n * p / q}')

echo "## Live drops under a syscall storm (probe + engine, falco_rules.yaml)"
echo
echo "What: \`peregrine -r falco_rules.yaml -A --partition cpu\` (the reference engine's layout:"
echo "a ring per cpu, ONE consumer merging them by time) and \`-A --partition tgid --workers 2\`,"
echo "live, alerts not printed, while \`storm --procs P --reads 8 --seconds S --rate R\` offers"
echo "R syscalls/s (openat, 8 reads of 512 bytes and close of small files, and every 16th round a"
echo "non-blocking connect to its own listener on 127.0.0.1; R = unlimited: as fast as it can);"
echo "\`-A\` sends every syscall the probe handles, so every syscall of the storm but setsockopt"
echo "is an event. Produced = the probe's kernel counters (events written + dropped), processed"
echo "= the engine's stats, both as differences over the storm (other processes on the host"
echo "count too). One engine per host and mode, $NRUNS storm(s) per rate; the cells show"
echo "medians, and the drop % its min / median / max. CPU per syscall = the storm's own cpu"
echo "time (user + system, the probe's programs included) per syscall; CPU per event = the"
echo "engine's cpu time (all threads) over the storm and its drain, per event processed."
echo
max_off=$(for k in "${!OFF[@]}"; do echo "${OFF[$k]}"; done | sort -g | tail -1)
need=$(awk -v r="$max_off" -v e="$ens_all" 'BEGIN {printf "%.0f", 100 * r * e / 1e9}')
echo "Why three hosts. One consumer can only fall behind if it needs more cpu than it gets."
echo "On this $(nproc)-core machine the storm burns **$(awk -v n="$sns_all" 'BEGIN {printf "%.1f", n / 1000}') us** of cpu per syscall and the engine"
echo "**$ens_all ns** per event (medians over every storm below): the fastest storm of the run"
echo "($max_off syscalls/s) needs about **$need%** of one core to process, so a workload that"
echo "shares these $(nproc) cores cannot reach the one-core ceiling of the single consumer,"
echo "which is what the partitioned layout lifts. The hosts:"
echo
echo "- *normal*: 4 storm processes, the engine at the same priority (one rate: unlimited,"
echo "  the most the storm can offer), storms of S = $SECS s."
echo "- *busy*: 8 storm processes and the engine under \`nice -n 19\`: it runs on the cpu time"
echo "  the workload leaves idle. Both modes need the same idle time, so both can be expected"
echo "  to start dropping where the cpus saturate, and past it a nice-19 thread's share"
echo "  (15/1024 of a nice-0 one) is small for one consumer or two: this host shows what"
echo "  starving the agent does more than what the number of consumers does. S = $SECS s."
echo "- *capped* (modelled): 8 storm processes, the engine at the same priority, and every"
echo "  engine thread in a cpu cgroup of its own capped at ${cap_pct}% of a core (cgroup v1"
echo "  \`cpu.cfs_quota_us\` = $CAP_US of \`cpu.cfs_period_us\` = $CAP_PERIOD), the same cap per"
echo "  thread in both modes. The storm gets $(nproc) cores and each consumer ${cap_pct}% of one: the"
echo "  ratio of a ${cap_host}-core host where each consumer has a core of its own, the case the"
echo "  partitioned layout is for. The cap does not favour a mode: the single consumer gets"
echo "  the cpu of one thread, the two workers that of two, as on such a host; how far two"
echo "  workers get from 2x is theirs to show (one tgid's events all go to one worker)."
echo "  Storms of S = $SECS_CAPPED s: the rings (8 MiB each) hold a 1 s storm's whole backlog,"
echo "  which even a consumer that cannot keep up drains afterwards; a longer storm shows"
echo "  whether it keeps up."
echo
if [ -n "$nocap" ]; then
	echo "**The capped host was skipped in this run**: \`$CG\` could not be made (it needs"
	echo "cgroup v1's cpu controller mounted at /sys/fs/cgroup/cpu and root)."
	echo
fi
echo "\"Offered\" is what the storm achieved next to the engine, not a free-running rate."
echo
for h in $HOSTS; do
	[ -n "${LADDER_RUN[$h]:-}" ] || continue
	echo "*$h* host, rates chosen by a search: the single consumer, one storm per rate"
	echo "($NRUNS at a rate whose first storm dropped over 1%, taken if their median is too), drop %"
	echo "${LADDER_RUN[$h]}" | tr ' ' '\n' |
		awk -F: '{printf "%s%s/s %s%%", (NR > 1) ? ", " : "", $1, $2} END {print ";"}'
	echo "measured below at the last rate under 1%, the first over it, and unlimited."
	echo
done
echo "| host | mode | target rate | offered (storm) | produced | processed | dropped | drop % min / median / max | storm cpu/syscall (ns) | engine cpu/event (ns) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for h in $HOSTS; do
	for mode in $MODES; do
		for r in ${RATES[$h]}; do
			k=$h.$mode.$r
			printf "| %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s | %s |\n" "$h" "$mode" \
				"${r/#0/unlimited}" "${OFF[$k]}" "${PROD[$k]}" "${PROC[$k]}" "${DROP[$k]}" \
				"${PMIN[$k]}" "${PCT[$k]}" "${PMAX[$k]}" "${SNS[$k]}" "${ENS[$k]}"
		done
	done
done
echo
echo "Target (issue 6): at the first rate where the single consumer drops more than 1% (medians),"
echo "the partitioned engine drops at least 10x fewer events:"
echo
for h in $HOSTS; do
	first=
	for r in ${RATES[$h]}; do
		if awk -v p="${PCT[$h.cpu.$r]}" 'BEGIN {exit !(p > 1)}'; then
			first=$r
			break
		fi
	done
	if [ -z "$first" ]; then
		echo "- *$h* host: the single consumer never dropped more than 1%, up to the storm's"
		echo "  maximum; no crossover to compare at."
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
echo "Plot data: \`$DAT\` (gnuplot indexes, in pairs cpu then tgid: $HOSTS;"
echo "columns: host, mode, target, offered, produced, processed, dropped, drop %, storm cpu ns"
echo "per syscall, engine cpu ns per event)."
echo
