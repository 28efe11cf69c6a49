#!/bin/bash
# section_probe.sh - what the eBPF probe adds to a system call, measured with
# bench/storm (one process, pinned to cpu 1) with no probe, with the probe
# sending every handled syscall, and with only the set falco_rules.yaml needs
# (bench/probe_only, pinned to cpu 0: counting consumers, no engine), and
# with an empty program in the probe's place (bench/tp_floor): the floor
# that any program on this tracepoint costs, whatever it does (and with
# the clock read every event makes: the host's clocksource's cost), and,
# where the kernel allows them, the same empty program at two other attach
# points that run it only on the io loop's syscalls: the per-syscall
# tracepoints syscalls:sys_exit_<name> (systp) and fexit programs on the
# syscall functions (fexit).
# Two loads: openat+read+close loops (traced syscalls) and getppid loops (a
# syscall the probe has no handler for: untraced). The figure is the storm's
# CPU time per syscall (user + system, where the probe runs), which, unlike
# its wall-clock rate, does not change when other programs take the CPU.
# Prints markdown. Honours QUICK (fewer, shorter runs).
set -euo pipefail
: "${BUILD:=build}" "${FIXTURES:=$(cd "$(dirname "$0")/../.." && pwd)/shared/fixtures}"
QUICK=${QUICK:-}
S="$BUILD/bench/storm"
PO="$BUILD/bench/probe_only"
FL="$BUILD/bench/tp_floor"
RULES="$FIXTURES/rules/falco_rules.yaml"
if [ -n "$QUICK" ]; then
	NRUNS=2 SECS=0.7
else
	NRUNS=5 SECS=2
fi
tmp=$(mktemp -d)
po_pid=
cleanup() {
	[ -n "$po_pid" ] && kill "$po_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
# private copies: a rebuild in the tree during the runs must not swap binaries
cp "$PO" "$tmp/probe_only" && PO="$tmp/probe_only"
cp "$S" "$tmp/storm" && S="$tmp/storm"
cp "$FL" "$tmp/tp_floor" && FL="$tmp/tp_floor"

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
# lib.sh's jget, also for quoted values ("select":"all")
jget() { sed -n "s/.*\"$1\":\"\{0,1\}\([-0-9.e+a-z]*\).*/\1/p"; }
# the cpu list for taskset: cpu N on a machine that has it, else any
cpus() { if [ "$(nproc)" -gt "$1" ]; then echo "$1"; else echo "0-$(($(nproc) - 1))"; fi; }

# Any other program on sys_exit (another tracer on the host) runs on the
# storm's syscalls too and moves both columns: count the runs it overlaps.
foreign=0
sys_exit_progs() { bpftool prog show 2>/dev/null | grep -c 'name sys_exit' || true; }

alt_progs() { bpftool prog show 2>/dev/null | grep -cE 'name (fexit|systp)_floor' || true; }

# Attach points that call the program only on the syscalls attached:
# measured (modes systp, fexit) where the kernel lets tp_floor attach them;
# else the page says what the kernel answered (ALT_ERR).
MODES="none floor clock"
declare -A ALT_ERR=()
for alt in systp fexit; do
	opt=$([ $alt = fexit ] && echo --fexit || echo --syscall-tp)
	if "$FL" "$opt" --seconds 0.1 2>"$tmp/alt.err"; then
		MODES="$MODES $alt"
	else
		ALT_ERR[$alt]=$(grep -v '^ready' "$tmp/alt.err" | head -1)
		ALT_ERR[$alt]=${ALT_ERR[$alt]#tp_floor: }
	fi
done
MODES="$MODES all rules all-sc rules-sc"
for _ in $(seq 40); do # the kernel frees the checks' programs a moment later
	[ "$(alt_progs)" -eq 0 ] && break
	sleep 0.05
done

# probe_start MODE: probe_only attached (all | rules; all-sc | rules-sc: the
# same with the syscall hook), or the empty program (floor, clock: on
# sys_exit; systp, fexit), returns once ready
probe_start() {
	local sel=(--select "${1%-sc}")
	[ "${1%-sc}" = rules ] && sel+=(-r "$RULES")
	[ "${1%-sc}" != "$1" ] && sel+=(--hook syscall)
	if [ "$1" = floor ] || [ "$1" = clock ] || [ "$1" = fexit ] || [ "$1" = systp ]; then
		"$FL" --seconds 120 $([ "$1" = clock ] && echo --clock) \
			$([ "$1" = fexit ] && echo --fexit) $([ "$1" = systp ] && echo --syscall-tp) \
			>"$tmp/po.json" 2>"$tmp/po.err" &
	else
		taskset -c "$(cpus 0)" "$PO" --rings 1 --seconds 120 "${sel[@]}" >"$tmp/po.json" 2>"$tmp/po.err" &
	fi
	po_pid=$!
	for _ in $(seq 100); do
		grep -qs "^ready" "$tmp/po.err" && return 0
		kill -0 "$po_pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "section_probe: probe_only did not start:" >&2
	cat "$tmp/po.err" >&2
	return 1
}
probe_stop() {
	kill -TERM "$po_pid"
	wait "$po_pid" || true
	po_pid=
	# the kernel detaches and frees the programs a moment after the exit:
	# do not start the next storm while they still run on its syscalls
	for _ in $(seq 40); do
		[ "$(sys_exit_progs)" -eq 0 ] && [ "$(alt_progs)" -eq 0 ] && break
		sleep 0.05
	done
}

# storm_once MODE WORK: one storm run; appends "ns rate" to $tmp/MODE.WORK
storm_once() {
	local j args=(--procs 1 --seconds "$SECS") want
	case $1 in none | fexit | systp | *-sc) want=0 ;; *) want=1 ;; esac
	# a probe that just exited (ours, or the engine of the section before)
	# is freed by the kernel a moment later: give it 2 s before calling
	# what is still attached another tracer's
	for _ in $(seq 40); do
		[ "$(sys_exit_progs)" -le "$want" ] && break
		sleep 0.05
	done
	[ "$(sys_exit_progs)" -gt "$want" ] && foreign=$((foreign + 1))
	if [ "$2" = io ]; then args+=(--connect-every 0); else args+=(--work null); fi
	j=$(taskset -c "$(cpus 1)" "$S" "${args[@]}")
	echo "$(echo "$j" | jget ns_per_syscall) $(echo "$j" | jget rate)" >>"$tmp/$1.$2"
}

