/*
 * cmd_gen.c - `peregrine capture gen`: write a synthetic capture.
 *
 *   peregrine capture gen -o FILE [--events N] [--procs P] [--threads-per-proc T]
 *                         [--skew Z] [--seed S] [--cpus C] [--gzip]
 *
 * The stream comes from src/source/synth.c; this file only parses options and
 * glues the generator's sink to the capture writer. The init process the tree
 * grows from goes into the capture's process table, as in a real capture.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "cli.h"
#include "source/synth.h"

struct gen_ctx {
	struct cap_writer *w;
	struct cap_tables tables;
	const char *path;
	unsigned flags;
	uint32_t ncpus;
};

static char *gen_memdup(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

/* The init process: recorded in the table; the writer opens on the first
 * event, once the table is complete. */
static int gen_on_proc(void *ctx, const struct synth_proc *sp)
{
	struct gen_ctx *g = ctx;
	struct cap_proc *p;

	p = realloc(g->tables.procs, (g->tables.nprocs + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	g->tables.procs = p;
	p = &p[g->tables.nprocs++];
	memset(p, 0, sizeof(*p));
	p->tid = sp->tid;
	p->pid = sp->pid;
	p->ptid = sp->ptid;
	p->sid = p->vpgid = p->pgid = (int64_t)sp->pid;
	p->vtid = (int64_t)sp->tid;
	p->vpid = (int64_t)sp->pid;
	p->comm = strdup(sp->comm);
	p->exe = strdup(sp->exe);
	p->exepath = strdup(sp->exepath);
	p->cwd = strdup(sp->cwd);
	p->root = strdup("/");
	p->args = gen_memdup(sp->args, sp->args_len);
	p->args_len = sp->args_len;
	p->env = strdup("");
	p->cgroups = strdup("");
	p->fdlimit = 1024;
	p->uid = sp->uid;
	p->gid = sp->gid;
	p->loginuid = UINT32_MAX;
	p->clone_ts = sp->clone_ts;
	p->has = CAP_PROC_HAS_SID | CAP_PROC_HAS_VPGID | CAP_PROC_HAS_EXEPATH |
		 CAP_PROC_HAS_ENV | CAP_PROC_HAS_NS | CAP_PROC_HAS_ROOT | CAP_PROC_HAS_LOGINUID;
	if (!p->comm || !p->exe || !p->exepath || !p->cwd || !p->root || !p->args || !p->env ||
	    !p->cgroups)
		return -ENOMEM;
	return 0;
}

static int gen_on_event(void *ctx, uint16_t cpu, const void *ev, uint32_t len)
{
	struct gen_ctx *g = ctx;
	struct cap_error err;
	struct cap_machine mi = {.num_cpus = g->ncpus, .memory_bytes = 16ULL << 30,
				 .max_pid = 4194304};

	(void)len;
	if (!g->w) {
		snprintf(mi.hostname, sizeof(mi.hostname), "peregrine-synth");
		g->w = cap_writer_open(g->path, g->flags, &mi, &g->tables, &err);
		if (!g->w) {
			fprintf(stderr, "peregrine: capture gen: %s\n", err.msg);
			return -errno;
		}
	}
	return cap_writer_event(g->w, cpu, ev, 0);
}

static void gen_usage(FILE *f)
{
	fprintf(f, "usage: peregrine capture gen -o FILE [--events N] [--procs P]\n"
		   "           [--threads-per-proc T] [--skew Z] [--seed S] [--cpus C] [--gzip]\n"
		   "defaults: --events 1000000 --procs 64 --threads-per-proc 1 --skew 0\n"
		   "          --seed 1 --cpus 2\n");
}

/* strtoull/strtod with the whole argument checked; a bad number is a usage
 * error naming the option. */
static int gen_num(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi)) {
		fprintf(stderr, "peregrine: capture gen: %s: '%s' is not a number in [%g, %g]\n",
			opt, s, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int cmd_capture_gen(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"events", required_argument, NULL, 'n'},
		{"procs", required_argument, NULL, 'p'},
		{"threads-per-proc", required_argument, NULL, 't'},
		{"skew", required_argument, NULL, 'z'},
		{"seed", required_argument, NULL, 's'},
		{"cpus", required_argument, NULL, 'c'},
		{"gzip", no_argument, NULL, 'g'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct gen_ctx g = {0};
	struct synth_opts o;
	struct synth_sink sink = {gen_on_proc, gen_on_event, &g};
	double v;
	int c, rc;

	synth_opts_default(&o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:n:p:t:z:s:c:gh", longopts, NULL)) != -1) {
		const char *opt = argv[optind - 1];

		switch (c) {
		case 'o':
			g.path = optarg;
			continue;
		case 'g':
			g.flags |= CAP_WRITE_GZIP;
			continue;
		case 'h':
			gen_usage(stdout);
			return CLI_EXIT_OK;
		case 'n':
			rc = gen_num(opt, optarg, 1, 1e12, &v);
			o.events = (uint64_t)v;
			break;
		case 'p':
			rc = gen_num(opt, optarg, 1, 1 << 20, &v);
			o.procs = (uint32_t)v;
			break;
		case 't':
			rc = gen_num(opt, optarg, 1, 64, &v);
			o.threads_per_proc = (uint32_t)v;
			break;
		case 'z':
			rc = gen_num(opt, optarg, 0, 100, &v);
			o.skew = v;
			break;
		case 's':
			rc = gen_num(opt, optarg, 0, 1e18, &v);
			o.seed = (uint64_t)v;
			break;
		case 'c':
			rc = gen_num(opt, optarg, 1, 4096, &v);
			o.ncpus = (uint32_t)v;
			break;
		default:
			gen_usage(stderr);
			return CLI_EXIT_BADINPUT;
		}
		if (rc)
			return CLI_EXIT_BADINPUT;
	}
	if (!g.path || optind != argc) {
		gen_usage(stderr);
		return CLI_EXIT_BADINPUT;
	}
	g.ncpus = o.ncpus;
	rc = synth_run(&o, &sink);
	if (!rc && !g.w)
		rc = -EINVAL;
	if (g.w) {
		int crc = cap_writer_close(g.w);

		rc = rc ? rc : crc;
	}
	cap_tables_release(&g.tables);
	if (rc) {
		fprintf(stderr, "peregrine: capture gen: %s: %s\n", g.path, strerror(-rc));
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}
