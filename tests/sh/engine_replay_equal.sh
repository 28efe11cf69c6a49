#!/bin/sh
# engine_replay_equal.sh - the multiset of alerts (rule, output) of a replay
# does not depend on the number of workers: --workers 1 == 2 == 4 == 8 with
# tgid and with tid partitioning, and == the single-consumer layout
# (--partition cpu), over every shared capture and generated captures (skew
# 0 and 3, one thread per process and four), with falco_rules.yaml and a
# test ruleset that fires often.
#
# tid partitioning puts the threads of one process on different workers;
# each worker then holds a replica of the process that every change of the
# group is applied to (state.h, proc_event_apply_held), so fd-based fields
# are exact too. The generated captures with four threads per process are
# the ones that exercise it (threads opening, closing and reading each
# other's fds, execs that end the other threads).
set -u
: "${PEREGRINE:?}" "${FIXTURES:?}"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
here=$(cd "$(dirname "$0")/../.." && pwd)

"$PEREGRINE" capture gen -o "$t/skew0.scap" --events ${EQ_EVENTS:-50000} --skew 0 --seed 3 >/dev/null
"$PEREGRINE" capture gen -o "$t/skew3.scap" --events ${EQ_EVENTS:-50000} --skew 3 --seed 4 >/dev/null
"$PEREGRINE" capture gen -o "$t/thr0.scap" --events ${EQ_EVENTS:-50000} --skew 0 --threads-per-proc 4 \
	--seed 5 >/dev/null
"$PEREGRINE" capture gen -o "$t/thr3.scap" --events ${EQ_EVENTS:-50000} --skew 3 --threads-per-proc 4 \
	--seed 6 >/dev/null

for rules in "$FIXTURES/rules/falco_rules.yaml" "$here/tests/data/engine/often.yaml"; do
	rn=$(basename "$rules" .yaml)
	for cap in "$FIXTURES"/captures/*.scap "$t"/skew[03].scap "$t"/thr[03].scap; do
		cn=$(basename "$cap" .scap)
		for part in tgid tid; do
			ok=1
			why=""
			# the single-consumer layout does not partition: once is enough
			for w in 1 2 4 8 $([ $part = tgid ] && echo cpu); do
				args="--workers $w --partition $part"
				[ $w = cpu ] && args="--partition cpu"
				# JSON: rule and output are both in each line
				"$PEREGRINE" $args -r "$rules" -e "$cap" \
					-o json_output=true -o outputs_queue.capacity=65536 \
					2>"$t/err" | sed 's/"hostname":"[^"]*",//' | sort >"$t/out.$w"
				if grep -q "queue drops [1-9]" "$t/err"; then
					ok=0
					why="alerts dropped with $w workers"
				fi
				if [ $w != 1 ] && ! cmp -s "$t/out.1" "$t/out.$w"; then
					ok=0
					why="$why; $w workers: $(diff "$t/out.1" "$t/out.$w" | grep -c '^[<>]') lines differ from 1 worker"
				fi
			done
			n=$(wc -l <"$t/out.1")
			name="replay_equal_${rn}_${cn}_${part}"
			[ $ok = 1 ] && pass "$name ($n alerts)" || fail "$name" "$why"
		done
	done
done

# Replay owners are given by load, not by a hash of the tgid (engine.c,
# "Replay owners"): on a capture of many similar processes every worker gets
# its share of the events within 3% (a hash of the same 200 processes gives
# 4 workers between 0.89x and 1.15x of the mean here), for tgid and tid.
"$PEREGRINE" capture gen -o "$t/bal.scap" --events 400000 --procs 200 --skew 0 --seed 5 >/dev/null
for part in tgid tid; do
	for w in 2 4; do
		"$PEREGRINE" --workers $w --partition $part --stats-interval 1000 -e "$t/bal.scap" \
			-r "$FIXTURES/rules/falco_rules.yaml" -o stdout_output.enabled=false 2>&1 |
			grep '^{' | tail -1 >"$t/bal.json"
		# per-worker events: "workers":[{"events":N,...},...]
		sed 's/"workers":\[\(.*\)\],"kernel_events.*/\1/' "$t/bal.json" | tr '}' '\n' |
			sed -n 's/.*"events":\([0-9]*\).*/\1/p' >"$t/bal.n"
		r=$(awk -v w=$w '{s += $1; if (NR == 1 || $1 > mx) mx = $1; if (NR == 1 || $1 < mn) mn = $1}
			END {if (NR != w || s != 400000) print "bad"; else printf "%.3f %.3f", mn * w / s, mx * w / s}' "$t/bal.n")
		name="replay_balanced_${part}_${w}w"
		case "$r" in
		bad | "") fail "$name" "per-worker events not found or not summing to 400000: $(cat "$t/bal.n" | tr '\n' ' ')" ;;
		*) if awk -v r="$r" 'BEGIN {split(r, a, " "); exit !(a[1] >= 0.97 && a[2] <= 1.03)}'; then
			pass "$name (min/max share of the mean: $r)"
		else
			fail "$name" "shares of the mean $r, not within 0.97..1.03"
		fi ;;
		esac
	done
done