# The kernel's own account of the probe (kernel.bpf_stats_enabled): time
# spent in the sys_exit program, tail-called handlers included, per call.
# Taken in separate storm runs: the accounting itself adds two clock reads
# per call, which must not reach the CPU figures above. The same overhead is
# in the untraced (getppid) cell, so traced - untraced is the handler's work.
stats_was=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
restore_stats() { sysctl -qw kernel.bpf_stats_enabled="$stats_was" 2>/dev/null || true; }
trap 'restore_stats; cleanup' EXIT
# "run_time_ns run_cnt" of the attached sys_exit program
prog_stats() {
	bpftool prog show name sys_exit 2>/dev/null |
		sed -n 's/.*run_time_ns \([0-9]*\) run_cnt \([0-9]*\).*/\1 \2/p' | head -1
}
# prog_once MODE WORK: one storm run with the accounting on; appends the
# program's ns per call to $tmp/MODE.WORK.prog
prog_once() {
	local a b args=(--procs 1 --seconds "$SECS")
	if [ "$2" = io ]; then args+=(--connect-every 0); else args+=(--work null); fi
	sysctl -qw kernel.bpf_stats_enabled=1 || return 0
	read -r b0 b1 <<<"$(prog_stats)"
	taskset -c "$(cpus 1)" "$S" "${args[@]}" >/dev/null
	read -r a0 a1 <<<"$(prog_stats)"
	restore_stats
	[ -n "${a1:-}" ] && [ -n "${b1:-}" ] && [ "$a1" -gt "$b1" ] &&
		awk -v t=$((a0 - b0)) -v n=$((a1 - b1)) 'BEGIN {printf "%.1f\n", t / n}' >>"$tmp/$1.$2.prog"
	return 0
}

for _ in $(seq "$NRUNS"); do
	for mode in $MODES; do
		[ "$mode" = none ] || probe_start "$mode"
		storm_once "$mode" io
		storm_once "$mode" null
		if [ "$mode" = all ] || [ "$mode" = rules ]; then
			prog_once "$mode" io
			prog_once "$mode" null
		fi
		if [ "$mode" != none ]; then
			[ "$mode" = rules ] && cp "$tmp/po.err" "$tmp/selected"
			probe_stop
			[ "$mode" = all ] && nall=$(jget nselected <"$tmp/po.json")
		fi
	done
done

declare -A NS RATE NSMIN NSMAX
for k in $(for m in $MODES; do echo "$m.io $m.null"; done); do
	f="$tmp/$k"
	read -r NSMIN[$k] NS[$k] NSMAX[$k] <<<"$(awk '{print $1}' "$f" | mmm)"
	RATE[$k]=$(awk '{print $2}' "$f" | mmm | awk '{print $2}')
