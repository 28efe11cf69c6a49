/*
 * bench_stages.c - the per-event cost of each stage of a worker, measured by
 * running the stages cumulatively on one thread over one capture:
 *
 *   read    cap_reader_next() only (block walk, events handed out in place)
 *   decode  read + evt_decode()
 *   state   decode + proc_event_apply()/proc_event_done() (thread/fd table)
 *   rules   state + rule_eval() with a ruleset (alerts formatted, not written)
 *
 * A stage's own cost is the difference between two neighbours. Everything
 * that is not per event (opening the capture, seeding the process table from
 * its process list, loading and compiling the rules) happens outside
 * stages_pass(), the one function that walks the events, so that
 *
 *   valgrind --tool=callgrind --collect-atstart=no --toggle-collect=stages_pass \
 *       build/bench/bench_stages --once STAGE RULES CAPTURE
 *
 * counts exactly the instructions of the per-event loop: a figure that the
 * machine's load cannot move, which bench/check.sh compares with the one
 * committed in bench/baseline.json. Without --once, every stage runs RUNS
 * times (default 5) timed with the clock, and one JSON line gives
 * min/median/max ns/event per cumulative stage.
 *
 *   bench_stages [--once STAGE] RULES CAPTURE [RUNS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abi/event_table.h"
#include "capture/capture.h"
#include "rules/ruleset.h"
#include "state/state.h"

#include "bench_util.h"

enum stage { ST_READ, ST_DECODE, ST_STATE, ST_RULES, ST_N };

static const char *const stage_names[ST_N] = {"read", "decode", "state", "rules"};

/* What one pass needs, prepared outside the measured function. */
struct pass {
	enum stage st;
	struct cap_reader *r;
	struct proc_table *pt;
	struct proc_worker *pw;
	const struct rule_ruleset *rs;
	struct rule_worker *rw;
	uint64_t sink, matches;
};

/* The state and rules work for one decoded event. */
static void one_event(struct pass *p, const struct evt *ev, uint16_t cpu, uint64_t num)
{
	struct proc_evt_ref ref;
	struct fld_ctx c = {0};

	proc_event_apply(p->pw, ev, cpu, &ref);
	if (p->st == ST_RULES) {
		fld_ctx_set_event(&c, p->pw, ev, cpu, num, &ref);
		rule_eval(p->rs, p->rw, &c, true, bench_count_match, &p->matches);
	}
	proc_event_done(p->pw, &ref);
	if (num % 64 == 0)
		proc_worker_quiescent(p->pw); /* the engine's batch boundary */
}

/*
 * The measured loop: every per-event instruction of the chosen stage, and
 * nothing else. noinline so that callgrind's --toggle-collect finds it.
 */
static __attribute__((noinline)) uint64_t stages_pass(struct pass *p)
{
	struct cap_event ce;
	struct evt ev;
	uint64_t n = 0;

	while (cap_reader_next(p->r, &ce) > 0) {
		n++;
		if (p->st == ST_READ) {
			p->sink += ce.len;
			continue;
		}
		if (evt_decode(ce.hdr, ce.len, &ev, NULL) != EVT_OK)
			continue;
		p->sink += ev.nparams;
		if (p->st >= ST_STATE)
			one_event(p, &ev, ce.cpu, n);
	}
	return n;
}

static struct rule_ruleset *load_rules(const char *path)
{
	struct diag_list *dl = diag_list_new();
	struct rule_set *set = rule_set_new();
	struct rule_ruleset *rs = NULL;

	if (dl && set && rule_set_load_file(set, path, dl) == 0)
		rs = rule_compile(set, NULL, dl);
	rule_set_free(set);
	diag_list_free(dl);
	return rs;
}

static int pass_open(struct pass *p, enum stage st, const char *cap, const struct rule_ruleset *rs)
{
	memset(p, 0, sizeof(*p));
	p->st = st;
	p->r = cap_reader_open(cap, NULL);
	if (!p->r)
		return -1;
	if (st >= ST_STATE) {
		p->pt = proc_table_new(NULL);
		p->pw = p->pt ? proc_worker_register(p->pt) : NULL;
		if (!p->pw)
			return -1;
		proc_state_from_capture(p->pw, cap_reader_tables(p->r), NULL, NULL);
	}
	if (st == ST_RULES) {
		p->rs = rs;
		p->rw = rule_worker_new(rs);
		if (!p->rw)
			return -1;
	}
	return 0;
}

