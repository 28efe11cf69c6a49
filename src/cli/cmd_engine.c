/*
 * cmd_engine.c - `peregrine [-c FILE] [-o k=v]... [-r RULES]... [-e CAPTURE]
 * [--workers N] [--partition P] [--json] [-M S] [--stats-interval S] [-A]
 * [-w FILE]`: the
 * engine itself. With -e it replays a capture, without it runs live on the
 * eBPF probe.
 *
 * This file is the controlling thread: it reads the configuration, compiles
 * the rules, starts the output stage and the engine, then waits for signals
 * (blocked in every thread and taken here with sigtimedwait, so no handler
 * runs inside a worker) and ticks once per 100 ms for -M, the stats line,
 * the syscall-event-drop check and the end of a replay. SIGINT/SIGTERM stop
 * the reader, let workers drain their queues and the output thread drain the
 * alert queue and flush every sink before exit. SIGHUP re-reads the
 * configuration and the rules, swaps the compiled ruleset while workers run,
 * and has the file sink reopened (log rotation); a reload that fails keeps
 * the old rules and says why.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli/config.h"
#include "capture/capture.h"
#include "engine/engine.h"
#include "source/live.h"
#include "output/output.h"
#include "rules/rules.h"
#include "rules/ruleset.h"
#include "state/state.h"

struct ce_opts {
	const char *config;
	const char **overrides;
	size_t noverrides;
	const char **rules;
	size_t nrules;
	const char *capture;
	long workers; /* -1: config */
	const char *partition;
	bool json;
	double duration; /* -M; 0 = none */
	double stats_interval;
	bool all_syscalls;     /* -A */
	const char *record;    /* -w FILE */
	unsigned record_flags; /* --gzip */
	bool current_layout;   /* --current-layout */
	bool print_config;     /* --print-config */
};

struct ce_run {
	struct cfg cfg;
	struct eng *eng;
	struct out *out;
	struct out_metrics *metrics;
	struct proc_ctr_client *ctr; /* live: container metadata client, or NULL */
	uint64_t t0_ns;
	/* drop check window */
	uint64_t win_events, win_drops;
	const char *record; /* -w */
	double tokens;
	uint64_t tokens_ns;
	int exit_code;
};

static uint64_t ce_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The log callback of the container client and the output stage (their
 * own threads): one line on stderr; stdio locks the stream. */
static void ce_log(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "peregrine: %s\n", msg);
}

/* ---- container runtimes (live): container.name, container.image* ---- */

/*
 * Start the background client on the runtime sockets of the enabled
 * container_engines.* that exist now; none: say so once and run without
 * (container.name/image* stay empty). Never fatal.
 */
static struct proc_ctr_client *ce_ctr_start(const struct cfg *c, struct eng *e)
{
	struct proc_ctr_opts o = {.timeout_ms = c->ctr_timeout_ms, .log = ce_log};
	const struct {
		bool on;
		const struct cfg_strs *paths;
		uint8_t type;
	} eng[] = {{c->ctr_docker, &c->ctr_docker_sockets, PROC_CT_DOCKER},
		   {c->ctr_podman, &c->ctr_podman_sockets, PROC_CT_PODMAN}};
	struct proc_ctr_client *cl;

	for (size_t i = 0; i < sizeof(eng) / sizeof(eng[0]); i++)
		for (size_t j = 0; eng[i].on && j < eng[i].paths->n; j++)
			if (o.nsockets < PROC_CTR_MAX_SOCKETS &&
			    access(eng[i].paths->v[j], F_OK) == 0)
				o.sockets[o.nsockets++] = (struct proc_ctr_socket){
					eng[i].paths->v[j], eng[i].type};
	if (!o.nsockets) {
		if (c->ctr_docker || c->ctr_podman)
			fprintf(stderr, "peregrine: no container runtime socket found "
					"(container_engines.*.sockets): container.name and "
					"container.image* stay empty\n");
		return NULL;
	}
	cl = proc_ctr_client_start(eng_proc_table(e), &o);
	if (!cl)
		fprintf(stderr, "peregrine: container runtime client: %s (container.name and "
				"container.image* stay empty)\n", strerror(errno));
	return cl;
}

