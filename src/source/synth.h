/*
 * synth.h - a generator of realistic synthetic event streams.
 *
 * It builds a process tree with clone and execve (believable exe paths and
 * command lines), then emits a mix of file, network and process events in
 * proportions close to a busy server: reads and writes dominate, opens and
 * closes, sends and receives, occasional connects, accepts, execs and exits.
 * Every event is in the current libs layout (what the probe writes), as an
 * enter/exit pair, so both peregrine and older libs-based tools read it.
 *
 * The skew Z spreads events over processes by a Zipf law: process i makes
 * events with weight 1/(i+1)^Z; Z = 0 is even, a high Z lets one process make
 * most events. That is what the scaling benchmarks vary.
 *
 * The stream is deterministic for a given seed. Single-threaded: one
 * generator belongs to one thread.
 */
#ifndef PG_SOURCE_SYNTH_H
#define PG_SOURCE_SYNTH_H

#include <stdbool.h>
#include <stdint.h>

struct synth_opts {
	uint64_t events;	   /* events to emit (enter and exit count one each) */
	uint32_t procs;		   /* live processes kept in the tree */
	uint32_t threads_per_proc; /* threads per process (>= 1) */
	double skew;		   /* Zipf exponent over processes, >= 0 */
	uint64_t seed;
	uint32_t ncpus;		   /* cpus events are spread over (>= 1) */
	uint64_t start_ts;	   /* timestamp of the first event, ns since epoch */
};

/* The initial process the tree grows from (declared in the capture's process
 * list, as a real capture declares what ran before it started). */
struct synth_proc {
	uint64_t tid, pid, ptid;
	const char *comm, *exe, *exepath, *cwd;
	const char *args; /* NUL-separated */
	uint32_t args_len;
	uint32_t uid, gid;
	uint64_t clone_ts;
};

struct synth_sink {
	/* One initial process; called before any event. */
	int (*proc)(void *ctx, const struct synth_proc *p);
	/* One event in the libs layout (struct evt_hdr first), @len bytes. */
	int (*event)(void *ctx, uint16_t cpu, const void *ev, uint32_t len);
	void *ctx;
};

/* Fill @o with the defaults: 1M events, 64 procs, 1 thread, skew 0, seed 1. */
void synth_opts_default(struct synth_opts *o);

/*
 * synth_run - generate the whole stream into @sink. Returns 0, -EINVAL for
 * bad options, -ENOMEM, or the first negative value a sink callback
 * returned (which stops the run).
 */
int synth_run(const struct synth_opts *o, const struct synth_sink *sink);

#endif /* PG_SOURCE_SYNTH_H */
