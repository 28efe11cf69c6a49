/*
 * record.h - writes the live event stream into a .scap capture
 * (`peregrine -w FILE`).
 *
 *   worker i --rec_put_sp--> SPSC ring i --+
 *   worker j --rec_put_sp--> SPSC ring j --+--> recorder thread: merge by time -> cap_writer
 *
 * Each worker hands the raw events of its probe ring to its own
 * single-producer ring (engine/spsc.h) and never waits: when that ring is
 * full the event is dropped from the recording and counted (the engine still
 * evaluates it). One recorder thread empties every ring, keeps the events of
 * the last @window_ns in a staging area sorted by timestamp, and writes each
 * event once the wall clock is @window_ns past it: the rings are per process,
 * so the stream of a parent and its child meet only here, and each ring on
 * its own is only nearly time-ordered. An event that arrives after later ones
 * were written (its worker lagged by more than the window) is written at once
 * and counted as late. On close everything left is written in order.
 *
 * The file starts with the section header, machine info and the initial
 * tables the caller read when recording began (state/proc_host_tables), so a
 * reader knows the processes that existed before the first event. Events are
 * written as EV blocks; their cpu is the one the caller passes (the probe's
 * ring index: the cpu in the cpu layout, the partition otherwise).
 *
 * Threads:
 *  - rec_open() and rec_close() belong to the controlling thread;
 *  - rec_put_sp(), rec_publish_sp() and rec_done_sp() for producer @i only
 *    (the worker that owns ring i), never after its rec_done_sp();
 *  - rec_stats() from any thread (it reads counters).
 * No malloc, lock or shared write per event on the producer side: a put is a
 * copy into the producer's own ring; a publish is one release store.
 */
#ifndef PG_ENGINE_RECORD_H
#define PG_ENGINE_RECORD_H

#include <stddef.h>
#include <stdint.h>

struct cap_machine;
struct cap_tables;

struct rec_opts {
	const char *path;
	unsigned nprod;	     /* producers (workers), >= 1 */
	size_t ring_bytes;   /* per producer (0: 16 MiB) */
	unsigned wflags;     /* CAP_WRITE_* */
	uint64_t window_ns;  /* ordering window (0: 200 ms) */
};

struct rec_stats {
	uint64_t written; /* events in the file */
	uint64_t dropped; /* events a full producer ring refused */
	uint64_t late;	  /* written out of time order (see above) */
	int err;	  /* first write error (-errno), 0 if none */
};

struct rec;

/*
 * Create the file (machine info @mi, initial tables @t) and start the
 * recorder thread. NULL with errno and a message in @err on failure.
 */
struct rec *rec_open(const struct rec_opts *o, const struct cap_machine *mi,
		     const struct cap_tables *t, char *err, size_t errlen);

/* Producer @i: copy one event (@len bytes, the libs layout) into its ring.
 * 0, or -ENOBUFS when the ring is full (dropped and counted). */
int rec_put_sp(struct rec *r, unsigned i, const void *ev, uint32_t len, uint16_t cpu);
/* Producer @i: make what it put visible to the recorder (once per batch). */
void rec_publish_sp(struct rec *r, unsigned i);
/* Producer @i: it puts nothing more (publishes first). */
void rec_done_sp(struct rec *r, unsigned i);

/* Counters so far. Any thread. */
void rec_stats(const struct rec *r, struct rec_stats *st);

/*
 * Wait until every producer called rec_done_sp (at most @wait_ms), write
 * what is left in order, close the file and free @r. The producers must
 * have stopped for good (the engine calls this after joining its workers):
 * records a producer puts after this call are never read. Fills @st;
 * returns 0 or the first write error (-errno, message in @err). Accepts
 * NULL.
 */
int rec_close(struct rec *r, unsigned wait_ms, struct rec_stats *st, char *err, size_t errlen);

#endif /* PG_ENGINE_RECORD_H */
