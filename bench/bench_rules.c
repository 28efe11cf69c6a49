/*
 * bench_rules.c - rules benchmark: load+compile falco_rules.yaml, and
 * evaluation cost per event with that ruleset over a capture, one worker.
 * The state update runs too (as in the engine) but is timed apart, so the
 * figure is the rules' own cost. Prints one JSON line with min/median/max
 * over RUNS runs:
 *
 *   bench_rules RULES CAPTURE [RUNS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/capture.h"
#include "rules/ruleset.h"
#include "state/state.h"

#include "bench_util.h"

/* One replay; returns ns spent in rule_eval, events in *nev, matches in *nm. */
static double replay(const char *cap, const struct rule_ruleset *rs, uint64_t *nev, uint64_t *nm)
{
	struct proc_table *pt = proc_table_new(NULL);
	struct proc_worker *pw = proc_worker_register(pt);
	struct rule_worker *w = rule_worker_new(rs);
	struct cap_reader *r = cap_reader_open(cap, NULL);
	struct fld_ctx c = { 0 };
	struct cap_event ce;
	double spent = 0;

	if (!r || !w) {
		fprintf(stderr, "bench_rules: cannot open %s\n", cap);
		exit(1);
	}
	proc_state_from_capture(pw, cap_reader_tables(r), NULL, NULL);
	c.pw = pw;
	*nev = *nm = 0;
	while (cap_reader_next(r, &ce) > 0) {
		struct proc_evt_ref ref;
		struct evt ev;
		double t0;

		if (evt_decode(ce.hdr, ce.len, &ev, NULL) != EVT_OK)
			continue;
		proc_event_apply(pw, &ev, ce.cpu, &ref);
		fld_ctx_set_event(&c, pw, &ev, ce.cpu, ++*nev, &ref);
		t0 = bench_now_ns();
		rule_eval(rs, w, &c, true, bench_count_match, nm);
		spent += bench_now_ns() - t0;
		proc_event_done(pw, &ref);
		if (*nev % 64 == 0)
			proc_worker_quiescent(pw);
	}
	cap_reader_close(r);
	rule_worker_free(w);
	proc_worker_unregister(pw);
	proc_table_destroy(pt);
	return spent;
}

int main(int argc, char **argv)
{
	int runs = argc > 3 ? atoi(argv[3]) : 5, i;
	double *load, *eval;
	uint64_t nev = 0, nm = 0;
	struct rule_ruleset *rs = NULL;

	if (argc < 3 || runs < 1) {
		fprintf(stderr, "usage: bench_rules RULES CAPTURE [RUNS]\n");
		return 2;
	}
	load = calloc((size_t)runs, sizeof(*load));
	eval = calloc((size_t)runs, sizeof(*eval));
	for (i = 0; i < runs; i++) {
		struct diag_list *dl = diag_list_new();
		struct rule_set *set = rule_set_new();
		double t0 = bench_now_ns();

		rule_set_load_file(set, argv[1], dl);
		rule_ruleset_free(rs);
		rs = rule_compile(set, NULL, dl);
		load[i] = (bench_now_ns() - t0) / 1e6;
		rule_set_free(set);
		diag_list_free(dl);
		if (!rs) {
			fprintf(stderr, "bench_rules: %s does not compile\n", argv[1]);
			return 1;
		}
	}
	for (i = 0; i < runs; i++)
		eval[i] = replay(argv[2], rs, &nev, &nm) / (double)(nev ? nev : 1);
	qsort(load, (size_t)runs, sizeof(*load), bench_cmp_double);
	qsort(eval, (size_t)runs, sizeof(*eval), bench_cmp_double);
	printf("{\"bench\":\"rules\",\"rules\":%zu,\"runs\":%d,\"events\":%llu,\"matches\":%llu,"
	       "\"load_compile_ms\":{\"min\":%.2f,\"median\":%.2f,\"max\":%.2f},"
	       "\"eval_ns_per_event\":{\"min\":%.1f,\"median\":%.1f,\"max\":%.1f}}\n",
	       rule_ruleset__nrules(rs), runs, (unsigned long long)nev, (unsigned long long)nm,
	       load[0], load[runs / 2], load[runs - 1], eval[0], eval[runs / 2], eval[runs - 1]);
	rule_ruleset_free(rs);
	free(load);
	free(eval);
	return 0;
}