void cmd_engine_usage(FILE *f)
{
	fprintf(f,
		"engine options (live without -e; live needs root and the kernel's BTF):\n"
		"  -c FILE        configuration (default " CFG_DEFAULT_PATH
		", built-in defaults\n"
		"                 when absent; unknown keys are an error)\n"
		"  -o KEY=VALUE   set a configuration key (dotted path, repeatable),\n"
		"                 e.g. -o json_output=true -o engine.workers=4\n"
		"  -r RULES       rules file (repeatable; replaces rules_files)\n"
		"  -e CAPTURE     replay a .scap capture (raw or gzip) instead of running live\n"
		"  --workers N    worker threads (0, the default: one per online CPU;\n"
		"                 engine.workers)\n"
		"  --partition P  tgid (default): a process's events to one worker; tid: a\n"
		"                 thread's; cpu: the single-consumer layout, as the reference\n"
		"                 engine (engine.partition)\n"
		"  --json         alerts as JSON (json_output=true)\n"
		"  --all-matches  every matching rule alerts, not only the first\n"
		"                 (rule_matching=all)\n"
		"  --min-priority P  only rules of priority P or higher run (priority=P)\n"
		"  -M SECONDS     stop after that long (0: run until a signal)\n"
		"  --stats-interval SECONDS  a JSON stats line on stderr that often\n"
		"  -A             live: send every syscall the probe handles (default: only\n"
		"                 those the rules and the process state need)\n"
		"  --probe-hook H live: where the probe hooks syscall exits: raw (default),\n"
		"                 one program on raw sys_exit that every syscall runs; syscall,\n"
		"                 a program on each selected syscall's own tracepoint, so the\n"
		"                 others run none, but a selected one costs more\n"
		"                 (engine.probe_hook)\n"
		"  -w FILE        live: also record the events into a .scap capture\n"
		"                 (--gzip compresses it; the process table is written in the\n"
		"                 layout every libs age reads, Debian's sysdig 0.29 included;\n"
		"                 --current-layout keeps tty, exe inode and pgid facts that\n"
		"                 only libs >= 0.10 reads)\n"
		"  --print-config print every configuration key with the value the file,\n"
		"                 -o and the options give it (YAML that -c reads back), and exit\n"
		"  -h, --help     this help\n"
		"signals: SIGINT/SIGTERM stop after draining every queue and sink; SIGHUP\n"
		"reloads rules and configuration (a failed reload keeps the old ones) and\n"
		"reopens file outputs.\n");
}

static void ce_usage(FILE *f)
{
	fprintf(f, "usage: peregrine [OPTION]...              run live\n"
		   "       peregrine -e CAPTURE [OPTION]...   replay a capture\n");
	cmd_engine_usage(f);
}

