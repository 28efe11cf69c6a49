/*
 * output.h - alerts from the workers to the world: the bounded alert queue,
 * the formatter (Falco's text line and JSON object), the sinks (stdout, file,
 * syslog, program, http) and the Prometheus endpoint.
 *
 * A rule match fills a preallocated alert slot of the queue in place with
 * everything known at match time (rule, priority, source, tags, time, the
 * rendered output string and the output fields as name/value pairs), then
 * publishes it. ONE output thread formats each alert and writes it to every
 * enabled sink. Workers never block here: a full queue drops the alert and
 * counts it on the worker's own counter line (outputs_queue_num_drops).
 * Sizes are bounded (OUT_*_MAX); what does not fit is truncated and the
 * alert is flagged OUT_ALERT_TRUNCATED.
 *
 * Threads:
 *  - out_new/out_start/out_stop/out_free: the controlling thread;
 *  - out_alert_reserve_mp/out_alert_commit_mp and the out_alert_* fillers:
 *    any producer (a worker, with its own producer index; or the controlling
 *    thread with index out_control_producer());
 *  - out_reopen/out_stats: any thread (flags and counter reads);
 *  - formatting functions: pure, any thread.
 */
#ifndef PG_OUTPUT_OUTPUT_H
#define PG_OUTPUT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- alerts ---------------------------------------------------------- */

#define OUT_RULE_MAX 256    /* rule name bytes, NUL included */
#define OUT_SOURCE_MAX 32   /* "syscall" */
#define OUT_TAGS_MAX 512    /* all tags, NUL-separated */
#define OUT_OUTPUT_MAX 3072 /* rendered output string */
#define OUT_FIELDS_MAX 48   /* output fields */
#define OUT_FBUF_MAX 3072   /* names and values of the fields, NUL-terminated */

/* out_alert.flags */
#define OUT_ALERT_TRUNCATED (1u << 0) /* something did not fit and was cut */
#define OUT_ALERT_INTERNAL (1u << 1)  /* made by the engine (syscall event drops) */
#define OUT_ALERT_RAW (1u << 2)	      /* a raw line (out_line_put_wait_mp): written as is */

/* How a field value is written in JSON. */
enum out_fv_kind {
	OUT_FV_STR = 0, /* a string */
	OUT_FV_NUM,	/* an integer, written bare */
	OUT_FV_BOOL,	/* "true"/"false", written bare */
	OUT_FV_NULL,	/* absent: null */
};

struct out_field {
	uint16_t name;	/* offset in fbuf */
	uint16_t value; /* offset in fbuf */
	uint8_t kind;	/* enum out_fv_kind */
};

struct out_alert {
	uint64_t ts;	   /* event time, ns since the epoch */
	uint32_t priority; /* enum rule_priority */
	uint16_t flags;	   /* OUT_ALERT_* */
	uint16_t producer; /* who queued it */
	uint16_t ntags, nfields;
	uint16_t tags_len, fbuf_len;
	uint32_t output_len;
	char rule[OUT_RULE_MAX];
	char source[OUT_SOURCE_MAX];
	char tags[OUT_TAGS_MAX];
	struct out_field fields[OUT_FIELDS_MAX];
	char output[OUT_OUTPUT_MAX];
	char fbuf[OUT_FBUF_MAX];
	char *ext; /* OUT_ALERT_RAW: a line longer than output[], on the heap (the
		    * output thread frees it); only read when the flag is set */
};

/* Fillers for a reserved slot; they truncate (and flag) rather than fail.
 * Producer of the slot only. */
void out_alert_init(struct out_alert *a, uint64_t ts, uint32_t priority, const char *rule,
		    const char *source);
void out_alert_add_tag(struct out_alert *a, const char *tag);
void out_alert_set_output(struct out_alert *a, const char *s, size_t len);
void out_alert_add_field(struct out_alert *a, const char *name, const char *value, size_t vlen,
			 enum out_fv_kind kind);
/* Tag @i (0-based) or NULL; field name/value accessors. */
const char *out_alert_tag(const struct out_alert *a, unsigned i);

/* ---- formatting ---------------------------------------------------------- */

struct out_fmt {
	bool json;		/* json_output */
	bool json_output_prop;	/* json_include_output_property */
	bool json_tags_prop;	/* json_include_tags_property */
	bool time_iso8601;	/* time_format_iso_8601 (text lines) */
	const char *hostname;	/* the "hostname" JSON property */
};

/*
 * Falco's text line "HH:MM:SS.nnnnnnnnn: Priority output" (local time; ISO
 * 8601 UTC with time_iso8601), or its JSON object with the keys in the order
 * Falco prints them (hostname, output, output_fields, priority, rule, source,
 * tags, time). No trailing newline. Returns the length it wanted (like
 * snprintf); output is always NUL-terminated when cap > 0. Any thread.
 */
size_t out_format(const struct out_alert *a, const struct out_fmt *f, char *buf, size_t cap);
/* Only the text line (the JSON "output" property uses it too). */
size_t out_format_text(const struct out_alert *a, bool iso8601, char *buf, size_t cap);
/* Falco's time strings: "HH:MM:SS.nnnnnnnnn" (local) and ISO 8601 UTC. */
size_t out_time_text(uint64_t ts, char *buf, size_t cap);
size_t out_time_iso8601(uint64_t ts, char *buf, size_t cap);

