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
 *   gen ...                    synthetic captures (cmd_gen.c)
 *
 * A corrupt capture ends with status 2 and one error line naming the byte
 * offset; `cat` reads the whole capture once before printing so a corrupt
 * file prints nothing but that line, and `cat -w` removes its partial output.
 * Subcommands are a table: adding one is a function and a row.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "abi/event_table.h"
#include "capture/capture.h"
#include "cli.h"
#include "rules/ruleset.h"

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

/* Print one decoded event as a `cat` line. */
static int print_decoded(const struct evt *ev, uint16_t cpu, uint64_t num, char **line,
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
	fwrite(*line, 1, len, stdout);
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
};

static int cat_filter_event(void *arg, const struct fld_ctx *c)
{
	struct cat_filter *cf = arg;
	size_t n;

	if (cf->rs && !rule_eval(cf->rs, cf->w, c, true, NULL, NULL))
		return 0;
	if (cf->out) {
		cf->werr = cap_writer_event(cf->out, c->cpu, c->ev->hdr, 0);
		return cf->werr ? -1 : 0;
	}
	if (!cf->fmt)
		return print_decoded(c->ev, c->cpu, c->num, &cf->line, &cf->cap) ? -1 : 0;
	fld_worker__begin(cf->fw);
	if (!cf->print_all && !rule_format__all_present(cf->fmt, cf->fw, c))
		return 0;
	for (;;) {
		n = rule_format__render(cf->fmt, cf->fw, c, cf->line, cf->cap);
		if (n + 1 < cf->cap)
			break;
		char *p = realloc(cf->line, n + 2);

		if (!p)
			return -1;
		cf->line = p;
		cf->cap = n + 2;
	}
	cf->line[n] = '\n';
	fwrite(cf->line, 1, n + 1, stdout);
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
 * Print the events of @in that match @cond, with @format; or, with @out,
 * write them to a new capture instead (a cut).
 */
static int cat_filtered(const char *in, const char *cond, const char *format, const char *out,
			unsigned flags)
{
	struct cat_filter cf = { 0 };
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

/* `capture cat FILE [CONDITION...] [-p FORMAT] [-w OUT] [--gzip] [--compat-2022]` */
static int capture_cat(int argc, char **argv)
{
	const char *in = NULL, *out = NULL, *format = NULL;
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
		} else if ((strcmp(argv[i], "--workers") == 0 ||
			    strcmp(argv[i], "--partition") == 0) && i + 1 < argc) {
			i++; /* one worker here; accepted for the engine's modes */
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
	if (cond || format) {
		rc = cat_filtered(in, cond, format, out, flags);
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
	  "cat FILE [CONDITION] [-p FORMAT] | cat FILE [CONDITION] -w OUT [--gzip] [--compat-2022]" },
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
