/*
 * cmd_capture.c - `peregrine capture info|cat|gen`: look into, print and copy
 * .scap captures.
 *
 *   info FILE                  version, machine, blocks, events per type,
 *                              time span, initial table sizes
 *   cat FILE [-w OUT] [--gzip] one line per event, or copy the events (with
 *                              the initial tables) into a new capture
 *   cat FILE COND [-p FORMAT]  the events matching a condition (state built
 *                              while reading), printed with a sysdig -p format
 *       [--workers N] [--partition tgid|tid|cpu]
 *                              the same on the engine's N replay workers, each
 *                              building the state of its partition and
 *                              printing its own events (in another order)
 *   gen ...                    synthetic captures (cmd_gen.c)
 *
 * A corrupt capture ends with status 2 and one error line naming the byte
 * offset; `cat` reads the whole capture once before printing so a corrupt
 * file prints nothing but that line, and `cat -w` removes its partial output.
 * Subcommands are a table: adding one is a function and a row.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "abi/event_table.h"
#include "capture/capture.h"
#include "cli.h"
#include "engine/engine.h"
#include "output/output.h"
#include "rules/ruleset.h"
#include "state/state.h"

struct capture_cmd {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand */
	const char *usage;
};

static int capture_usage(FILE *f);

static int open_or_report(const char *path, struct cap_reader **r)
{
	struct cap_error err = { 0 };

	*r = cap_reader_open(path, &err);
	if (!*r) {
		fprintf(stderr, "peregrine: %s: %s\n", path, err.msg);
		return err.err == -EINVAL ? CLI_EXIT_BADINPUT : CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

static int report_read_error(const char *path, struct cap_reader *r, int rc)
{
	fprintf(stderr, "peregrine: %s: %s\n", path, cap_reader_error(r)->msg);
	return rc == -EINVAL ? CLI_EXIT_BADINPUT : CLI_EXIT_FAIL;
}

static void print_ts(FILE *f, const char *label, uint64_t ts)
{
	time_t sec = (time_t)(ts / 1000000000ull);
	struct tm tm;
	char buf[64];

	gmtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "%-10s %s.%09" PRIu64 "Z (%" PRIu64 ")\n", label, buf, (uint64_t)(ts % 1000000000ull),
		ts);
}

/* `capture info FILE` */
static int capture_info(int argc, char **argv)
{
	const struct cap_block_count *blocks;
	const struct cap_reader_stats *st;
	const struct cap_tables *t;
	const struct cap_machine *m;
	struct cap_reader *r;
	struct cap_event ev;
	uint64_t *per_type;
	uint32_t nblocks, i, nprocs = 0;
	uint16_t major, minor;
	int rc;

	if (argc != 2)
		return capture_usage(stderr);
	rc = open_or_report(argv[1], &r);
	if (rc)
		return rc;
	per_type = calloc(evt_table_size, sizeof(*per_type));
	if (!per_type) {
		cap_reader_close(r);
		fprintf(stderr, "peregrine: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	while ((rc = cap_reader_next(r, &ev)) > 0) {
		if (ev.hdr->type < evt_table_size)
			per_type[ev.hdr->type]++;
	}
	if (rc < 0) {
		rc = report_read_error(argv[1], r, rc);
		goto out;
	}

	cap_reader_version(r, &major, &minor);
	printf("%-10s %s (%s)\n", "file", argv[1], cap_reader_is_gzip(r) ? "gzip" : "raw");
	printf("%-10s scap %u.%u\n", "version", major, minor);
	m = cap_reader_machine(r);
	if (m)
		printf("%-10s hostname=%s cpus=%u memory=%" PRIu64 " MiB max_pid=%" PRIu64 "\n",
		       "machine", m->hostname, m->num_cpus, m->memory_bytes >> 20, m->max_pid);
	else
		printf("%-10s (none)\n", "machine");
	blocks = cap_reader_block_counts(r, &nblocks);
	printf("%-10s", "blocks");
	for (i = 0; i < nblocks; i++)
		printf(" %s=%" PRIu64, cap_block_name(blocks[i].type), blocks[i].count);
	printf("\n");
	st = cap_reader_stats(r);
	printf("%-10s %" PRIu64 " (converted from old layouts %" PRIu64 ", kept in old layout %" PRIu64
	       ", skipped unknown types %" PRIu64 ")\n",
	       "events", st->events, st->converted, st->kept_old, st->skipped_unknown);
	for (i = 0; i < evt_table_size; i++) {
		const struct evt_info *info = evt_info((uint16_t)i);

		if (per_type[i])
			printf("  %c %-24s %" PRIu64 "\n", evt_type_is_enter((uint16_t)i) ? '>' : '<',
			       info && info->name ? info->name : "?", per_type[i]);
	}
	if (st->events) {
		print_ts(stdout, "first", st->first_ts);
		print_ts(stdout, "last", st->last_ts);
		printf("%-10s %.9f s\n", "duration",
		       (double)(int64_t)(st->last_ts - st->first_ts) / 1e9);
	}
	t = cap_reader_tables(r);
	for (i = 0; i < t->nprocs; i++)
		nprocs += t->procs[i].tid == t->procs[i].pid;
	printf("%-10s processes=%u threads=%u fds=%u users=%u groups=%u interfaces=%u\n", "tables",
	       nprocs, t->nprocs, t->nfds, t->nusers, t->ngroups, t->nifaces);
	rc = CLI_EXIT_OK;
out:
	free(per_type);
	cap_reader_close(r);
	return rc;
}

/* Append parameter @i of @e as " name=value" to @line (grown as needed). */
static int append_param(const struct evt *e, uint32_t i, char **line, size_t *cap, size_t *len)
{
	const char *name = i < e->info->nparams ? e->info->params[i].name : NULL;
	char argname[16];
	size_t need, n;

	if (!name) {
		snprintf(argname, sizeof(argname), "arg%u", i);
		name = argname;
	}
	n = strlen(name);
	for (;;) {
		size_t room = *cap - *len;

		if (room > n + 2) {
			need = evt_print_param(e, i, *line + *len + n + 2, room - n - 2);
			if (need < room - n - 2) {
				(*line)[*len] = ' ';
				memcpy(*line + *len + 1, name, n);
				(*line)[*len + n + 1] = '=';
				*len += n + 2 + need;
				return 0;
			}
		} else {
			need = 0;
		}
		char *p = realloc(*line, *cap * 2 + need + n + 2);

		if (!p)
			return -ENOMEM;
		*line = p;
		*cap = *cap * 2 + need + n + 2;
	}
}

/* One decoded event as a `cat` line into *line (grown as needed), with its
 * newline; returns the length, or -ENOMEM. */
static long format_decoded(const struct evt *ev, uint16_t cpu, uint64_t num, char **line,
			   size_t *cap)
{
	const struct evt_hdr *h = ev->hdr;
	const struct evt e = *ev;
	size_t len;
	uint32_t i;
	int n;

	n = snprintf(*line, *cap, "%" PRIu64 " %" PRIu64 ".%09" PRIu64 " %u %" PRIu64 " %c %s",
		     num, (uint64_t)(h->ts / 1000000000ull), (uint64_t)(h->ts % 1000000000ull), cpu,
		     (uint64_t)h->tid,
		     evt_type_is_enter(h->type) ? '>' : '<', e.info->name ? e.info->name : "?");
	len = (size_t)n < *cap ? (size_t)n : *cap - 1;
	for (i = 0; i < e.nparams; i++) {
		if (append_param(&e, i, line, cap, &len))
			return -ENOMEM;
	}
	(*line)[len++] = '\n';
	return (long)len;
}

/* Print one decoded event as a `cat` line. */
static int print_decoded(const struct evt *ev, uint16_t cpu, uint64_t num, char **line,
			 size_t *cap)
{
	long len = format_decoded(ev, cpu, num, line, cap);

	if (len < 0)
		return (int)len;
	fwrite(*line, 1, (size_t)len, stdout);
	return 0;
}

static int print_event(const struct cap_event *ev, uint64_t num, char **line, size_t *cap)
{
	struct evt e;

	if (evt_decode(ev->hdr, ev->len, &e, NULL) != EVT_OK)
		return -EINVAL;
	return print_decoded(&e, ev->cpu, num, line, cap);
}

/*
 * `cat FILE CONDITION... [-p FORMAT]`: events replayed through the state,
 * filtered by a condition (sysdig's filter syntax, no macros or lists) and
 * printed as cat lines or with a sysdig -p format. As sysdig does, -p prints
 * only events where every field of the format has a value, unless the
 * format starts with '*'; and procinfo meta events are not shown.
 */
struct cat_filter {
	const struct rule_ruleset *rs;
	struct rule_worker *w;
	struct rule_format *fmt;
	struct fld_worker *fw;
	bool print_all;
	char *line;
	size_t cap;
	struct cap_writer *out; /* -w with a condition: matching events go here */
	int werr;		/* first write error */
	uint64_t waits;		/* --workers: waits for a full output queue */
};

/* The -p line of an event into cf->line, newline included: its length, 0
 * when the event is not printed (a field without a value), -ENOMEM. */
static long cat_render(struct cat_filter *cf, const struct fld_ctx *c)
{
	size_t n;

	fld_worker__begin(cf->fw);
	if (!cf->print_all && !rule_format__all_present(cf->fmt, cf->fw, c))
		return 0;
	for (;;) {
		n = rule_format__render(cf->fmt, cf->fw, c, cf->line, cf->cap);
		if (n + 1 < cf->cap)
			break;
		char *p = realloc(cf->line, n + 2);

		if (!p)
			return -ENOMEM;
		cf->line = p;
		cf->cap = n + 2;
	}
	cf->line[n] = '\n';
	return (long)n + 1;
}

static int cat_filter_event(void *arg, const struct fld_ctx *c)
{
	struct cat_filter *cf = arg;
	long n;

	if (cf->rs && !rule_eval(cf->rs, cf->w, c, true, NULL, NULL))
		return 0;
	if (cf->out) {
		cf->werr = cap_writer_event(cf->out, c->cpu, c->ev->hdr, 0);
		return cf->werr ? -1 : 0;
	}
	if (!cf->fmt)
		return print_decoded(c->ev, c->cpu, c->num, &cf->line, &cf->cap) ? -1 : 0;
	n = cat_render(cf, c);
	if (n < 0)
		return -1;
	fwrite(cf->line, 1, (size_t)n, stdout);
	return 0;
}

/* The writer of a cut: the input's machine info and initial tables, so the
 * selected events keep their processes, fds and users. */
static struct cap_writer *cut_open(const char *in, const char *out, unsigned flags)
{
	struct cap_error err = { 0 };
	struct cap_writer *w;
	struct cap_reader *r;

	if (open_or_report(in, &r))
		return NULL;
	w = cap_writer_open(out, flags, cap_reader_machine(r), cap_reader_tables(r), &err);
	if (!w)
		fprintf(stderr, "peregrine: %s: %s\n", out, err.msg);
	cap_reader_close(r);
	return w;
}

/*
 * `cat FILE [CONDITION] [-p FORMAT] --workers N [--partition P]`: the same
 * selection and lines, made by the engine's replay workers (engine.h): each
 * worker builds the state of its own partition (reading the others' AS OF
 * each event, so every line is what one worker prints) and formats its own
 * events in eng_opts.on_event; the lines go through the output stage's
 * queue to its one thread, which writes them to stdout. With one worker
 * that is the capture's order; with more, each worker's lines keep theirs
 * but interleave. No line is ever dropped: a worker that finds the queue
 * full waits for the output thread (out_line_put_wait_mp), which a live
 * engine must never do but a capture replay may -- it only slows the
 * replay, and the output thread waits for nobody. The waits are counted
 * and shown with the other figures when `PEREGRINE_CAT_STATS` is set.
 */
#define CAT_QUEUE_SLOTS 1024 /* lines in flight (a slot is ~7 KiB) */

struct cat_workers {
	struct cat_filter *wk; /* one per worker: its own rule/field scratch and line */
	unsigned n;
	struct out *out;
	const char *hostname; /* NULL when the capture has no machine block */
};

/* eng_opts.on_event, on worker @worker. */
static int cat_worker_event(void *arg, unsigned worker, const struct fld_ctx *c)
{
	struct cat_workers *cw = arg;
	struct cat_filter *cf = &cw->wk[worker];
	struct fld_ctx cc = *c;
	long n;

	/* what the one-thread replay gives: no hostname without a machine block */
	cc.hostname = cw->hostname;
	if (cf->rs && !rule_eval(cf->rs, cf->w, &cc, true, NULL, NULL))
		return 0;
	if (cf->fmt)
		n = cat_render(cf, &cc);
	else
		n = format_decoded(cc.ev, cc.cpu, cc.num, &cf->line, &cf->cap);
	if (n <= 0)
		return (int)n;
	/* cf->waits: written by this worker only, read after the join */
	return out_line_put_wait_mp(cw->out, worker, cc.ev->hdr->ts, cf->line, (size_t)n - 1,
				    &cf->waits);
}

/* The capture's hostname, as cli_replay passes it (NULL without one). */
static char *cat_hostname(const char *in)
{
	struct cap_error err = { 0 };
	const struct cap_machine *m;
	struct cap_reader *r = cap_reader_open(in, &err);
	char *h = NULL;

	if (!r)
		return NULL;
	m = cap_reader_machine(r);
	if (m)
		h = strdup(m->hostname);
	cap_reader_close(r);
	return h;
}

static int cat_workers_run(const char *in, struct cat_workers *cw, unsigned workers,
			   enum eng_partition part)
{
	struct eng_opts eo = { .workers = workers, .part = part };
	struct out_config oc;
	struct eng_stats es;
	struct eng *e = NULL;
	char err[512] = "";
	int rc;

	out_config_default(&oc);
	oc.queue_capacity = CAT_QUEUE_SLOTS;
	cw->out = out_new(&oc, cw->n, err, sizeof(err));
	if (!cw->out) {
		fprintf(stderr, "peregrine: %s\n", err[0] ? err : strerror(errno));
		return CLI_EXIT_FAIL;
	}
	eo.on_event = cat_worker_event;
	eo.on_event_arg = cw;
	e = eng_new(&eo, NULL, cw->out);
	if (!e || out_start(cw->out) < 0) {
		fprintf(stderr, "peregrine: cannot start the engine: %s\n", strerror(errno));
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	rc = eng_start_replay(e, in, err, sizeof(err));
	if (rc == 0) {
		rc = eng_join(e, err, sizeof(err));
	} else {
		char jerr[8];

		eng_join(e, jerr, sizeof(jerr)); /* the workers that started */
	}
	out_stop(cw->out);
	if (rc < 0) {
		fprintf(stderr, "peregrine: %s: %s\n", in, err);
		rc = rc == -EINVAL ? CLI_EXIT_BADINPUT : CLI_EXIT_FAIL;
		goto out;
	}
	eng_stats(e, &es);
	{
		uint64_t bad = 0;

		for (unsigned i = 0; i < es.nworkers; i++)
			bad += es.w[i].rejected;
		if (bad) {
			fprintf(stderr, "peregrine: %s: %" PRIu64 " events do not decode\n", in, bad);
			rc = CLI_EXIT_BADINPUT;
			goto out;
		}
	}
	if (getenv("PEREGRINE_CAT_STATS")) {
		struct proc_upd_stats us;
		struct proc_stats ps;
		struct out_stats os;
		uint64_t waits = 0;

		out_stats(cw->out, &os);
		proc_table_stats(eng_proc_table(e), &ps);
		proc_upd_stats(eng_proc_table(e), &us);
		for (unsigned i = 0; i < cw->n; i++)
			waits += cw->wk[i].waits;
		fprintf(stderr,
			"cat: %u workers (%s), %" PRIu64 " events, %" PRIu64 " lines, %" PRIu64
			" waits for a full queue, %" PRIu64 " dropped; state: %" PRIu64
			" progress waits, forks across partitions: %" PRIu64 " fd snapshots (%" PRIu64
			" freed), %" PRIu64 " children given them, %" PRIu64 " not; replicas: %" PRIu64
			" made, %" PRIu64 " joined, %" PRIu64 " events applied to them\n",
			es.nworkers, eng_partition_name(part), es.events, os.written, waits,
			os.queue_drops, ps.progress_waits, ps.fork_snapshots,
			ps.fork_snapshots_freed, us.fds_inherited_remote, us.fds_not_inherited,
			ps.replicas, ps.replica_joins, us.held_events);
	}
	rc = CLI_EXIT_OK;
out:
	eng_free(e);
	out_free(cw->out);
	cw->out = NULL;
	return rc;
}

/* One cat_filter per worker, sharing @proto's compiled condition and
 * format (read-only), each with its own scratch and line buffer. */
static int cat_workers_new(struct cat_workers *cw, const struct cat_filter *proto, const char *in,
			   unsigned n)
{
	cw->wk = calloc(n, sizeof(*cw->wk));
	if (!cw->wk)
		return CLI_EXIT_FAIL;
	cw->n = n;
	cw->hostname = cat_hostname(in);
	for (unsigned i = 0; i < n; i++) {
		struct cat_filter *cf = &cw->wk[i];

		cf->rs = proto->rs;
		cf->fmt = proto->fmt;
		cf->print_all = proto->print_all;
		cf->cap = 1 << 12;
		cf->line = malloc(cf->cap);
		cf->w = cf->rs ? rule_worker_new(cf->rs) : NULL;
		cf->fw = cf->fmt ? rule_format__worker(cf->fmt) : NULL;
		if (!cf->line || (cf->rs && !cf->w) || (cf->fmt && !cf->fw)) {
			fprintf(stderr, "peregrine: out of memory\n");
			return CLI_EXIT_FAIL;
		}
	}
	return CLI_EXIT_OK;
}

static void cat_workers_free(struct cat_workers *cw)
{
	for (unsigned i = 0; cw->wk && i < cw->n; i++) {
		rule_worker_free(cw->wk[i].w);
		fld_worker_free(cw->wk[i].fw);
		free(cw->wk[i].line);
	}
	free(cw->wk);
	free((char *)cw->hostname);
	memset(cw, 0, sizeof(*cw));
}

/*
 * Print the events of @in that match @cond, with @format; or, with @out,
 * write them to a new capture instead (a cut). @workers > 0: on the
 * engine's workers (cat_workers_run), never with @out.
 */
static int cat_filtered(const char *in, const char *cond, const char *format, const char *out,
			unsigned flags, unsigned workers, enum eng_partition part)
{
	struct cat_filter cf = { 0 };
	struct cat_workers cw = { 0 };
	struct diag_list *dl = diag_list_new();
	struct rule_ruleset *rs = NULL;
	int rc = CLI_EXIT_FAIL;

	cf.cap = 1 << 16;
	cf.line = malloc(cf.cap);
	if (!dl || !cf.line)
		goto out;
	if (cond) {
		rs = rule_compile_condition("filter", cond, dl);
		if (!rs) {
			diag_list__render(dl, stderr);
			rc = errno == ENOMEM ? CLI_EXIT_FAIL : CLI_EXIT_BADINPUT;
			goto out;
		}
		cf.rs = rs;
		cf.w = rule_worker_new(rs);
		if (!cf.w)
			goto out;
	}
	if (format) {
		const char *err = NULL;
		size_t off = 0;

		cf.print_all = format[0] == '*';
		cf.fmt = rule_format_new(format + cf.print_all, &err, &off);
		if (!cf.fmt) {
			if (errno == ENOMEM)
				goto out;
			fprintf(stderr, "peregrine: -p: at offset %zu: %s\n", off + cf.print_all,
				err);
			rc = CLI_EXIT_BADINPUT;
			goto out;
		}
		cf.fw = rule_format__worker(cf.fmt);
		if (!cf.fw)
			goto out;
	}
	if (workers) {
		rc = cat_workers_new(&cw, &cf, in, workers);
		if (rc == CLI_EXIT_OK)
			rc = cat_workers_run(in, &cw, workers, part);
		if (fflush(stdout) && rc == CLI_EXIT_OK)
			rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (out) {
		cf.out = cut_open(in, out, flags);
		if (!cf.out) {
			unlink(out);
			goto out;
		}
	}
	rc = cli_replay(in, cat_filter_event, &cf);
	if (cf.out) {
		int crc = cap_writer_close(cf.out);

		if (cf.werr || crc) {
			fprintf(stderr, "peregrine: %s: write failed: %s\n", out,
				strerror(-(cf.werr ? cf.werr : crc)));
			rc = CLI_EXIT_FAIL;
		}
		if (rc != CLI_EXIT_OK)
			unlink(out);
	}
	if (fflush(stdout) && rc == CLI_EXIT_OK)
		rc = CLI_EXIT_FAIL;
out:
	cat_workers_free(&cw);
	fld_worker_free(cf.fw);
	rule_format_free(cf.fmt);
	rule_worker_free(cf.w);
	rule_ruleset_free(rs);
	diag_list_free(dl);
	free(cf.line);
	return rc;
}

/* Print every event of @path; the capture was validated by a first pass. */
static int cat_print(const char *path)
{
	size_t cap = 1 << 16;
	char *line = malloc(cap);
	struct cap_reader *r;
	struct cap_event ev;
	uint64_t num = 0;
	int rc;

	if (!line)
		return CLI_EXIT_FAIL;
	rc = open_or_report(path, &r);
	if (rc) {
		free(line);
		return rc;
	}
	while ((rc = cap_reader_next(r, &ev)) > 0) {
		rc = print_event(&ev, ++num, &line, &cap);
		if (rc) {
			fflush(stdout);
			fprintf(stderr, "peregrine: %s: offset %" PRIu64 ": event %" PRIu64
				" does not decode\n", path, ev.offset, num);
			rc = CLI_EXIT_BADINPUT;
			goto out;
		}
	}
	rc = rc < 0 ? report_read_error(path, r, rc) : CLI_EXIT_OK;
out:
	free(line);
	cap_reader_close(r);
	if (fflush(stdout) && rc == CLI_EXIT_OK)
		rc = CLI_EXIT_FAIL;
	return rc;
}

/* Read all of @path once without printing: a corrupt capture fails here. */
static int cat_validate(const char *path)
{
	struct cap_reader *r;
	struct cap_event ev;
	struct evt e;
	int rc;

	rc = open_or_report(path, &r);
	if (rc)
		return rc;
	while ((rc = cap_reader_next(r, &ev)) > 0) {
		if (evt_decode(ev.hdr, ev.len, &e, NULL) != EVT_OK) {
			fprintf(stderr, "peregrine: %s: offset %" PRIu64 ": event does not decode\n",
				path, ev.offset);
			cap_reader_close(r);
			return CLI_EXIT_BADINPUT;
		}
	}
	rc = rc < 0 ? report_read_error(path, r, rc) : CLI_EXIT_OK;
	cap_reader_close(r);
	return rc;
}

/* Copy @in's events and initial tables into a new capture @out. */
static int cat_write(const char *in, const char *out, unsigned flags)
{
	struct cap_writer *w = NULL;
	struct cap_error err = { 0 };
	struct cap_reader *r;
	struct cap_event ev;
	int rc, wrc = 0;

	rc = open_or_report(in, &r);
	if (rc)
		return rc;
	w = cap_writer_open(out, flags, cap_reader_machine(r), cap_reader_tables(r), &err);
	if (!w) {
		fprintf(stderr, "peregrine: %s: %s\n", out, err.msg);
		cap_reader_close(r);
		unlink(out);
		return CLI_EXIT_FAIL;
	}
	while ((rc = cap_reader_next(r, &ev)) > 0) {
		wrc = cap_writer_event(w, ev.cpu, ev.hdr, ev.flags);
		if (wrc)
			break;
	}
	if (wrc) {
		fprintf(stderr, "peregrine: %s: %s\n", out, cap_writer_error(w)->msg);
		rc = CLI_EXIT_FAIL;
	} else if (rc < 0) {
		rc = report_read_error(in, r, rc);
	}
	wrc = cap_writer_close(w);
	if (!rc && wrc) {
		fprintf(stderr, "peregrine: %s: write failed: %s\n", out, strerror(-wrc));
		rc = CLI_EXIT_FAIL;
	}
	cap_reader_close(r);
	if (rc)
		unlink(out);
	return rc;
}

/* `capture cat FILE [CONDITION...] [-p FORMAT] [--workers N] [--partition P] [-w OUT] [--gzip]
 * [--compat-2022]` */
static int capture_cat(int argc, char **argv)
{
	const char *in = NULL, *out = NULL, *format = NULL;
	enum eng_partition part = ENG_PART_TGID;
	unsigned workers = 0; /* 0: the one-thread replay (cli_replay) */
	bool have_part = false;
	char *cond = NULL;
	size_t clen = 0;
	unsigned flags = 0;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-w") == 0 && i + 1 < argc) {
			out = argv[++i];
		} else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) {
			format = argv[++i];
		} else if (strcmp(argv[i], "--gzip") == 0) {
			flags |= CAP_WRITE_GZIP;
		} else if (strcmp(argv[i], "--compat-2022") == 0) {
			flags |= CAP_WRITE_COMPAT_2022;
		} else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
			char *end;
			unsigned long n = strtoul(argv[++i], &end, 10);

			if (!*argv[i] || *end || n < 1 || n > ENG_MAX_WORKERS) {
				fprintf(stderr, "peregrine: --workers: expected 1..%u, got '%s'\n",
					ENG_MAX_WORKERS, argv[i]);
				free(cond);
				return CLI_EXIT_BADINPUT;
			}
			workers = (unsigned)n;
		} else if (strcmp(argv[i], "--partition") == 0 && i + 1 < argc) {
			if (eng_partition_parse(argv[++i], &part) < 0) {
				fprintf(stderr, "peregrine: --partition: expected tgid, tid or cpu, "
						"got '%s'\n", argv[i]);
				free(cond);
				return CLI_EXIT_BADINPUT;
			}
			have_part = true;
		} else if (argv[i][0] != '-' && !in) {
			in = argv[i];
		} else if (in && (argv[i][0] != '-' || !argv[i][1] || argv[i][1] == ' ')) {
			/* condition words, joined with spaces as sysdig does */
			size_t n = strlen(argv[i]);
			char *p = realloc(cond, clen + n + 2);

			if (!p) {
				free(cond);
				return CLI_EXIT_FAIL;
			}
			cond = p;
			if (clen)
				cond[clen++] = ' ';
			memcpy(cond + clen, argv[i], n + 1);
			clen += n;
		} else {
			free(cond);
			return capture_usage(stderr);
		}
	}
	if (!in || (flags && !out) || (out && format)) {
		free(cond);
		return capture_usage(stderr);
	}
	/* a cut keeps the capture's order: one thread; so does a plain cat,
	 * which builds no state */
	if (have_part && !workers)
		workers = 1;
	if (out || (!cond && !format))
		workers = 0;
	if (cond || format) {
		rc = cat_filtered(in, cond, format, out, flags, workers, part);
		free(cond);
		return rc;
	}
	if (out)
		return cat_write(in, out, flags);
	rc = cat_validate(in);
	return rc ? rc : cat_print(in);
}

static const struct capture_cmd capture_cmds[] = {
	{ "info", capture_info, "info FILE" },
	{ "cat", capture_cat,
	  "cat FILE [CONDITION] [-p FORMAT] [--workers N] [--partition tgid|tid|cpu] | "
	  "cat FILE [CONDITION] -w OUT [--gzip] [--compat-2022]" },
	{ "gen", cmd_capture_gen, "gen -o FILE [--events N] [--procs P] ..." },
};

static int capture_usage(FILE *f)
{
	size_t i;

	for (i = 0; i < sizeof(capture_cmds) / sizeof(capture_cmds[0]); i++)
		fprintf(f, "%s peregrine capture %s\n", i ? "      " : "usage:",
			capture_cmds[i].usage);
	return f == stdout ? CLI_EXIT_OK : CLI_EXIT_BADINPUT;
}

int cmd_capture(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return capture_usage(stderr);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return capture_usage(stdout);
	for (i = 0; i < sizeof(capture_cmds) / sizeof(capture_cmds[0]); i++) {
		if (strcmp(argv[1], capture_cmds[i].name) == 0)
			return capture_cmds[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "peregrine: capture: unknown subcommand '%s'\n", argv[1]);
	return capture_usage(stderr);
}