done
declare -A PROG
for f in "$tmp"/{all,rules}.{io,null}.prog; do
	[ -s "$f" ] && PROG[$(basename "$f" .prog)]=$(mmm <"$f" | awk '{print $2}')
done
# traced share of the io loop under the rules selection: read is traced
# only if the rules need it
if grep -q ' read\b' "$tmp/selected"; then frac=1; else frac=0.666667; fi
nsel=$(sed -n 's/^probe_only: selected: //p' "$tmp/selected" | wc -w)
added() { awk -v a="${NS[$1]}" -v b="${NS[$2]}" 'BEGIN {printf "%.0f", a - b}'; }
ratio() { awk -v a="${NS[$1]}" -v b="${NS[$2]}" 'BEGIN {printf "%.2f", b / a}'; }
a_io_all=$(added all.io none.io)
a_io_rules=$(added rules.io none.io)
a_null_all=$(added all.null none.null)
a_null_rules=$(added rules.null none.null)
a_io_floor=$(added floor.io none.io)
a_null_floor=$(added floor.null none.null)
a_null_clock=$(added clock.null none.null)
a_io_all_sc=$(added all-sc.io none.io)
a_null_rules_sc=$(added rules-sc.null none.null)
a_null_all_sc=$(added all-sc.null none.null)
# rules io: the traced share pays the traced cost, the rest the untraced one
a_traced_rules=$(awk -v a="$a_io_rules" -v u="$a_null_rules" -v f="$frac" \
	'BEGIN {printf "%.0f", (a - (1 - f) * u) / f}')
verdict() { awk -v v="$1" -v t="$2" 'BEGIN {print (v <= t) ? "met" : "**missed**"}'; }

echo "## Probe overhead (eBPF probe alone, no engine)"
if [ "$foreign" -gt 0 ]; then
	echo
	echo "**Warning:** another program was attached to sys_exit during $foreign of the storm"
	echo "runs (another tracer on the host): it runs on the storm's syscalls too, so these"
	echo "figures are not reliable. Re-run on a quiet host."
fi
echo
echo "What: \`storm --procs 1\` pinned to cpu 1 makes syscalls for $SECS s as fast as it can;"
echo "\`probe_only\` (the probe with one ring and a consumer that only counts: no decode,"
echo "state or rules) is pinned to cpu 0. Figure: the storm's own CPU time (user + system,"
echo "where the probe's programs run) per syscall, min / median / max of $NRUNS runs per cell, runs"
echo "interleaved; the wall-clock rate is shown too but moves with whatever else runs on"
echo "the machine (see the load average at the top of this page). Selections:"
echo "*all* = every syscall the probe handles ($nall); *rules* = the $nsel that"
echo "falco_rules.yaml and the process/fd state need (\`probe_only --select rules\`)."
echo "*all-sc*, *rules-sc*: the same probe with the syscall hook (\`--hook syscall\`; the"
echo "engine's \`--probe-hook syscall\`): each selected syscall's handler on that syscall's own"
echo "tracepoint instead of one dispatcher on raw sys_exit."
echo
echo "| load | probe | ns/syscall (CPU) min / median / max | added ns (medians) | CPU rate ratio (probe / none) | wall syscalls/s (median) |"
echo "|---|---|---|---|---|---|"
for work in io null; do
	case $work in
	io) wl="openat+read+close" ;;
	null) wl="getppid (untraced)" ;;
	esac
	for mode in $MODES; do
		if [ "$mode" = none ]; then ad="-" rt="1.00"; else
			ad=$(added "$mode.$work" "none.$work")
			rt=$(ratio "$mode.$work" "none.$work")
		fi
		printf "| %s | %s | %.0f / %.0f / %.0f | %s | %s | %s |\n" "$wl" "$mode" \
			"${NSMIN[$mode.$work]}" "${NS[$mode.$work]}" "${NSMAX[$mode.$work]}" "$ad" \
			"$rt" "${RATE[$mode.$work]}"
	done