/* Read the configuration as the command line says: file, -o, flags. */
static int ce_load_config(const struct ce_opts *co, struct cfg *c, char *err, size_t errlen)
{
	int rc = cfg_init(c);

	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	if (co->config) {
		rc = cfg_load_file(c, co->config, err, errlen);
	} else {
		rc = cfg_load_file(c, CFG_DEFAULT_PATH, err, errlen);
		if (rc == -ENOENT)
			rc = 0; /* embedded defaults */
	}
	for (size_t i = 0; rc == 0 && i < co->noverrides; i++)
		rc = cfg_set(c, co->overrides[i], err, errlen);
	if (rc == 0 && co->nrules) {
		for (size_t i = 0; i < c->rules_files.n; i++)
			free(c->rules_files.v[i]);
		c->rules_files.n = 0;
		for (size_t i = 0; i < co->nrules; i++) {
			char **nv = realloc(c->rules_files.v, (i + 1) * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			c->rules_files.v = nv;
			nv[i] = strdup(co->rules[i]);
			c->rules_files.n = i + 1;
		}
		c->rules_from_cli = true;
	}
	if (rc == 0 && co->json)
		c->json_output = true;
	if (rc == 0 && co->workers >= 0)
		c->workers = (uint32_t)co->workers;
	if (rc == 0 && co->partition) {
		free(c->partition);
		c->partition = strdup(co->partition);
	}
	if (rc == 0)
		rc = cfg_check(c, err, errlen);
	return rc;
}

/* The default of rules_files (config.h); when it is not installed and no -r
 * was given, the rules embedded in the binary are used instead. */
#define CFG_DEFAULT_RULES "/etc/peregrine/falco_rules.yaml"

/* Load and compile every rules file; diagnostics go to stderr. */
static struct rule_ruleset *ce_compile(const struct cfg *c)
{
	struct rule_set *rs = rule_set_new();
	struct diag_list *dl = diag_list_new();
	struct rule_compile_opts co = {0};
	struct rule_ruleset *r = NULL;
	int bad = 0;

	if (!rs || !dl)
		goto out;
	for (size_t i = 0; i < c->rules_files.n; i++) {
		const char *path = c->rules_files.v[i];
		size_t len;
		const char *text;

		/* the built-in default path, not installed: the embedded rules */
		if (!c->rules_from_cli && strcmp(path, CFG_DEFAULT_RULES) == 0 &&
		    access(path, F_OK) != 0) {
			text = rules_default_yaml(&len);
			if (rule_set_load_string(rs, RULES_DEFAULT_NAME, text, len, dl) < 0)
				bad = 1;
			continue;
		}
		if (rule_set_load_file(rs, path, dl) < 0)
			bad = 1;
	}
	if (!bad) {
		co.min_priority = (enum rule_priority)c->min_priority;
		co.min_priority_set = true;
		co.no_unused_warnings = true;
		r = rule_compile(rs, &co, dl);
	}
	if (diag_list__errors(dl))
		diag_list__render(dl, stderr);
out:
	diag_list_free(dl);
	rule_set_free(rs);
	return r;
}

static void ce_out_config(const struct cfg *c, struct out_config *oc)
{
	out_config_default(oc);
	oc->log = ce_log;
	oc->fmt.json = c->json_output;
	oc->fmt.json_output_prop = c->json_output_prop;
	oc->fmt.json_tags_prop = c->json_tags_prop;
	oc->fmt.time_iso8601 = c->time_iso8601;
	oc->queue_capacity = c->queue_capacity;
	oc->timeout_ms = c->output_timeout;
	oc->stdout_enabled = c->stdout_enabled;
	oc->file_enabled = c->file_enabled;
	oc->file_keep_alive = c->file_keep_alive;
	oc->file_name = c->file_name;
	oc->syslog_enabled = c->syslog_enabled;
	oc->syslog_socket = c->syslog_socket;
	oc->program_enabled = c->program_enabled;
	oc->program_keep_alive = c->program_keep_alive;
	oc->program = c->program;
	oc->http_enabled = c->http_enabled;
	oc->http_insecure = c->http_insecure;
	oc->http_keep_alive = c->http_keep_alive;
	oc->http_echo = c->http_echo;
	oc->http_url = c->http_url;
	oc->http_user_agent = c->http_user_agent;
	oc->http_ca_cert = c->http_ca_cert;
	oc->http_ca_path = c->http_ca_path;
	oc->http_retries = c->http_retries;
}

/* ---- stats: JSON line and Prometheus page ---- */

struct ce_buf {
	char *p;
	size_t cap, len;
};

static void cb_printf(struct ce_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cb_printf(struct ce_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + (b->len < b->cap ? b->len : b->cap),
		      b->len < b->cap ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
}

static void cb_json_str(struct ce_buf *b, const char *s)
{
	cb_printf(b, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			cb_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			cb_printf(b, "\\u%04x", (unsigned char)*s);
		else
			cb_printf(b, "%c", *s);
	}
	cb_printf(b, "\"");
}

struct ce_hits {
	struct ce_buf *b;
	int n;
	bool prom;
};

static void ce_hit_json(void *arg, const char *rule, uint64_t n)
{
	struct ce_hits *h = arg;

	if (h->n++)
		cb_printf(h->b, ",");
	cb_json_str(h->b, rule);
	cb_printf(h->b, ":%" PRIu64, n);
}

static void ce_hit_prom(void *arg, const char *rule, uint64_t n)
{
	struct ce_hits *h = arg;

	cb_printf(h->b, "peregrine_rule_matches_total{rule=\"");
	for (const char *s = rule; *s; s++) {
		if (*s == '"' || *s == '\\')
			cb_printf(h->b, "\\%c", *s);
		else if (*s == '\n')
			cb_printf(h->b, "\\n");
		else
			cb_printf(h->b, "%c", *s);
	}
	cb_printf(h->b, "\"} %" PRIu64 "\n", n);
}

static size_t ce_stats_json(struct ce_run *r, char *buf, size_t cap, double elapsed)
{
	struct ce_buf b = {buf, cap, 0};
	struct eng_stats es;
	struct out_stats os;
	struct proc_stats ps;
	struct ce_hits h = {&b, 0, false};

	eng_stats(r->eng, &es);
	out_stats(r->out, &os);
	proc_table_stats(eng_proc_table(r->eng), &ps);
	cb_printf(&b, "{\"elapsed_s\":%.3f,\"events\":%" PRIu64 ",\"events_per_s\":%.0f", elapsed,
		  es.events, elapsed > 0 ? (double)es.events / elapsed : 0.0);
	cb_printf(&b, ",\"workers\":[");
	for (unsigned i = 0; i < es.nworkers; i++)
		cb_printf(&b,
			  "%s{\"events\":%" PRIu64 ",\"matches\":%" PRIu64
			  ",\"queue_drops\":%" PRIu64 ",\"kernel_drops\":%" PRIu64 "}",
			  i ? "," : "", es.w[i].events, es.w[i].matches, es.w[i].alert_drops,
			  es.w[i].kernel_drops);
	cb_printf(&b,
		  "],\"kernel_events\":%" PRIu64 ",\"kernel_drops\":%" PRIu64
		  ",\"outputs_queue_num_drops\":%" PRIu64
		  ",\"alerts_written\":%" PRIu64 ",\"threads\":%" PRIu64 ",\"purged\":%" PRIu64
		  ",\"table_full\":%" PRIu64 ",\"rule_matches\":{",
		  es.kernel_events, es.kernel_drops, os.queue_drops, os.written, ps.live_threads,
		  ps.purged,
		  ps.table_full);
	eng_rule_hits_foreach(r->eng, ce_hit_json, &h);
	cb_printf(&b, "}");
	if (es.nsyscalls) { /* live */
		cb_printf(&b, ",\"syscalls_selected\":%u,\"kernel_drops_by_category\":{",
			  es.nsyscalls);
		for (unsigned c = 0; c < PRB_DROP_NCAT; c++)
			cb_printf(&b, "%s\"%s\":%" PRIu64, c ? "," : "", prb_drop_cat_name(c),
				  es.kernel_drops_by[c]);
		cb_printf(&b, "}");
	}
	if (r->record)
		cb_printf(&b,
			  ",\"record\":{\"written\":%" PRIu64 ",\"drops\":%" PRIu64
			  ",\"late\":%" PRIu64 "}",
			  es.record_written, es.record_drops, es.record_late);
	cb_printf(&b, "}");
	return b.len;
}

static size_t ce_metrics(void *ctx, char *buf, size_t cap)
{
	struct ce_run *r = ctx;
	struct ce_buf b = {buf, cap, 0};
	struct eng_stats es;
	struct out_stats os;
	struct proc_stats ps;
	struct ce_hits h = {&b, 0, true};

	eng_stats(r->eng, &es);
	out_stats(r->out, &os);
	proc_table_stats(eng_proc_table(r->eng), &ps);
	cb_printf(&b, "# HELP peregrine_events_total Events processed, per worker.\n"
		      "# TYPE peregrine_events_total counter\n");
	for (unsigned i = 0; i < es.nworkers; i++)
		cb_printf(&b, "peregrine_events_total{worker=\"%u\"} %" PRIu64 "\n", i,
			  es.w[i].events);
	cb_printf(&b, "# HELP peregrine_kernel_drops_total Events the kernel dropped, per ring.\n"
		      "# TYPE peregrine_kernel_drops_total counter\n");
	for (unsigned i = 0; i < es.nworkers; i++)
		cb_printf(&b, "peregrine_kernel_drops_total{ring=\"%u\"} %" PRIu64 "\n", i,
			  es.w[i].kernel_drops);
	if (es.nsyscalls) { /* live */
		cb_printf(&b, "# HELP peregrine_kernel_drops_by_category_total Events the kernel "
			      "dropped (full ring), by the reference engine's categories.\n"
			      "# TYPE peregrine_kernel_drops_by_category_total counter\n");
		for (unsigned c = 0; c < PRB_DROP_NCAT; c++)
			cb_printf(&b,
				  "peregrine_kernel_drops_by_category_total{category=\"%s\"} %" PRIu64
				  "\n",
				  prb_drop_cat_name(c), es.kernel_drops_by[c]);
	}
	cb_printf(&b,
		  "# HELP peregrine_outputs_queue_num_drops_total Alerts dropped: the output "
		  "queue was full.\n"
		  "# TYPE peregrine_outputs_queue_num_drops_total counter\n"
		  "peregrine_outputs_queue_num_drops_total %" PRIu64 "\n"
		  "# HELP peregrine_alerts_total Alerts written by the output thread.\n"
		  "# TYPE peregrine_alerts_total counter\n"
		  "peregrine_alerts_total %" PRIu64 "\n"
		  "# HELP peregrine_threads Threads in the process table.\n"
		  "# TYPE peregrine_threads gauge\n"
		  "peregrine_threads %" PRIu64 "\n"
		  "# HELP peregrine_threads_purged_total Threads removed by the inactivity purge.\n"
		  "# TYPE peregrine_threads_purged_total counter\n"
		  "peregrine_threads_purged_total %" PRIu64 "\n",
		  os.queue_drops, os.written, ps.live_threads, ps.purged);
	cb_printf(&b, "# HELP peregrine_sink_failures_total Alerts a sink failed to write.\n"
		      "# TYPE peregrine_sink_failures_total counter\n");
	for (int i = 0; i < OUT_SINK__COUNT; i++)
		cb_printf(&b, "peregrine_sink_failures_total{sink=\"%s\"} %" PRIu64 "\n",
			  out_sink_name(i), os.sink_fail[i]);
	cb_printf(&b, "# HELP peregrine_rule_matches_total Matches per rule.\n"
		      "# TYPE peregrine_rule_matches_total counter\n");
	eng_rule_hits_foreach(r->eng, ce_hit_prom, &h);
	return b.len;
}

/* ---- syscall event drops (once per second) ---- */

static bool ce_has_action(const struct cfg *c, const char *a)
{
	for (size_t i = 0; i < c->sed_actions.n; i++)
		if (strcmp(c->sed_actions.v[i], a) == 0)
			return true;
	return false;
}

static void ce_drop_check(struct ce_run *r, uint64_t now)
{
	struct eng_stats es;
	uint64_t de, dd;
	double ratio;
	struct out_alert *a;
	char msg[256];

	eng_stats(r->eng, &es);
	de = es.kernel_events - r->win_events;
	dd = es.kernel_drops - r->win_drops;
	r->win_events = es.kernel_events;
	r->win_drops = es.kernel_drops;
	if (r->cfg.sed_simulate) {
		dd = 1;
		de = de ? de : 1;
	}
	/* token bucket: rate tokens per second, at most max_burst */
	r->tokens += (double)(now - r->tokens_ns) / 1e9 * r->cfg.sed_rate;
	if (r->tokens > r->cfg.sed_max_burst)
		r->tokens = r->cfg.sed_max_burst;
	r->tokens_ns = now;
	if (!dd)
		return;
	ratio = (double)dd / (double)(de + dd);
	if (ratio <= r->cfg.sed_threshold || r->tokens < 1.0)
		return;
	r->tokens -= 1.0;
	snprintf(msg, sizeof(msg),
		 "Falco internal: syscall event drop. %" PRIu64
		 " system calls dropped in last second.",
		 dd);
	if (ce_has_action(&r->cfg, "log"))
		fprintf(stderr, "%s\n", msg);
	if (ce_has_action(&r->cfg, "alert")) {
		a = out_alert_reserve_mp(r->out, out_control_producer(r->out));
		if (a) {
			char v[32];

			out_alert_init(a, (uint64_t)time(NULL) * 1000000000ull, RULE_PRIO_DEBUG,
				       "Falco internal: syscall event drop", "internal");
			a->flags |= OUT_ALERT_INTERNAL;
			out_alert_set_output(a, msg, strlen(msg));
			snprintf(v, sizeof(v), "%" PRIu64, dd);
			out_alert_add_field(a, "n_drops", v, strlen(v), OUT_FV_NUM);
			snprintf(v, sizeof(v), "%.6f", ratio);
			out_alert_add_field(a, "drop_ratio", v, strlen(v), OUT_FV_NUM);
			out_alert_commit_mp(r->out, a);
		}
	}
	if (ce_has_action(&r->cfg, "exit")) {
		fprintf(stderr, "syscall_event_drops: exiting (action exit)\n");
		r->exit_code = CLI_EXIT_FAIL;
		eng_stop(r->eng);
	}
}

/* ---- SIGHUP ---- */

static void ce_reload(struct ce_run *r, const struct ce_opts *co)
{
	struct cfg nc;
	struct rule_ruleset *rs;
	char err[512], warn[768];

	if (ce_load_config(co, &nc, err, sizeof(err)) < 0) {
		fprintf(stderr, "SIGHUP: configuration not reloaded, keeping the old one: %s\n",
			err);
		cfg_free(&nc);
		out_reopen(r->out);
		return;
	}
	rs = ce_compile(&nc);
	if (!rs) {
		fprintf(stderr, "SIGHUP: rules not reloaded (errors above), keeping the old rules\n");
		cfg_free(&nc);
		out_reopen(r->out);
		return;
	}
	fprintf(stderr, "SIGHUP: %zu rules loaded\n", rule_ruleset__nrules(rs));
	if (eng_swap_rules(r->eng, rs) < 0)
		fprintf(stderr, "SIGHUP: a worker did not move to the new rules in time\n");
	if (eng_probe_warning(r->eng, warn, sizeof(warn)))
		fprintf(stderr, "SIGHUP: %s\n", warn);
	/* keys read at start (outputs, engine.*) keep their values until restart */
	r->cfg.min_priority = nc.min_priority;
	cfg_free(&nc);
	out_reopen(r->out);
}

static void ce_summary(struct ce_run *r, double elapsed)
{
	struct eng_stats es;
	struct out_stats os;

	eng_stats(r->eng, &es);
	out_stats(r->out, &os);
	fprintf(stderr,
		"Events processed: %" PRIu64 " in %.3f s (%.0f/s) on %u workers (%s)\n"
		"Events detected: %" PRIu64 " (written %" PRIu64 ", queue drops %" PRIu64 ")\n",
		es.events, elapsed, elapsed > 0 ? (double)es.events / elapsed : 0.0, es.nworkers,
		r->cfg.partition, es.matches, os.written, os.queue_drops);
	{
		char line[256];
		size_t n = 0;

		for (unsigned i = 0; i < OUT_SINK__COUNT; i++)
			if (os.sink_fail[i] && n < sizeof(line))
				n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %" PRIu64,
						      n ? ", " : "", out_sink_name(i), os.sink_fail[i]);
		if (n)
			fprintf(stderr, "Alerts a sink failed to write: %s\n", line);
	}
	if (es.nsyscalls) /* live */
		fprintf(stderr,
			"Kernel: %" PRIu64 " events written to the rings, %" PRIu64
			" dropped; %" PRIu64 " processed; %u syscalls selected\n",
			es.kernel_events, es.kernel_drops, es.events, es.nsyscalls);
	if (r->record)
		fprintf(stderr,
			"Recorded %" PRIu64 " events to %s (%" PRIu64
			" dropped by a full recorder queue, %" PRIu64 " written out of time order)\n",
			es.record_written, r->record, es.record_drops, es.record_late);
	{
		struct proc_upd_stats us;

		proc_upd_stats(eng_proc_table(r->eng), &us);
		if (us.ctr_mounts_cut)
			fprintf(stderr,
				"Container events with more mounts than kept: %" PRIu64
				" (each keeps its first mounts, at most %u in %u bytes; "
				"container.mount* do not see the others)\n",
				us.ctr_mounts_cut, PROC_CTR_MOUNTS_MAX, PROC_CTR_MOUNTS_BYTES);
	}
	if (es.nworkers > 1) {
		struct proc_stats ps;

		proc_table_stats(eng_proc_table(r->eng), &ps);
		fprintf(stderr,
			"Cross-partition reads: %" PRIu64 " waits for a lagging owner (%.1f ms), "
			"%" PRIu64 " versions kept for readers behind\n",
			ps.progress_waits, (double)ps.progress_wait_ns / 1e6, ps.versions_kept);
	}
}

static int ce_parse(int argc, char **argv, struct ce_opts *co)
{
	static const struct option lo[] = {
		{"workers", required_argument, NULL, 'W'},
		{"partition", required_argument, NULL, 'P'},
		{"json", no_argument, NULL, 'j'},
		{"stats-interval", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		/* the options of the first replay command, kept working */
		{"all-matches", no_argument, NULL, 'a'},
		{"gzip", no_argument, NULL, 'z'},
		{"current-layout", no_argument, NULL, 'C'},
		{"min-priority", required_argument, NULL, 'p'},
		{"print-config", no_argument, NULL, 'K'},
		{"probe-hook", required_argument, NULL, 'H'},
		{NULL, 0, NULL, 0},
	};
	int c;
	char *end;

	co->workers = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:o:r:e:M:w:Ah", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			co->config = optarg;
			break;
		case 'o':
			co->overrides = realloc(co->overrides,
						(co->noverrides + 1) * sizeof(*co->overrides));
			if (!co->overrides)
				return -ENOMEM;
			co->overrides[co->noverrides++] = optarg;
			break;
		case 'r':
			co->rules = realloc(co->rules, (co->nrules + 1) * sizeof(*co->rules));
			if (!co->rules)
				return -ENOMEM;
			co->rules[co->nrules++] = optarg;
			break;
		case 'e':
			co->capture = optarg;
			break;
		case 'W':
			co->workers = strtol(optarg, &end, 10);
			if (*end || co->workers < 0 || co->workers > 64) {
				fprintf(stderr, "peregrine: --workers %s: expected 0 to 64\n", optarg);
				return -EINVAL;
			}
			break;
		case 'P':
			co->partition = optarg;
			break;
		case 'j':
			co->json = true;
			break;
		case 'A':
			co->all_syscalls = true;
			break;
		case 'w':
			co->record = optarg;
			break;
		case 'z':
			co->record_flags |= CAP_WRITE_GZIP;
			break;
		case 'C':
			co->current_layout = true;
			break;
		case 'K':
			co->print_config = true;
			break;
		case 'a':
		case 'p':
		case 'H':
			co->overrides = realloc(co->overrides,
						(co->noverrides + 1) * sizeof(*co->overrides));
			if (!co->overrides)
				return -ENOMEM;
			if (c == 'a') {
				co->overrides[co->noverrides++] = "rule_matching=all";
			} else if (c == 'p') {
				static char prio[64];

				snprintf(prio, sizeof(prio), "priority=%s", optarg);
				co->overrides[co->noverrides++] = prio;
			} else {
				static char hook[64];

				snprintf(hook, sizeof(hook), "engine.probe_hook=%s", optarg);
				co->overrides[co->noverrides++] = hook;
			}
			break;
		case 'M':
		case 'S':
			errno = 0;
			double v = strtod(optarg, &end);

			if (errno || *end || v < 0) {
				fprintf(stderr, "peregrine: -%c %s: expected seconds\n",
					c == 'M' ? 'M' : 'S', optarg);
				return -EINVAL;
			}
			if (c == 'M')
				co->duration = v;
			else
				co->stats_interval = v;
			break;
		case 'h':
			ce_usage(stdout);
			exit(CLI_EXIT_OK);
		default:
			ce_usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "peregrine: unexpected argument '%s'\n", argv[optind]);
		ce_usage(stderr);
		return -EINVAL;
	}
	return 0;
}

