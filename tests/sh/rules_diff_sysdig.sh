#!/bin/sh
# rules_diff_sysdig.sh - differential tests against Debian's sysdig 0.29.3:
# (1) every condition of tests/data/rules_diff/conditions*.txt selects as
#     many events as `sysdig -r FILE COND` on every shared capture;
# (2) for every event, common fields printed with -p equal sysdig's -p output;
# (3) the process-state fields of issue 4 (STATE_FIELDS below), printed by
#     `capture cat --workers 1` and `--workers 2` (tgid partitions: state
#     built by two workers, cross-partition reads AS OF each event), equal
#     sysdig's -p output except the known differences listed there; lines
#     of two workers come out in another order, so both sides are sorted.
#     Then all of STATE_FIELDS, exceptions included, are equal for 1, 2
#     and 3 workers on every shared capture and on a synthetic one with
#     forks across partitions (the shared captures have none: their only
#     clones make threads). The fds of such a child come from a snapshot
#     the parent's owner publishes (src/state/fdshare.c); the line shows
#     how many; tests/unit/state/test_fdshare.c checks their content.
#
# Known differences, not tested (sysdig 0.29.3 is built on libs of 2022):
# - mmap/mmap2: current libs flags them EF_USES_FD (fd.* fields set); 2022
#   libs did not. conditions_nommap.txt and the field comparison add
#   `evt.type!=mmap`.
# - intersects: 2022 libs treated a single-valued field's intersects
#   differently; bcontains/bstartswith, iglob and regex did not exist in it.
#   Those operators are tested in tests/unit/rules/test_eval.c instead.
# - sample_libs.scap (a 2023 capture): sysdig 0.29 misreads its PL_V9 process
#   entries (garbage loginuid, no thread for tid 0) and numbers the
#   user/group meta events differently, so evt.num, evt.reltime and the
#   process fields of SAMPLE_ONLY_DIFF below are compared on the other
#   captures only.
# - evt.args, evt.arg[N] (also "exists"), evt.arg.fd, proc.cmdnargs and thread.cap_effective (not in 0.29), evt.category, evt.io_dir,
#   evt.count.exit, fd.is_server, fd.typechar, fd.l4proto, proc.sid, proc.vpid,
#   proc.vpgid, thread.vtid, user.*, group.*, container.name: the 2016-2018
#   captures' event layouts are converted to current ones (more parameters,
#   renamed categories, fd rendering "<f>/path" in evt.arg.fd, roles of
#   half-open sockets) and 2022 libs fills uid/gid/vpid from different
#   sources; the values legitimately differ and are not compared.
set -u
: "${PEREGRINE:=build/peregrine}"
: "${FIXTURES:=../shared/fixtures}"
data=tests/data/rules_diff
name=rules_diff_sysdig

if ! command -v sysdig >/dev/null 2>&1; then
	echo "SKIP $name: sysdig is not installed"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cond_test() { # file suffix list
	f=$1
	suffix=$2
	list=$3
	bad=0
	n=0
	while IFS= read -r c; do
		[ -n "$c" ] || continue
		n=$((n + 1))
		a=$(sysdig -r "$f" "$c$suffix" 2>&1 | wc -l)
		b=$("$PEREGRINE" capture cat "$f" "$c$suffix" 2>&1 | wc -l)
		if [ "$a" != "$b" ]; then
			echo "    [$c$suffix] sysdig=$a peregrine=$b"
			bad=1
		fi
	done <"$list"
	return $bad
}