/* ---- the output stage ------------------------------------------------------- */

struct out_config {
	struct out_fmt fmt;
	uint32_t queue_capacity;    /* outputs_queue.capacity (slots) */
	uint32_t timeout_ms;	    /* output_timeout: longest a sink may hold the thread */
	bool stdout_enabled;
	bool file_enabled, file_keep_alive;
	const char *file_name;
	bool syslog_enabled;
	const char *syslog_socket;  /* peregrine: the syslog socket (default /dev/log) */
	bool program_enabled, program_keep_alive;
	const char *program;
	bool http_enabled, http_insecure, http_keep_alive, http_echo;
	const char *http_url, *http_user_agent, *http_ca_cert, *http_ca_path;
	uint32_t http_retries;	    /* extra attempts within timeout_ms */
	/* Told, from the output thread, when a sink starts failing (with why)
	 * and when it works again: one line each, no newline. NULL: silent. */
	void (*log)(void *ctx, const char *msg);
	void *log_ctx;
};

/* Defaults as the reference engine's falco.yaml ships them (stdout on). */
void out_config_default(struct out_config *c);

/* Sink indexes for the counters. */
#define OUT_SINKS(X) X(STDOUT, "stdout") X(FILE, "file") X(SYSLOG, "syslog") \
	X(PROGRAM, "program") X(HTTP, "http")
enum out_sink_id {
#define OUT_X_SINK(id, name) OUT_SINK_##id,
	OUT_SINKS(OUT_X_SINK)
#undef OUT_X_SINK
	OUT_SINK__COUNT
};
const char *out_sink_name(enum out_sink_id id);

struct out_stats {
	uint64_t queued;	   /* alerts accepted into the queue */
	uint64_t queue_drops;	   /* outputs_queue_num_drops: refused, queue full */
	uint64_t written;	   /* alerts the output thread formatted */
	uint64_t sink_ok[OUT_SINK__COUNT];
	uint64_t sink_fail[OUT_SINK__COUNT]; /* writes that failed or were skipped */
	uint64_t program_restarts;
	uint64_t file_reopens;
	uint64_t truncated;
};

struct out;

/*
 * An output stage for @nproducers producers (workers), plus one extra
 * producer for the controlling thread. Opens the sinks (a file sink that can
 * not be opened is an error here, with the reason in @err). NULL + errno.
 * Controlling thread.
 */
struct out *out_new(const struct out_config *c, unsigned nproducers, char *err, size_t errlen);
/* Start the output thread. 0 / -errno. Controlling thread. */
int out_start(struct out *o);
/*
 * Drain the queue (every alert accepted is written), flush and close the
 * sinks, join the thread. Producers must have stopped. Controlling thread.
 */
void out_stop(struct out *o);
/* Accepts NULL; stops first if needed. */
void out_free(struct out *o);

/* The producer index of the controlling thread. */
unsigned out_control_producer(const struct out *o);

/*
 * Producer @p: a slot to fill, or NULL when the queue is full (the drop is
 * counted on @p's counter line). Never blocks, never allocates.
 */
struct out_alert *out_alert_reserve_mp(struct out *o, unsigned p);
/* Producer: publish the slot. */
void out_alert_commit_mp(struct out *o, struct out_alert *a);

/*
 * Raw lines, for producers that must not lose output (`capture cat` on
 * workers): queue @line (@len bytes, no newline) to be written as it is,
 * followed by a newline, to every enabled sink, in queue order. Unlike
 * alerts, a full queue is not a drop: producer @p waits (yields, then
 * sleeps 50 us at a time) until the output thread frees a slot, and the
 * number of such waits is returned in *@waited (may be NULL). Never
 * waits for anything but the output thread, which never waits for
 * producers. A line longer than a slot is copied to the heap (one malloc,
 * freed by the output thread). 0 / -ENOMEM. The output thread must be
 * running.
 */
int out_line_put_wait_mp(struct out *o, unsigned p, uint64_t ts, const char *line, size_t len,
			 uint64_t *waited);

/* Any thread: ask the output thread to reopen the file sink (SIGHUP). */
void out_reopen(struct out *o);
/* Any thread: a snapshot of the counters (per-producer ones summed). */
void out_stats(const struct out *o, struct out_stats *st);
/* Producer @p's queue drops (for per-worker stats). */
uint64_t out_producer_drops(const struct out *o, unsigned p);

/* ---- metrics endpoint --------------------------------------------------- */

/*
 * Writes the Prometheus text exposition into @buf (@cap bytes); returns the
 * length wanted. Called on the HTTP server's thread for each scrape: must
 * only read counters.
 */
typedef size_t (*out_metrics_fn)(void *ctx, char *buf, size_t cap);

struct out_metrics;

/*
 * Serve GET /metrics on @addr:@port (libmicrohttpd, its own thread). NULL +
 * errno, with the reason in @err. Controlling thread.
 */
struct out_metrics *out_metrics_start(const char *addr, uint16_t port, out_metrics_fn fn,
				      void *ctx, char *err, size_t errlen);
/* Stop and free; accepts NULL. Controlling thread. */
void out_metrics_stop(struct out_metrics *m);

#endif /* PG_OUTPUT_OUTPUT_H */