/* Accepts a pass that pass_open() left half built. */
static void pass_close(struct pass *p)
{
	rule_worker_free(p->rw);
	if (p->pw)
		proc_worker_unregister(p->pw);
	proc_table_destroy(p->pt);
	if (p->r)
		cap_reader_close(p->r);
}

static int parse_stage(const char *s)
{
	int i;

	for (i = 0; i < ST_N; i++)
		if (strcmp(s, stage_names[i]) == 0)
			return i;
	return -1;
}

/* --once STAGE: one untimed pass, for callgrind. */
static int run_once(enum stage st, const struct rule_ruleset *rs, const char *cap)
{
	struct pass p;
	uint64_t n;

	if (pass_open(&p, st, cap, rs)) {
		fprintf(stderr, "bench_stages: cannot set up a pass over %s\n", cap);
		pass_close(&p);
		return 1;
	}
	n = stages_pass(&p);
	printf("{\"stage\":\"%s\",\"events\":%llu,\"matches\":%llu}\n", stage_names[st],
	       (unsigned long long)n, (unsigned long long)p.matches);
	pass_close(&p);
	return 0;
}

static int run_timed(const struct rule_ruleset *rs, const char *cap, int runs)
{
	double *ns = calloc((size_t)runs * ST_N, sizeof(*ns));
	uint64_t n = 0, matches = 0;
	int i, st;

	if (!ns)
		return 1;
	/* runs interleaved over the stages, so a burst of load hits all alike */
	for (i = 0; i < runs; i++) {
		for (st = 0; st < ST_N; st++) {
			struct pass p;
			double t0;

			if (pass_open(&p, (enum stage)st, cap, rs)) {
				fprintf(stderr, "bench_stages: cannot set up a pass over %s\n",
					cap);
				pass_close(&p);
				free(ns);
				return 1;
			}
			t0 = bench_now_ns();
			n = stages_pass(&p);
			ns[st * runs + i] = (bench_now_ns() - t0) / (double)(n ? n : 1);
			if (st == ST_RULES)
				matches = p.matches;
			pass_close(&p);
		}
	}
	printf("{\"bench\":\"stages\",\"events\":%llu,\"matches\":%llu,\"runs\":%d",
	       (unsigned long long)n, (unsigned long long)matches, runs);
	for (st = 0; st < ST_N; st++) {
		double *v = ns + st * runs;

		qsort(v, (size_t)runs, sizeof(*v), bench_cmp_double);
		printf(",\"%s_ns\":{\"min\":%.1f,\"median\":%.1f,\"max\":%.1f}", stage_names[st],
		       v[0], v[runs / 2], v[runs - 1]);
	}
	printf("}\n");
	free(ns);
	return 0;
}

static const char usage[] =
	"usage: bench_stages [--once read|decode|state|rules] RULES CAPTURE [RUNS]";

int main(int argc, char **argv)
{
	struct rule_ruleset *rs;
	int once = -1, runs, rc, bad = 0;

	if (argc > 1 && strcmp(argv[1], "--once") == 0) {
		once = argc > 2 ? parse_stage(argv[2]) : -1;
		bad = once < 0 || argc < 5;
		argv += 2;
		argc -= 2;
	}
	runs = argc > 3 ? atoi(argv[3]) : 5;
	if (bad || argc < 3 || runs < 1) {
		fprintf(stderr, "%s\n", usage);
		return 2;
	}
	rs = load_rules(argv[1]);
	if (!rs) {
		fprintf(stderr, "bench_stages: %s does not compile\n", argv[1]);
		return 1;
	}
	if (once >= 0)
		rc = run_once((enum stage)once, rs, argv[2]);
	else
		rc = run_timed(rs, argv[2], runs);
	rule_ruleset_free(rs);
	return rc;
}
