/*
 * probe_only.c - the eBPF probe attached with nothing behind it: N rings,
 * one thread per ring that only counts what it is handed (no decode, no
 * state, no rules). bench/section_probe.sh runs bench/storm with and
 * without it to measure what the probe itself adds to a system call, with
 * no engine competing for the CPU.
 *
 *   probe_only [--rings N] [--partition tgid|tid|cpu] [--seconds S]
 *              [--select all|rules] [-r RULES]... [--ring-bytes B]
 *              [--hook raw|syscall]
 *
 * --select all: every syscall the probe has a handler for (the default);
 * --select rules: the set a ruleset needs, i.e. the handled syscalls whose
 * event type some rule of RULES meets, plus those the state needs (they
 * create, destroy or change fds or processes), as the reference engine
 * selects its "base" syscalls. The chosen names go to stderr.
 * --hook: where syscall exits are hooked (live.h, enum prb_hook).
 *
 * Prints "ready" on stderr once attached, then, after S seconds or SIGINT/
 * SIGTERM, one JSON line on stdout: events consumed, the kernel's per-ring
 * counters summed (events written, drops), and the selection's size.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "abi/event_table.h"
#include "engine/engine.h"
#include "rules/ruleset.h"
#include "source/live.h"

#define PO_MAX_RULES 16

/* One consumer: its counters are its own cache line, read after the join. */
struct po_consumer {
	struct prb_ring *ring;
	pthread_t thread;
	uint64_t events, bytes;
	int err;
} __attribute__((aligned(64)));

static atomic_int po_stop;

static void po_on_signal(int sig)
{
	(void)sig;
	atomic_store(&po_stop, 1);
}

static int po_count(void *ctx, const void *ev, size_t len)
{
	struct po_consumer *c = ctx;

	(void)ev;
	c->events++;
	c->bytes += len;
	return 0;
}

static void *po_consume(void *arg)
{
	struct po_consumer *c = arg;

	while (!atomic_load_explicit(&po_stop, memory_order_relaxed)) {
		int rc = prb_ring__poll(c->ring, 100);

		if (rc < 0 && rc != -EINTR) {
			c->err = rc;
			break;
		}
	}
	prb_ring__consume(c->ring);
	return NULL;
}

static struct rule_ruleset *po_compile(char **files, int n)
{
	struct rule_set *set = rule_set_new();
	struct diag_list *dl = diag_list_new();
	struct rule_compile_opts co = {.no_unused_warnings = true};
	struct rule_ruleset *rs = NULL;
	int bad = 0;

	if (!set || !dl)
		goto out;
	for (int i = 0; i < n; i++)
		if (rule_set_load_file(set, files[i], dl) < 0)
			bad = 1;
	if (!bad)
		rs = rule_compile(set, &co, dl);
	if (diag_list__errors(dl))
		diag_list__render(dl, stderr);
out:
	diag_list_free(dl);
	rule_set_free(set);
	return rs;
}

/* The rules-selected syscall numbers into @nr; returns how many. */
static uint32_t po_select(const struct rule_ruleset *rs, uint32_t *nr)
{
	uint32_t n = eng_syscalls_for(rs, nr, PRB_NSYSCALLS), nh, i, k;
	const struct prb_syscall *h = prb_syscalls(&nh);

	fprintf(stderr, "probe_only: selected:");
	for (i = 0; i < n; i++)
		for (k = 0; k < nh; k++)
			if (h[k].nr == nr[i])
				fprintf(stderr, " %s", h[k].name);
	fprintf(stderr, "\n");
	return n;
}

static void po_usage(FILE *f)
{
	fprintf(f, "usage: probe_only [--rings N] [--partition tgid|tid|cpu] [--seconds S]\n"
		   "                  [--select all|rules] [-r RULES]... [--ring-bytes B]\n"
		   "                  [--hook raw|syscall]\n");
}

struct po_opts {
	struct prb_opts po;
	double seconds;
	bool rules_select;
	char *rules[PO_MAX_RULES];
	int nrules;
};

