/*
 * engine.h - the multi-threaded engine: N workers, each owning a partition
 * of the processes, fed by a capture reader thread (replay) or by their own
 * ring of the eBPF probe (live), evaluating the shared compiled ruleset and
 * queueing alerts to the output stage.
 *
 *   replay:  reader thread --(SPSC byte ring per worker, batched)--> worker i
 *   live:    probe ring i ------------------------------------------> worker i
 *   worker:  decode -> proc_event_apply -> rule_eval -> proc_event_done
 *            -> alerts into the output MPSC queue (never waits)
 *
 * Partitioning. tgid: owner = prb_part_hash(tgid) % N, the probe's own
 * function, so replay and live agree. The event header has no tgid; the
 * reader keeps its own tid -> tgid map, fed by the capture's process table,
 * clone/fork/vfork/clone3 and execve exits (pid parameter) and dropped on
 * procexit. The reader does not ask the shared state: that is written by the
 * workers asynchronously, so its answer would depend on timing, and the
 * partition of an event (hence which worker sees a process first) would not
 * be reproducible from run to run. The map is deterministic and costs the
 * reader one hash lookup per event. tid: owner = prb_part_hash(tid) % N.
 * cpu: the classic single-consumer layout (one thread reads and evaluates
 * inline, no queue), the baseline benchmarks compare against.
 *
 * Rules reload: the compiled ruleset is one pointer. eng_swap_rules stores
 * the new one and waits for a grace period built from per-worker
 * generations: each worker, between batches (or while idle, every 100 ms),
 * notices the new pointer, drops its evaluation state for the old one and
 * publishes the generation it now runs; once every running worker has, the
 * old ruleset is freed. A worker never holds a ruleset across batches it did
 * not check.
 *
 * Threads: every eng_* function belongs to the controlling thread, except
 * eng_stats / eng_rule_hits / eng_done (any thread: they only read counters).
 */
#ifndef PG_ENGINE_ENGINE_H
#define PG_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct out;
struct rule_ruleset;
struct proc_table;

enum eng_partition { ENG_PART_TGID = 0, ENG_PART_TID, ENG_PART_CPU };

#define ENG_MAX_WORKERS 64u
#define ENG_MAX_RULES 4096u /* per-rule match counters kept per worker */

/* "tgid"/"tid"/"cpu" -> mode; -EINVAL. */
int eng_partition_parse(const char *s, enum eng_partition *out);
const char *eng_partition_name(enum eng_partition p);

struct eng_opts {
	unsigned workers;	  /* 0 = online CPUs */
	enum eng_partition part;
	size_t queue_bytes;	  /* replay: SPSC ring per worker (0 = 4 MiB) */
	uint64_t ring_bytes;	  /* live: probe ring per worker (0 = 8 MiB) */
	bool match_all;		  /* rule_matching: all */
	unsigned batch;		  /* replay: events per publish (0 = 64) */
};

struct eng;

/*
 * An engine evaluating @rs (ownership passes to the engine) and queueing to
 * @out (producer indexes 0..workers-1). NULL + errno.
 */
struct eng *eng_new(const struct eng_opts *o, struct rule_ruleset *rs, struct out *out);
/* Workers actually used (after the 0 = CPUs default and cpu partitioning). */
unsigned eng_workers(const struct eng *e);

/* Start replaying @path. 0 / -errno with the reason in @err. */
int eng_start_replay(struct eng *e, const char *path, char *err, size_t errlen);
/* Start live: load the probe with one ring per worker. 0 / -errno, reason in @err. */
int eng_start_live(struct eng *e, char *err, size_t errlen);

/* Ask everything to stop: the reader stops reading, workers drain their
 * queues and exit. Returns at once; eng_join waits. */
void eng_stop(struct eng *e);
/* true once every worker has exited (replay reached the end, or stopped). */
bool eng_done(const struct eng *e);
/* Wait for the reader and the workers. Returns 0, or the reader's -errno
 * (a corrupt capture) with the reason in @err. */
int eng_join(struct eng *e, char *err, size_t errlen);

/*
 * Install @rs (the engine takes it) while workers run; frees the old ruleset
 * after every running worker has moved on. 0 / -ETIMEDOUT (a worker did not
 * move on within 10 s: the old ruleset is leaked rather than freed unsafely).
 */
int eng_swap_rules(struct eng *e, struct rule_ruleset *rs);
/* The current ruleset (controlling thread: it alone replaces it). */
const struct rule_ruleset *eng_rules(const struct eng *e);

struct eng_worker_stats {
	uint64_t events;   /* events processed */
	uint64_t rejected; /* events the decoder refused */
	uint64_t matches;  /* rule matches */
	uint64_t alert_drops; /* alerts refused by the full output queue */
	uint64_t kernel_events, kernel_drops; /* live: the worker's ring */
};

struct eng_stats {
	unsigned nworkers;
	struct eng_worker_stats w[ENG_MAX_WORKERS];
	uint64_t events, matches, kernel_events, kernel_drops, alert_drops;
	uint64_t reader_events; /* replay: events read and dispatched */
	uint64_t oversize;	/* replay: events larger than a worker ring (skipped) */
	uint64_t first_ts, last_ts; /* replay: event times seen by the reader */
};

/* A snapshot of the counters, per-worker blocks summed. Any thread. */
void eng_stats(const struct eng *e, struct eng_stats *st);
/* Matches of compiled rule @index over all workers. Any thread. */
uint64_t eng_rule_hits(const struct eng *e, uint32_t index);
/*
 * Call @fn for each rule that matched at least once since the ruleset was
 * installed, with its total over all workers. Any thread (holds a lock a
 * rules swap takes to free the old names).
 */
void eng_rule_hits_foreach(struct eng *e, void (*fn)(void *arg, const char *rule, uint64_t n),
			   void *arg);
/* The shared process table (for its counters). */
struct proc_table *eng_proc_table(const struct eng *e);

/* Free everything; the engine must be joined. Accepts NULL. */
void eng_free(struct eng *e);

#endif /* PG_ENGINE_ENGINE_H */