int cmd_engine(int argc, char **argv)
{
	struct ce_opts co = {0};
	struct ce_run r = {0};
	struct eng_opts eo = {0};
	struct out_config oc;
	struct rule_ruleset *rs;
	enum eng_partition part;
	sigset_t set;
	char err[1024];
	uint64_t next_stats = 0, next_drop;
	bool started = false;
	int rc;

	if (ce_parse(argc, argv, &co) < 0)
		goto out_badinput;
	if (ce_load_config(&co, &r.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "peregrine: %s\n", err);
		cfg_free(&r.cfg);
		goto out_badinput;
	}
	if (co.print_config) {
		cfg_print(&r.cfg, stdout);
		cfg_free(&r.cfg);
		free(co.overrides);
		free(co.rules);
		return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	}
	if (eng_partition_parse(r.cfg.partition, &part) < 0) {
		fprintf(stderr, "peregrine: --partition %s: expected tgid, tid or cpu\n",
			r.cfg.partition);
		cfg_free(&r.cfg);
		goto out_badinput;
	}
	if (co.stats_interval == 0 && r.cfg.stats_interval)
		co.stats_interval = r.cfg.stats_interval;
	rs = ce_compile(&r.cfg);
	if (!rs) {
		fprintf(stderr, "peregrine: the rules did not load\n");
		cfg_free(&r.cfg);
		goto out_badinput;
	}

	/* signals: taken by this thread only, through sigtimedwait */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	eo.workers = r.cfg.workers;
	eo.part = part;
	eo.ring_bytes = r.cfg.ring_bytes;
	eo.match_all = r.cfg.match_all;
	eo.all_syscalls = co.all_syscalls;
	eo.syscall_hook = strcmp(r.cfg.probe_hook, "syscall") == 0;
	eo.record_path = co.record;
	/* readable by every libs age (Debian's sysdig 0.29 included) unless
	 * asked for the current layout */
	eo.record_flags = co.record_flags | (co.current_layout ? 0 : CAP_WRITE_COMPAT_2022);
	if (co.capture && (co.record || co.all_syscalls)) {
		fprintf(stderr, "peregrine: -w and -A are for live mode, not with -e (use "
				"`peregrine capture cat FILE [CONDITION] -w OUT` to copy or cut a "
				"capture)\n");
		rule_ruleset_free(rs);
		cfg_free(&r.cfg);
		goto out_badinput;
	}
	ce_out_config(&r.cfg, &oc);
	r.out = out_new(&oc, eo.part == ENG_PART_CPU ? 1 : (eo.workers ? eo.workers : 64), err,
			sizeof(err));
	if (!r.out) {
		fprintf(stderr, "peregrine: %s\n", err);
		rule_ruleset_free(rs);
		cfg_free(&r.cfg);
		return CLI_EXIT_FAIL;
	}
	r.eng = eng_new(&eo, rs, r.out);
	if (!r.eng || out_start(r.out) < 0) {
		fprintf(stderr, "peregrine: can not start: %s\n", strerror(errno));
		rc = CLI_EXIT_FAIL;
		goto out_free;
	}
	if (r.cfg.metrics_enabled) {
		r.metrics = out_metrics_start(r.cfg.metrics_addr, (uint16_t)r.cfg.metrics_port,
					      ce_metrics, &r, err, sizeof(err));
		if (!r.metrics)
			fprintf(stderr, "peregrine: %s (metrics disabled)\n", err);
	}
	r.t0_ns = ce_now();
	r.record = co.record;
	r.tokens = r.cfg.sed_max_burst;
	r.tokens_ns = r.t0_ns;
	err[0] = '\0';
	rc = co.capture ? eng_start_replay(r.eng, co.capture, err, sizeof(err))
			: eng_start_live(r.eng, err, sizeof(err));
	if (rc == 0 && err[0])
		fprintf(stderr, "peregrine: %s\n", err); /* a warning; the engine runs */
	if (rc == 0 && !co.capture)
		r.ctr = ce_ctr_start(&r.cfg, r.eng);
	if (rc < 0) {
		fprintf(stderr, "peregrine: %s\n", err);
		eng_stop(r.eng);
		eng_join(r.eng, err, sizeof(err));
		rc = co.capture ? CLI_EXIT_BADINPUT : CLI_EXIT_FAIL;
		goto out_stop;
	}
	started = true;
	if (co.stats_interval > 0)
		next_stats = r.t0_ns + (uint64_t)(co.stats_interval * 1e9);
	next_drop = r.t0_ns + 1000000000ull;
	while (!eng_done(r.eng)) {
		struct timespec zero = {0, 0};
		int sig;

		eng_wait(r.eng, 20);
		sig = sigtimedwait(&set, NULL, &zero);
		uint64_t now = ce_now();

		if (sig == SIGINT || sig == SIGTERM) {
			fprintf(stderr, "peregrine: %s, draining\n",
				sig == SIGINT ? "SIGINT" : "SIGTERM");
			eng_stop(r.eng);
		} else if (sig == SIGHUP) {
			ce_reload(&r, &co);
		}
		if (co.duration > 0 && now - r.t0_ns >= (uint64_t)(co.duration * 1e9))
			eng_stop(r.eng);
		if (next_stats && now >= next_stats) {
			char line[65536];
			size_t n = ce_stats_json(&r, line, sizeof(line), (double)(now - r.t0_ns) / 1e9);

			fprintf(stderr, "%.*s\n", (int)(n < sizeof(line) ? n : sizeof(line) - 1), line);
			next_stats = now + (uint64_t)(co.stats_interval * 1e9);
		}
		if (now >= next_drop) {
			ce_drop_check(&r, now);
			next_drop = now + 1000000000ull;
		}
	}
	rc = eng_join(r.eng, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "peregrine: %s\n", err);
		rc = CLI_EXIT_BADINPUT;
	} else {
		rc = r.exit_code;
	}
out_stop:
	out_metrics_stop(r.metrics);
	r.metrics = NULL;
	out_stop(r.out);
	if (started) { /* a run that never started has nothing to sum up */
		double el = (double)(ce_now() - r.t0_ns) / 1e9;

		if (co.stats_interval > 0) {
			char line[65536];
			size_t n = ce_stats_json(&r, line, sizeof(line), el);

			fprintf(stderr, "%.*s\n", (int)(n < sizeof(line) ? n : sizeof(line) - 1), line);
		}
		ce_summary(&r, el);
	}
out_free:
	out_metrics_stop(r.metrics);
	proc_ctr_client_stop(r.ctr); /* before the table it writes goes */
	eng_free(r.eng);
	out_free(r.out);
	cfg_free(&r.cfg);
	free(co.overrides);
	free(co.rules);
	return rc;

out_badinput:
	/* before anything else was made: only the option arrays */
	free(co.overrides);
	free(co.rules);
	return CLI_EXIT_BADINPUT;
}
