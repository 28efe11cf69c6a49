#!/bin/bash
# plots.sh - the PNG plots of docs/BENCHMARKS.md (docs/img/*.png), drawn with
# gnuplot from what the sections left in $BUILD/bench/ in the same run:
# replay events/s vs workers (parsed from section_replay.sh's markdown
# table), ns/event by stage
# (stages.dat) and the scaling model (model.dat); drop % vs offered syscall
# rate (--partition cpu vs tgid) is drawn by bench/section_live.sh itself and
# only embedded here again. Prints the markdown that embeds them; a plot
# whose data is missing becomes a TODO line instead.
set -euo pipefail
: "${BUILD:=build}"
B="$BUILD/bench"
IMG=docs/img
mkdir -p "$IMG"
command -v gnuplot >/dev/null || {
	echo "## Plots"
	echo
	echo "TODO: gnuplot is not installed (scripts/setup.sh lists gnuplot-nox); no plots in this run."
	echo
	exit 0
}
TERM_PNG="set terminal pngcairo size 900,540 font 'Sans,11'"

echo "## Plots"
echo

# ---- replay: events/s vs workers, from the replay section's table ----
if [ -s "$B/section_replay.md" ]; then
	# rows "| skew | tgid, W worker(s) | evps |" and "| skew | cpu (...) | evps |"
	# (the events/s cell is "min / **median** / max": the median is plotted)
	awk -F'|' '
		function med(x) { return match(x, /\*\*[0-9]+\*\*/) ? substr(x, RSTART + 2, RLENGTH - 4) + 0 : x + 0 }
		/worker\(s\)/ { s = $2 + 0; split($3, a, ","); p = a[1]; gsub(/ /, "", p)
			w = a[2] + 0; v[s "," p "," w] = med($4); ws[w] = 1 }
		/\| *cpu/ { cpu[$2 + 0] = med($4) }
		END {
			print "# workers tgid_skew0 tid_skew0 tgid_skew4 tid_skew4 cpu_skew0 cpu_skew4"
			for (w = 1; w <= 128; w++) if (w in ws)
				printf "%d %s %s %s %s %s %s\n", w, v["0,tgid," w], v["0,tid," w],
					v["4,tgid," w], v["4,tid," w], cpu[0], cpu[4]
		}' "$B/section_replay.md" >"$B/replay.dat"
	gnuplot <<-EOF
		$TERM_PNG
		set output '$IMG/replay.png'
		set title 'Replay throughput with falco\_rules.yaml (generated capture, $(nproc) cores)'
		set xlabel 'workers'
		set ylabel 'million events/s'
		set xtics 1
		set xrange [0.8:2.2]
		set yrange [0:*]
		set key below
		set grid
		plot '$B/replay.dat' u 1:(\$2/1e6) w lp lw 2 pt 7 t 'tgid, skew 0', \
		     '' u 1:(\$3/1e6) w lp lw 2 pt 5 t 'tid, skew 0', \
		     '' u 1:(\$4/1e6) w lp lw 2 pt 9 t 'tgid, skew 4', \
		     '' u 1:(\$5/1e6) w lp lw 2 pt 11 t 'tid, skew 4', \
		     '' u 1:(\$6/1e6) w l lw 2 dt 2 t 'cpu layout (1 consumer), skew 0', \
		     '' u 1:(\$7/1e6) w l lw 2 dt 3 t 'cpu layout (1 consumer), skew 4'
	EOF
	echo "Replay events/s vs workers (from the replay section's table; the cpu layout has one"
	echo "consumer whatever the worker count, drawn as a flat line):"
	echo
	echo "![replay events/s vs workers](img/replay.png)"
	echo
else
	echo "TODO: no replay figures in this run (bench/section_replay.sh printed no table)."
	echo
fi

# ---- live: drop % vs offered rate, cpu vs tgid: drawn by the live section ----
if [ -s "$IMG/live_drops.png" ] && { [ ! -e "$B/.run_start" ] || [ "$IMG/live_drops.png" -nt "$B/.run_start" ]; }; then
	echo "Live mode, drop % vs offered syscall rate, \`--partition cpu\` (one consumer) vs"
	echo "\`tgid\` (drawn by bench/section_live.sh from \`$IMG/live_drops.dat\`):"
	echo
	echo "![live drop % vs offered rate](img/live_drops.png)"
	echo
else
	echo "TODO: drop % vs offered syscall rate for \`--partition cpu\` vs \`tgid\`: the live"
	echo "section (bench/section_live.sh) drew no \`$IMG/live_drops.png\` in this run (it needs"
	echo "the eBPF probe: root and a BTF kernel)."
	echo
fi

# ---- ns/event by stage ----
if [ -s "$B/stages.dat" ]; then
	gnuplot <<-EOF
		$TERM_PNG
		set output '$IMG/stages.png'
		set title "Worker cost per event by stage (one core; bars: median ns, labels: instructions)"
		set ylabel 'ns per event'
		set style fill solid 0.6 border -1
		set boxwidth 0.6
		set yrange [0:*]
		set grid ytics
		unset key
		plot '$B/stages.dat' u 0:2:xtic(1) w boxes lc rgb '#4477aa', \
		     '' u 0:2:3:4 w yerrorbars lc rgb 'black' pt 0, \
		     '' u 0:(\$2):(sprintf('%.0f instr', \$5)) w labels offset 0,1.2
	EOF
	echo "ns per event by stage (medians, whiskers min-max; labels: callgrind instructions per event):"
	echo
	echo "![ns per event by stage](img/stages.png)"
	echo
fi

# ---- the scaling model ----
if [ -s "$B/model.dat" ]; then
	hdr=$(sed -n '1s/^# *//p' "$B/model.dat")
	ncol=$(echo "$hdr" | wc -w)
	plot=""
	for c in $(seq 2 "$ncol"); do
		t=$(echo "$hdr" | awk -v c="$c" '{print $c}')
		case $t in replay_*) continue ;; esac
		plot="$plot${plot:+, }'$B/model.dat' u 1:(\$$c/1e6) w lp lw 2 t '${t//_/, }'"
	done
	gnuplot <<-EOF
		$TERM_PNG
		set output '$IMG/model.png'
		set title 'Model: events/s vs workers (docs/SCALING.md)'
		set xlabel 'workers'
		set ylabel 'million events/s'
		set logscale xy
		set xtics (1, 2, 4, 16, 64, 128)
		set xrange [0.8:160]
		set key below
		set grid
		plot $plot, 0.32 w l lw 2 dt 2 lc rgb 'black' t 'reference engine (1 thread)'
	EOF
	echo "Scaling model (computed, not measured; log-log):"
	echo
	echo "![model: events/s vs workers](img/model.png)"
	echo
fi
