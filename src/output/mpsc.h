/*
 * mpsc.h - a bounded multi-producer single-consumer queue of fixed-size
 * slots (Dmitry Vyukov's bounded queue, consumer side simplified to one
 * thread). It carries alerts from every worker to the one output thread.
 *
 * Each cell holds a sequence number and one slot. A producer claims the cell
 * at enqueue_pos with one CAS, fills the slot in place (no copy, no malloc)
 * and publishes it with a release store of the cell's sequence; a full queue
 * makes the claim fail at once - producers never wait. The consumer reads
 * cells in order and hands each back with a release store of its sequence.
 * A producer that claimed a cell and has not published it yet holds back the
 * consumer (never other producers); producers fill slots in a few
 * microseconds, so this costs nothing in practice.
 *
 * The consumer can sleep: it announces itself in @waiters and sleeps on a
 * futex; a producer, after publishing, looks at @waiters (one load after a
 * fence) and only then writes the wake word - so with the consumer busy,
 * producers share only the enqueue_pos line.
 *
 * Names carry the contract: *_mp any number of producer threads at once,
 * *_sc the one consumer thread.
 */
#ifndef PG_OUTPUT_MPSC_H
#define PG_OUTPUT_MPSC_H

#include <stddef.h>
#include <stdint.h>

struct out_mpsc;

/* @capacity slots (rounded up to a power of two, at least 2) of @slot_size
 * bytes (rounded up to 64). NULL + errno. */
struct out_mpsc *out_mpsc_new(size_t capacity, size_t slot_size);
/* Accepts NULL. No thread may use the queue any more. */
void out_mpsc_free(struct out_mpsc *q);
size_t out_mpsc_capacity(const struct out_mpsc *q);

/* Producer: claim a slot (NULL when the queue is full; never waits). */
void *out_mpsc_reserve_mp(struct out_mpsc *q);
/* Producer: publish a slot claimed by out_mpsc_reserve_mp. */
void out_mpsc_commit_mp(struct out_mpsc *q, void *slot);

/* Consumer: the oldest published slot, or NULL when none is (yet). */
void *out_mpsc_peek_sc(struct out_mpsc *q);
/* Consumer: hand the slot peek returned back to the producers. */
void out_mpsc_pop_sc(struct out_mpsc *q);
/* Consumer: sleep until a slot may be published or @timeout_ms passes. */
void out_mpsc_wait_sc(struct out_mpsc *q, int timeout_ms);
/* Any thread: wake a consumer sleeping in out_mpsc_wait_sc. */
void out_mpsc_kick(struct out_mpsc *q);

#endif /* PG_OUTPUT_MPSC_H */