for f in "$FIXTURES"/captures/*.scap; do
	base=$(basename "$f" .scap)
	if cond_test "$f" "" "$data/conditions.txt" >"$tmp/out" &&
		cond_test "$f" " and evt.type!=mmap" "$data/conditions_nommap.txt" >>"$tmp/out"; then
		echo "PASS ${name}_conditions_$base"
	else
		echo "FAIL ${name}_conditions_$base: match counts differ"
		cat "$tmp/out"
	fi
done

FIELDS="evt.dir evt.cpu evt.rawtime evt.rawtime.s evt.time evt.datetime evt.res evt.rawres
evt.failed evt.is_io evt.is_io_read evt.is_io_write evt.is_wait evt.count evt.is_open_read
evt.is_open_write thread.tid proc.name proc.exe proc.cmdline proc.aname[1] proc.aname[2]
proc.apid[1] proc.loginshellid fd.num fd.type fd.directory fd.filename fd.sip
fd.sport fd.sockfamily"
SAMPLE_ONLY_DIFF="evt.num evt.reltime proc.pid proc.args proc.cwd proc.tty proc.env container.id
user.loginuid user.loginname thread.ismain"
for f in "$FIXTURES"/captures/*.scap; do
	base=$(basename "$f" .scap)
	fmt=""
	nf=0
	for fld in $FIELDS; do
		fmt="$fmt|%$fld"
		nf=$((nf + 1))
	done
	if [ "$base" != sample_libs ]; then
		for fld in $SAMPLE_ONLY_DIFF; do
			fmt="$fmt|%$fld"
			nf=$((nf + 1))
		done
	fi
	sysdig -r "$f" 'evt.type!=mmap' -p "*$fmt" >"$tmp/a" 2>&1
	"$PEREGRINE" capture cat "$f" 'evt.type!=mmap' -p "*$fmt" >"$tmp/b" 2>&1
	if cmp -s "$tmp/a" "$tmp/b"; then
		echo "PASS ${name}_fields_$base ($nf fields, $(wc -l <"$tmp/a") events)"
	else
		echo "FAIL ${name}_fields_$base: -p output differs"
		diff "$tmp/a" "$tmp/b" | head -6 | sed 's/^/    /'
	fi
done

# (3) Issue 4's fields. fd.dip/fd.dport, named in the issue, exist neither
# in libs nor in sysdig: fd.cip/fd.cport (the tuple's other end) stand in.
# Not compared with sysdig, and why (each is still compared between worker
# counts below):
# - fd.typechar, fd.l4proto, user.uid, user.name: see the header (old
#   layouts converted; 2022 libs fills uids from other sources);
# - proc.exepath and proc.ppid on single_ipv6_conn and syscall: sysdig
#   0.29 prints "" and -1 for a thread it created without its clone
#   (2016-2018 captures), current libs and peregrine <NA> and 0;
# - proc.pname of a non-leader thread (curl_google's 17498): 2022 libs took
#   the creating thread as the parent, current libs (parse_clone_exit: "the
#   parent is the parent of the calling process") and peregrine the
#   process's parent;
# - fd.name of curl_google's second thread's unix socket, fd.cip of
#   single_ipv6_conn's bound socket, fd.cport of sample_libs: tuple roles
#   of half-open sockets (see the header) and 0.29's empty names;
# - sample_libs: SAMPLE_ONLY_DIFF's process fields (proc.pid, proc.cwd,
#   proc.tty) and proc.ppid, as above.
STATE_FIELDS="proc.name proc.pname proc.exe proc.exepath proc.cmdline proc.cwd proc.aname[2]
proc.aname[3] proc.pid proc.ppid proc.tty user.uid user.name fd.num fd.name fd.typechar
fd.directory fd.filename fd.sip fd.sport fd.cip fd.cport fd.l4proto"
STATE_NOT_SYSDIG="fd.typechar fd.l4proto user.uid user.name"
state_skip() { # capture field -> 0 when not compared with sysdig there
	case " $STATE_NOT_SYSDIG " in *" $2 "*) return 0 ;; esac
	case "$1:$2" in
	single_ipv6_conn:proc.exepath | single_ipv6_conn:proc.ppid | single_ipv6_conn:fd.cip) return 0 ;;
	syscall:proc.exepath | syscall:proc.ppid) return 0 ;;
	curl_google:proc.pname | curl_google:fd.name) return 0 ;;
	sample_libs:proc.pid | sample_libs:proc.cwd | sample_libs:proc.tty | sample_libs:proc.ppid) return 0 ;;
	sample_libs:fd.cport | sample_libs:evt.num) return 0 ;;
	esac
	return 1
}
for f in "$FIXTURES"/captures/*.scap; do
	base=$(basename "$f" .scap)
	# sample_libs: sysdig numbers events differently (header), so lines are
	# keyed by the time and thread instead of evt.num
	key="%evt.num"
	[ "$base" != sample_libs ] || key="%evt.rawtime|%thread.tid"
	fmt="$key"
	nf=0
	for fld in $STATE_FIELDS; do
		state_skip "$base" "$fld" && continue
		fmt="$fmt|%$fld"
		nf=$((nf + 1))
	done
	sysdig -r "$f" 'evt.type!=mmap' -p "*$fmt" 2>&1 | sort >"$tmp/a"
	for n in 1 2; do
		"$PEREGRINE" capture cat "$f" 'evt.type!=mmap' -p "*$fmt" --workers $n 2>&1 |
			sort >"$tmp/b"
		if cmp -s "$tmp/a" "$tmp/b"; then
			echo "PASS ${name}_state_w${n}_$base ($nf fields, $(wc -l <"$tmp/a") events)"
		else
			echo "FAIL ${name}_state_w${n}_$base: -p output with --workers $n differs from sysdig"
			diff "$tmp/a" "$tmp/b" | head -6 | sed 's/^/    /'
		fi
	done
done

# Every state field, exceptions included, for 1, 2 and 3 workers; the
# one-thread replay (no --workers) is the reference. The synthetic capture
# forks children into other partitions.
"$PEREGRINE" capture gen -o "$tmp/synth.scap" --events 60000 --procs 80 --threads-per-proc 2 \
	--skew 1 --seed 11 >/dev/null 2>&1
fmt="%evt.num"
for fld in $STATE_FIELDS; do
	fmt="$fmt|%$fld"
done
for f in "$FIXTURES"/captures/*.scap "$tmp/synth.scap"; do
	base=$(basename "$f" .scap)
	"$PEREGRINE" capture cat "$f" -p "*$fmt" 2>&1 | sort >"$tmp/a"
	bad=""
	for n in 1 2 3; do
		PEREGRINE_CAT_STATS=1 "$PEREGRINE" capture cat "$f" -p "*$fmt" --workers $n \
			2>"$tmp/stats" | sort >"$tmp/b"
		cmp -s "$tmp/a" "$tmp/b" || bad="$bad $n"
	done
	if [ -z "$bad" ]; then
		echo "PASS ${name}_workers_equal_$base ($(wc -l <"$tmp/a") events, 3 workers:$(sed 's/.*forks across partitions://' "$tmp/stats"))"
	else
		echo "FAIL ${name}_workers_equal_$base: --workers$bad differ from the one-thread replay"
		diff "$tmp/a" "$tmp/b" | head -6 | sed 's/^/    /'
	fi
done
