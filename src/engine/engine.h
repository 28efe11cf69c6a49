/*
 * engine.h - the multi-threaded engine: N workers, each owning a partition
 * of the processes, each scanning the capture itself (replay) or reading
 * its own ring of the eBPF probe (live), evaluating the shared compiled
 * ruleset and queueing alerts to the output stage.
 *
 *   replay:  capture (mmap) --each worker scans every header, keeps its own--> worker i
 *   live:    probe ring i ----------------------------------------------------> worker i
 *   worker:  [set order key] decode -> proc_event_apply -> rule_eval
 *            -> proc_event_done -> alerts into the output MPSC queue (never waits)
 *
 * Live mode: worker i reads ring i of the probe (tgid/tid). With cpu the
 * probe has a ring per cpu and ONE worker reads them all through a merging
 * consumer that always takes the oldest head event (the reference engine's
 * layout, the baseline). The probe sends only the syscalls the rules and
 * the state need (eng_syscalls_for; all with all_syscalls), re-selected on
 * eng_swap_rules. eng_stop detaches the probe before the workers drain, so
 * at exit every event the kernel wrote was processed: the kernel's counters
 * equal the workers'. With record_path every event is also written to a
 * capture by engine/record.c (a bounded queue per worker: a worker never
 * waits for the disk; what a full queue refuses is counted).
 *
 * Partitioning. tgid: owner = prb_part_of(tgid, N), the probe's own
 * function, so replay and live agree. The event header has no tgid; every
 * replay worker keeps its own tid -> tgid map, fed by the capture's process
 * table, clone/fork/vfork/clone3 and execve exits (pid parameter) and
 * dropped on procexit; all workers see the same events in the same order,
 * so all maps agree and every event has exactly one owner. No one asks the
 * shared state: it is written by the workers asynchronously, so its answer
 * would depend on timing. tid: owner = prb_part_of(tid, N) (threads of
 * one process spread out; their fd events meet a foreign fd table, so tid
 * replays are not equal to one worker's). cpu: the classic single-consumer
 * layout (one thread reads and evaluates inline), the baseline benchmarks
 * compare against.
 *
 * Replay has no reader thread (on a 2-core machine it would take a core
 * share from the workers) and no barriers: each event's order key is its
 * index in the capture, each worker's progress is its scan position, and the
 * state answers cross-partition reads AS OF the reader's key (state.h), so
 * the alerts of a replay are the same for any number of workers. engine.c's
 * "shared scan" block says how. Live mode keys events by their timestamps
 * and never waits (state.h says what that guarantees).
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
struct fld_ctx;

enum eng_partition { ENG_PART_TGID = 0, ENG_PART_TID, ENG_PART_CPU };

#define ENG_MAX_WORKERS 64u
/* Replay purges idle threads at every key that is a multiple of this (a
 * power of two), on every worker with the event's time: what dies when
 * then depends on the capture only (state.h, PROC_PURGE_ALL). The
 * one-thread replay (cli_replay) purges at the same keys. */
#define ENG_PURGE_EVERY (1u << 20)
#define ENG_MAX_RULES 4096u /* per-rule match counters kept per worker */
#define ENG_DROP_NCAT 8u    /* == PRB_DROP_NCAT */

/* "tgid"/"tid"/"cpu" -> mode; -EINVAL. */
int eng_partition_parse(const char *s, enum eng_partition *out);
const char *eng_partition_name(enum eng_partition p);

/*
 * A per-event hook, besides the rules (`capture cat` runs the engine with a
 * NULL ruleset and prints from here): called on worker @worker for every
 * event it owns except meta events, after the state update and before its
 * deferred part (proc_event_done); @c is valid during the call only. It
 * must not touch the state and may wait only for something that never
 * waits for a worker (other workers may wait for this one's progress):
 * `capture cat` waits for the output thread when its queue is full, which
 * a live engine must never do. A negative return (-errno)
 * stops the engine: eng_join reports it as that worker's error.
 */
typedef int (*eng_event_fn)(void *arg, unsigned worker, const struct fld_ctx *c);

struct eng_opts {
	unsigned workers;	  /* 0 = online CPUs */
	enum eng_partition part;
	size_t queue_bytes;	  /* unused (replay had SPSC rings before the shared scan) */
	uint64_t ring_bytes;	  /* live: probe ring per worker (0 = 8 MiB) */
	bool match_all;		  /* rule_matching: all */
	unsigned batch;		  /* unused (see queue_bytes) */
	bool all_syscalls;	  /* live: send every handled syscall (-A), not the rules' */
	bool syscall_hook;	  /* live: the probe on each selected syscall's own
				   * tracepoint, not on raw sys_exit (live.h, PRB_HOOK_SYSCALL) */
	const char *record_path;  /* live: also write the events into this .scap (-w) */
	unsigned record_flags;	  /* CAP_WRITE_* for record_path */
	eng_event_fn on_event;	  /* NULL = none */
	void *on_event_arg;
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
/* Start live: load the probe with one ring per worker. 0 / -errno, reason in
 * @err; on success @err holds a warning, or "" (host users not readable). */
int eng_start_live(struct eng *e, char *err, size_t errlen);

/* Live with the syscall hook: a warning about the selected syscalls the
 * probe cannot see on this kernel (no tracepoint), into @buf; its length,
 * 0 (and "") when there is nothing to say. eng_start_live() appends it to
 * its own warning; call it again after eng_swap_rules(), whose selection
 * may add such syscalls. Controlling thread. */
size_t eng_probe_warning(const struct eng *e, char *buf, size_t len);

/* Ask everything to stop: replay workers stop scanning, live workers drain
 * their rings, and all exit. Returns at once; eng_join waits. */
void eng_stop(struct eng *e);
/* true once every worker has exited (replay reached the end, or stopped). */
bool eng_done(const struct eng *e);
/* Sleep until every worker has exited or @ms milliseconds have passed
 * (controlling thread; lets it see the end at once, not at its next tick). */
void eng_wait(struct eng *e, unsigned ms);
/* Wait for the workers. Returns 0, or the replay's -errno (a corrupt
 * capture, as the first worker to meet it reported) with the reason in @err. */
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
	uint64_t reader_events; /* replay: events scanned (worker 0's position) */
	uint64_t oversize;	/* always 0 (replay had SPSC rings before) */
	uint64_t first_ts, last_ts; /* replay: event times seen by the scan */
	/* live -w: events written to the file, refused by a full recorder
	 * queue, written out of time order (engine/record.h) */
	uint64_t record_written, record_drops, record_late;
	uint32_t nsyscalls;	    /* live: syscalls the probe sends */
	/* live: full-ring drops by enum prb_drop_cat (source/live.h), the
	 * reference engine's categories */
	uint64_t kernel_drops_by[ENG_DROP_NCAT];
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

/*
 * The syscalls (x86_64 numbers, into @nr, at most @max) the probe must send
 * for ruleset @rs: every handled syscall whose event type a rule of @rs
 * meets, plus those the process state needs (they create, close or change
 * fds or processes, or proc_event_type_shapes says they shape a thread), as
 * the reference engine selects its base syscalls.
 * Returns how many. Pure function.
 */
uint32_t eng_syscalls_for(const struct rule_ruleset *rs, uint32_t *nr, uint32_t max);

/* Free everything; the engine must be joined. Accepts NULL. */
void eng_free(struct eng *e);

#endif /* PG_ENGINE_ENGINE_H */