static int po_parse(int argc, char **argv, struct po_opts *o)
{
	static const struct option lo[] = {
		{"rings", required_argument, NULL, 'n'},
		{"partition", required_argument, NULL, 'P'},
		{"seconds", required_argument, NULL, 's'},
		{"select", required_argument, NULL, 'S'},
		{"ring-bytes", required_argument, NULL, 'b'},
		{"hook", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	prb_opts_default(&o->po);
	o->seconds = 10;
	while ((c = getopt_long(argc, argv, "n:P:s:S:b:r:H:h", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->po.n_rings = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'P':
			if (!strcmp(optarg, "tgid"))
				o->po.part = PRB_PART_TGID;
			else if (!strcmp(optarg, "tid"))
				o->po.part = PRB_PART_TID;
			else if (!strcmp(optarg, "cpu"))
				o->po.part = PRB_PART_CPU;
			else
				return -EINVAL;
			break;
		case 's':
			o->seconds = strtod(optarg, NULL);
			break;
		case 'S':
			if (strcmp(optarg, "all") && strcmp(optarg, "rules"))
				return -EINVAL;
			o->rules_select = !strcmp(optarg, "rules");
			break;
		case 'b':
			o->po.ring_bytes = strtoull(optarg, NULL, 0);
			break;
		case 'H':
			if (strcmp(optarg, "raw") && strcmp(optarg, "syscall"))
				return -EINVAL;
			o->po.hook = strcmp(optarg, "raw") ? PRB_HOOK_SYSCALL : PRB_HOOK_RAW;
			break;
		case 'r':
			if (o->nrules == PO_MAX_RULES)
				return -EINVAL;
			o->rules[o->nrules++] = optarg;
			break;
		case 'h':
			po_usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (optind != argc || !(o->seconds > 0) || (o->rules_select && !o->nrules))
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	static struct po_consumer cons[PRB_MAX_RINGS];
	struct po_opts o = {0};
	struct rule_ruleset *rs = NULL;
	struct prb_ring_counters kc, sum = {0};
	uint32_t sel[PRB_NSYSCALLS], nhandled;
	uint64_t events = 0;
	struct prb *p;
	struct timespec tick = {0, 50 * 1000000L};
	char err[1024] = "";
	double waited = 0;
	uint32_t started = 0;
	int rc = 1;

	if (po_parse(argc, argv, &o) < 0) {
		po_usage(stderr);
		return 2;
	}
	o.po.err = err;
	o.po.errlen = sizeof(err);
	if (o.rules_select) {
		rs = po_compile(o.rules, o.nrules);
		if (!rs) {
			fprintf(stderr, "probe_only: the rules did not load\n");
			return 2;
		}
		o.po.syscalls = sel;
		o.po.n_syscalls = po_select(rs, sel);
	} else {
		o.po.all_syscalls = true;
	}
	signal(SIGINT, po_on_signal);
	signal(SIGTERM, po_on_signal);
	p = prb_open(&o.po);
	if (!p) {
		fprintf(stderr, "probe_only: %s\n", err[0] ? err : strerror(errno));
		goto out_rules;
	}
	for (uint32_t i = 0; i < o.po.n_rings; i++) {
		cons[i].ring = prb_ring__new(p, i, po_count, &cons[i]);
		if (!cons[i].ring || pthread_create(&cons[i].thread, NULL, po_consume, &cons[i])) {
			fprintf(stderr, "probe_only: ring %u: %s\n", i, strerror(errno));
			prb_ring__free(cons[i].ring);
			cons[i].ring = NULL;
			atomic_store(&po_stop, 1);
			break;
		}
		started++;
	}
	if (started == o.po.n_rings)
		fprintf(stderr, "ready\n");
	while (!atomic_load(&po_stop) && waited < o.seconds) {
		nanosleep(&tick, NULL);
		waited += 0.05;
	}
	atomic_store(&po_stop, 1);
	for (uint32_t i = 0; i < started; i++) {
		pthread_join(cons[i].thread, NULL);
		events += cons[i].events;
		if (prb_counters(p, i, &kc) == 0) {
			sum.events += kc.events;
			sum.drops += kc.drops;
			sum.clobbered += kc.clobbered;
		}
		prb_ring__free(cons[i].ring);
	}
	if (started == o.po.n_rings) {
		printf("{\"rings\":%u,\"select\":\"%s\",\"nselected\":%u,\"consumed\":%" PRIu64
		       ",\"kernel_events\":%" PRIu64 ",\"kernel_drops\":%" PRIu64
		       ",\"clobbered\":%" PRIu64 "}\n",
		       o.po.n_rings, o.rules_select ? "rules" : "all",
		       o.rules_select ? o.po.n_syscalls : (prb_syscalls(&nhandled), nhandled), events, sum.events,
		       sum.drops, sum.clobbered);
		rc = 0;
	}
	prb_close(p);
out_rules:
	rule_ruleset_free(rs);
	return rc;
}
