/*
 * fuzz_pipeline.c - libFuzzer harness for one worker's whole pipeline on a
 * capture: the reader, then for every event evt_decode(), the thread/fd
 * state (proc_event_apply / proc_event_done, seeded from the capture's
 * tables), the embedded default rules (rule_eval) and every match's output
 * line and fields. A capture that gets past the reader carries whatever
 * values its writer chose: fds far past any table, tids of 0 or 2^64-1,
 * clones of unknown parents, exits of threads never seen, paths without
 * an end. The state and the rules must take any of them without reading
 * out of bounds, leaking or crashing. Every other input is keyed as the
 * engine's workers key events, and evaluated with every matching rule
 * rather than the first.
 *
 * The state table is small (256 threads, 16 tombs, 1 ms to idle and to
 * expire) so that its limits are reached; quiescent states come every 16
 * events so that retired records are freed while the input runs, and a
 * purge sweeps every 256.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "abi/event.h"
#include "capture/capture.h"
#include "rules/diag.h"
#include "rules/rules.h"
#include "rules/ruleset.h"
#include "state/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

/* The embedded default rules, compiled on the first input (the replay
 * driver has no LLVMFuzzerInitialize) and kept for the process. */
static const struct rule_ruleset *rules(void)
{
	static struct rule_ruleset *rs;
	static int tried;
	struct diag_list *dl;
	struct rule_set *set;
	const char *text;
	size_t len;

	if (tried)
		return rs;
	tried = 1;
	text = rules_default_yaml(&len);
	dl = diag_list_new();
	set = rule_set_new();
	if (dl && set && rule_set_load_string(set, RULES_DEFAULT_NAME, text, len, dl) == 0)
		rs = rule_compile(set, NULL, dl);
	rule_set_free(set);
	diag_list_free(dl);
	if (!rs)
		abort(); /* the embedded rules must always compile */
	return rs;
}

static int count_field(void *arg, const char *name, const struct fld_vals *v)
{
	(void)arg;
	sink += (uint8_t)name[0] + v->n;
	return 0;
}

static int on_match(void *arg, const struct rule_match *m)
{
	char line[512];

	(void)arg;
	sink += rule_match__output(m, line, sizeof(line));
	rule_match__foreach_field(m, count_field, NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* small limits and short lifetimes, so that inputs reach them */
	struct proc_config cfg = {.max_threads = 256,
				  .max_workers = 1,
				  .max_tombs = 16,
				  .purge_idle_ns = 1000000,
				  .tomb_ttl_ns = 1000000,
				  .poison = 1};
	const struct rule_ruleset *rs = rules();
	struct proc_table *pt = NULL;
	struct proc_worker *pw = NULL;
	struct rule_worker *rw = NULL;
	struct cap_reader *r;
	struct cap_event ce;
	struct evt ev;
	uint64_t n = 0;
	/* half the inputs keyed like the engine's workers (each event its
	 * number: exits leave versions for readers behind), half with no key
	 * (state applied at once, as a single-threaded reader does) */
	bool keyed = size & 1;

	r = cap_reader_open_mem(data, size, NULL);
	if (!r)
		return 0;
	pt = proc_table_new(&cfg);
	pw = pt ? proc_worker_register(pt) : NULL;
	rw = rule_worker_new(rs);
	if (!pw || !rw)
		goto out;
	proc_state_from_capture(pw, cap_reader_tables(r), NULL, NULL);
	while (cap_reader_next(r, &ce) > 0) {
		struct proc_evt_ref ref;
		struct fld_ctx c = {0};

		if (evt_decode(ce.hdr, ce.len, &ev, NULL) != EVT_OK)
			continue;
		n++;
		if (keyed)
			proc_worker_set_key(pw, n);
		proc_event_apply(pw, &ev, ce.cpu, &ref);
		fld_ctx_set_event(&c, pw, &ev, ce.cpu, n, &ref);
		if (ev.info->origin != ECAT_METAEVENT)
			rule_eval(rs, rw, &c, size & 2, on_match, NULL);
		proc_event_done(pw, &ref);
		if (n % 16 == 0)
			proc_worker_quiescent(pw);
		if (n % 256 == 0)
			proc_worker_purge(pw, ev.hdr->ts, PROC_PURGE_ALL);
	}
out:
	rule_worker_free(rw);
	if (pw)
		proc_worker_unregister(pw);
	proc_table_destroy(pt);
	cap_reader_close(r);
	return 0;
}