done
echo
echo "- Added per traced syscall (all selected, every call of the io loop traced):"
echo "  **$a_io_all ns** (target <= 150 ns: $(verdict "$a_io_all" 150))."
echo "- Added per traced syscall with the rules selection (io loop, read untraced;"
echo "  (added - untraced share x untraced cost) / traced share): **$a_traced_rules ns**."
echo "- Added per untraced syscall (getppid): **$a_null_rules ns** filtered by the selection"
echo "  map (rules), **$a_null_all ns** with every syscall selected (the dispatcher's table"
echo "  of handled ids says no) (target < 60 ns: $(verdict "$a_null_rules" 59.999))."
echo "- With the syscall hook: **$a_io_all_sc ns** per traced syscall (all selected;"
echo "  target <= 150 ns: $(verdict "$a_io_all_sc" 150)), **$a_null_rules_sc ns** per untraced one with the"
echo "  rules selection and **$a_null_all_sc ns** with every syscall selected (getppid has no"
echo "  handler, so no tracepoint of it is attached) (target < 60 ns: $(verdict "$a_null_rules_sc" 59.999))."
echo "- The floor (*floor* rows: an empty program, \`return 0\`, attached to tp_btf/sys_exit"
echo "  by \`bench/tp_floor\`): **$a_null_floor ns** per syscall, **$a_io_floor ns** per call of the io"
echo "  loop. Every program on this tracepoint costs that much on this machine, whatever it"
echo "  does (the kernel takes the syscall's slow exit path and calls it); the probe's own"
echo "  share is the rest: **$(awk -v a="$a_io_all" -v f="$a_io_floor" 'BEGIN {printf "%.0f", a - f}') ns** per traced syscall (all selected), **$(awk -v a="$a_null_rules" -v f="$a_null_floor" 'BEGIN {printf "%.0f", a - f}') ns**"
echo "  per untraced one (rules)."
echo "- The same empty program with one clock read (*clock* rows, \`tp_floor --clock\`:"
echo "  \`bpf_ktime_get_boot_ns\`, which every traced event makes for its timestamp):"
echo "  **$(awk -v c="$a_null_clock" -v f="$a_null_floor" 'BEGIN {printf "%.0f", c - f}') ns** more per syscall than the floor: what this machine's clocksource"
echo "  costs a read ($(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo unknown))."
if [ -n "${NS[systp.io]:-}" ]; then
	echo "- The same empty program on the io loop's own tracepoints (*systp* rows,"
	echo "  \`tp_floor --syscall-tp\`: syscalls:sys_exit_openat, _read and _close, which the"
	echo "  kernel runs from the same sys_exit hook but calls the program only for those):"
	echo "  **$(added systp.io none.io) ns** per call of the io loop and **$(added systp.null none.null) ns** per getppid, which"
	echo "  it does not trace. Against the *floor* rows this splits the floor: the slow exit"
	echo "  path every syscall takes under any sys_exit hook, and the call into a BPF"
	echo "  program, which on tp_btf/sys_exit every syscall pays."
else
	echo "- The per-syscall tracepoints (\`tp_floor --syscall-tp\`) are refused by this kernel:"
	echo "  \"${ALT_ERR[systp]}\"."
fi
if [ -n "${NS[fexit.io]:-}" ]; then
	echo "- The same empty program as fexit programs on the io loop's syscall functions"
	echo "  (*fexit* rows, \`tp_floor --fexit\`: a BPF trampoline on openat, read and close"
	echo "  only): **$(added fexit.io none.io) ns** per call of the io loop, **$(added fexit.null none.null) ns** per"
	echo "  getppid, which it does not trace."
else
	echo "- fexit programs on the traced syscalls' own functions (\`tp_floor --fexit\`), an"
	echo "  attach point with no sys_exit hook at all, are refused by this kernel:"
	echo "  \"${ALT_ERR[fexit]}\"."
fi
if [ -n "${PROG[all.io]:-}" ] && [ -n "${PROG[all.null]:-}" ]; then
	echo
	echo "The kernel's own account (\`kernel.bpf_stats_enabled\`, separate runs): time in the"
	echo "probe's sys_exit program per call, handlers included, medians of $NRUNS runs:"
	echo
	echo "| load | all | rules |"
	echo "|---|---|---|"
	echo "| openat+read+close | ${PROG[all.io]} ns | ${PROG[rules.io]:--} ns |"
	echo "| getppid (untraced) | ${PROG[all.null]} ns | ${PROG[rules.null]:--} ns |"
	echo
	echo "- A traced event's handler (io loop, all selected, minus the untraced call's"
	echo "  dispatcher and accounting): **$(awk -v a="${PROG[all.io]}" -v b="${PROG[all.null]}" \
		'BEGIN {printf "%.0f", a - b}') ns** in the programs; the rest of the added time above is"
	echo "  the kernel's (the syscall's slow exit path, the tracepoint's call into the program)."
fi
echo
echo "Commands: \`taskset -c 0 $BUILD/bench/probe_only --rings 1 --select all|rules [-r falco_rules.yaml] [--hook syscall]\`;"
echo "\`$BUILD/bench/tp_floor [--clock] [--syscall-tp | --fexit]\` (floor, clock, systp, fexit);"
echo "\`taskset -c 1 $BUILD/bench/storm --procs 1 --seconds $SECS --connect-every 0\` and \`... --work null\`."
echo
