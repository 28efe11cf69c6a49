/*
 * cmd_replay.c - run rules over a capture: `peregrine -r RULES... -e CAPTURE
 * [--json]`, and the single-threaded replay loop that `capture cat` with a
 * condition or -p shares.
 *
 * The loop: open the capture, seed the process table from its initial
 * tables, then for each event decode it in place, apply it to the state
 * (proc_event_apply), hand the event and what it refers to (thread,
 * process, fd) to the caller, and finish the state update (proc_event_done).
 * One worker owns everything here; the multi-worker engine lives in
 * src/engine/. Alerts print like the reference engine's: a text line
 * "HH:MM:SS.nnnnnnnnn: Priority output" or its JSON object (src/output).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abi/event_table.h"
#include "capture/capture.h"
#include "cli.h"
#include "engine/engine.h"
#include "output/output.h"
#include "rules/ruleset.h"
#include "state/state.h"

/* Quiescent states every this many events: pointers live across a batch. */
#define REPLAY_BATCH 64

int cli_replay(const char *path, cli_replay_fn fn, void *arg)
{
	struct proc_table *pt = NULL;
	struct proc_worker *pw = NULL;
	struct cap_reader *r;
	struct cap_error err = { 0 };
	const struct cap_machine *m;
	struct cap_event ce;
	struct fld_ctx c;
	uint64_t num = 0;
	int rc, stop = 0;

	r = cap_reader_open(path, &err);
	if (!r) {
		fprintf(stderr, "peregrine: %s: %s\n", path, err.msg);
		return err.err == -EINVAL ? CLI_EXIT_BADINPUT : CLI_EXIT_FAIL;
	}
	pt = proc_table_new(NULL);
	pw = pt ? proc_worker_register(pt) : NULL;
	if (!pw) {
		fprintf(stderr, "peregrine: cannot create the process table: %s\n",
			strerror(errno));
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	proc_state_from_capture(pw, cap_reader_tables(r), NULL, NULL);
	m = cap_reader_machine(r);
	memset(&c, 0, sizeof(c));
	c.hostname = m ? m->hostname : NULL;
	c.pw = pw;
	while (!stop && (rc = cap_reader_next(r, &ce)) > 0) {
		struct proc_evt_ref ref;
		struct evt ev;

		if (evt_decode(ce.hdr, ce.len, &ev, NULL) != EVT_OK) {
			fprintf(stderr, "peregrine: %s: offset %" PRIu64 ": event does not decode\n",
				path, ce.offset);
			rc = CLI_EXIT_BADINPUT;
			goto out;
		}
		if (!c.first_ts)
			c.first_ts = ce.hdr->ts;
		/* keyed like the engine's workers (the event's index): what an
		 * event sees never depends on where a batch happens to end */
		proc_worker_set_key(pw, ++num);
		if ((num & (ENG_PURGE_EVERY - 1)) == 0)
			proc_worker_purge(pw, ce.hdr->ts, PROC_PURGE_ALL);
		proc_event_apply(pw, &ev, ce.cpu, &ref);
		fld_ctx_set_event(&c, pw, &ev, ce.cpu, num, &ref);
		/* meta events (procinfo, useradded, ...) feed the state only: libs
		 * numbers them but hides them from filters and rules */
		if (ev.info->origin != ECAT_METAEVENT)
			stop = fn(arg, &c);
		proc_event_done(pw, &ref);
		/* as the engine: a procexit ends the batch, the thread is a
		 * tomb from the next event on */
		if (num % REPLAY_BATCH == 0 || ev.hdr->type == EVT_PROCEXIT_1_E ||
		    ev.hdr->type == EVT_PROCEXIT_E)
			proc_worker_quiescent(pw);
	}
	if (rc < 0) {
		fprintf(stderr, "peregrine: %s: %s\n", path, cap_reader_error(r)->msg);
		rc = rc == -EINVAL ? CLI_EXIT_BADINPUT : CLI_EXIT_FAIL;
	} else {
		rc = stop < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}
out:
	if (pw)
		proc_worker_unregister(pw);
	proc_table_destroy(pt);
	cap_reader_close(r);
	return rc;
}

/* ---- -r RULES -e CAPTURE ---- */

struct replay {
	const struct rule_ruleset *rs;
	struct rule_worker *w;
	struct out_fmt fmt;
	struct out_alert *alert;
	char *line;
	size_t line_cap;
	uint64_t matches;
	uint64_t by_prio[RULE_PRIO_COUNT];
	uint64_t *by_rule;
	bool first_only;
};

static int add_field(void *arg, const char *name, const struct fld_vals *v)
{
	struct out_alert *a = arg;
	enum out_fv_kind kind = OUT_FV_STR;
	char buf[1024];
	size_t n;

	if (v->n == 0) {
		out_alert_add_field(a, name, "", 0, OUT_FV_NULL);
		return 0;
	}
	if (v->n == 1 && fld_type__is_number(v->type))
		kind = OUT_FV_NUM;
	else if (v->n == 1 && v->type == FLD_T_BOOL)
		kind = OUT_FV_BOOL;
	n = fld_vals__render(v, buf, sizeof(buf));
	out_alert_add_field(a, name, buf, n < sizeof(buf) ? n : sizeof(buf) - 1, kind);
	return 0;
}

static int on_match(void *arg, const struct rule_match *m)
{
	struct replay *rp = arg;
	struct out_alert *a = rp->alert;
	char out[OUT_OUTPUT_MAX];
	size_t i, n;

	out_alert_init(a, m->ctx->ev->hdr->ts, m->rule->priority, m->rule->name, m->rule->source);
	for (i = 0; i < m->rule->ntags; i++)
		out_alert_add_tag(a, m->rule->tags[i]);
	n = rule_match__output(m, out, sizeof(out));
	out_alert_set_output(a, out, n < sizeof(out) ? n : sizeof(out) - 1);
	if (rp->fmt.json)
		rule_match__foreach_field(m, add_field, a);
	n = out_format(a, &rp->fmt, rp->line, rp->line_cap);
	fwrite(rp->line, 1, n < rp->line_cap ? n : rp->line_cap - 1, stdout);
	fputc('\n', stdout);
	rp->matches++;
	rp->by_prio[m->rule->priority]++;
	rp->by_rule[m->rule->index]++;
	return 0;
}

static int replay_event(void *arg, const struct fld_ctx *c)
{
	struct replay *rp = arg;

	rule_eval(rp->rs, rp->w, c, rp->first_only, on_match, rp);
	return 0;
}

static void print_summary(const struct replay *rp)
{
	size_t i;

	fprintf(stderr, "Events detected: %" PRIu64 "\n", rp->matches);
	fprintf(stderr, "Rule counts by severity:\n");
	for (i = 0; i < RULE_PRIO_COUNT; i++) {
		if (rp->by_prio[i]) {
			char up[32];
			size_t j;

			snprintf(up, sizeof(up), "%s", rule_priority_name((enum rule_priority)i));
			for (j = 0; up[j]; j++)
				up[j] = (char)(up[j] >= 'a' && up[j] <= 'z' ? up[j] - 32 : up[j]);
			fprintf(stderr, "   %s: %" PRIu64 "\n", up, rp->by_prio[i]);
		}
	}
	fprintf(stderr, "Triggered rules by rule name:\n");
	for (i = 0; i < rule_ruleset__nrules(rp->rs); i++) {
		if (rp->by_rule[i])
			fprintf(stderr, "   %s: %" PRIu64 "\n", rule_ruleset__rule(rp->rs, i)->name,
				rp->by_rule[i]);
	}
}

static int replay_usage(void)
{
	fprintf(stderr, "usage: peregrine -r RULES... -e CAPTURE [--json] [--all-matches]\n"
			"                 [--min-priority PRIORITY]\n");
	return CLI_EXIT_BADINPUT;
}

int cmd_replay(int argc, char **argv)
{
	const char **files = calloc((size_t)argc + 1, sizeof(*files));
	const char *capture = NULL;
	struct rule_compile_opts opts = { 0 };
	struct replay rp = { 0 };
	struct rule_set *set = NULL;
	char host[256] = "";
	size_t nfiles = 0;
	int i, rc = CLI_EXIT_BADINPUT;
	bool in_r = false;

	if (!files)
		return CLI_EXIT_FAIL;
	rp.first_only = true;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-r") == 0) {
			in_r = true;
		} else if (strcmp(argv[i], "-e") == 0 && i + 1 < argc) {
			capture = argv[++i];
			in_r = false;
		} else if (strcmp(argv[i], "--json") == 0) {
			rp.fmt.json = true;
		} else if (strcmp(argv[i], "--all-matches") == 0) {
			rp.first_only = false;
		} else if (strcmp(argv[i], "--min-priority") == 0 && i + 1 < argc) {
			if (rule_priority_parse(argv[++i], &opts.min_priority)) {
				fprintf(stderr, "peregrine: unknown priority '%s'\n", argv[i]);
				goto out;
			}
			opts.min_priority_set = true;
		} else if (in_r && argv[i][0] != '-') {
			files[nfiles++] = argv[i];
		} else {
			replay_usage();
			goto out;
		}
	}
	if (!nfiles || !capture) {
		replay_usage();
		goto out;
	}
	rc = cli_load_rules(files, nfiles, &opts, &set, &rp.rs, false);
	if (rc)
		goto out;
	rp.w = rule_worker_new(rp.rs);
	rp.alert = malloc(sizeof(*rp.alert));
	rp.line_cap = 2 * (OUT_OUTPUT_MAX + OUT_FBUF_MAX + OUT_TAGS_MAX + 1024);
	rp.line = malloc(rp.line_cap);
	rp.by_rule = calloc(rule_ruleset__nrules(rp.rs) + 1, sizeof(*rp.by_rule));
	if (!rp.w || !rp.alert || !rp.line || !rp.by_rule) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	gethostname(host, sizeof(host) - 1);
	rp.fmt.hostname = host;
	rp.fmt.json_output_prop = true;
	rp.fmt.json_tags_prop = true;
	rc = cli_replay(capture, replay_event, &rp);
	if (fflush(stdout) && rc == CLI_EXIT_OK)
		rc = CLI_EXIT_FAIL;
	if (rc == CLI_EXIT_OK)
		print_summary(&rp);
out:
	free(rp.by_rule);
	free(rp.line);
	free(rp.alert);
	rule_worker_free(rp.w);
	rule_ruleset_free((struct rule_ruleset *)rp.rs);
	rule_set_free(set);
	free(files);
	return rc;
}
