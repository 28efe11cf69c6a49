/*
 * spsc.h - the bounded single-producer single-consumer byte ring that carries
 * events from the replay reader thread to one worker.
 *
 * The reader copies each event (header + parameters, the libs layout) into
 * the ring of the worker that owns its process, behind an 8-byte record
 * header {u32 len, u16 cpu, u16 flags}, and publishes a whole batch with one
 * release store of the tail. The worker reads the tail once, walks every
 * record up to it in place (events are decoded straight out of the ring),
 * then releases the batch with one store of the head - so the two threads
 * write each other's cache lines once per batch, not once per event. Each
 * side keeps a private copy of the other's index and only re-reads the shared
 * one when the copy says the ring looks full (producer) or empty (consumer).
 *
 * HOW IT WORKS
 *   - positions are byte counters that only grow (u64, never wrap in practice);
 *     offset = pos & (cap - 1);
 *   - a record that does not fit before the end of the buffer is preceded by
 *     a skip marker (len = ENG_SPSC_SKIP) and starts at offset 0;
 *   - a blocked side sleeps on a futex "event count": it announces itself in
 *     @waiters, re-checks, and sleeps on @seq; the other side, after its
 *     release store and a full fence, bumps @seq and wakes only when someone
 *     announced itself. With nobody waiting a publish costs one fence.
 *
 * Thread safety is in the names: *_sp functions belong to the one producer
 * thread, *_sc functions to the one consumer thread; eng_spsc_new/free to
 * whoever owns the ring before/after both threads run.
 */
#ifndef PG_ENGINE_SPSC_H
#define PG_ENGINE_SPSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENG_SPSC_SKIP 0xffffffffu /* record header len of a wrap marker */
#define ENG_SPSC_REC_HDR 8u	  /* bytes before each payload */

struct eng_spsc;

/*
 * A ring of @cap bytes (rounded up to a power of two, at least 4096).
 * NULL + errno (ENOMEM).
 */
struct eng_spsc *eng_spsc_new(size_t cap);
/* Accepts NULL. Neither side may be using the ring any more. */
void eng_spsc_free(struct eng_spsc *q);

/* Largest payload a ring of this size accepts (half its capacity). Any thread. */
size_t eng_spsc_max_payload(const struct eng_spsc *q);

/*
 * Producer: room for a payload of @len bytes, or NULL when the ring is full
 * right now (then publish and eng_spsc_wait_space_sp). The bytes are not
 * visible to the consumer before eng_spsc_commit_sp + eng_spsc_publish_sp.
 * @len must be <= eng_spsc_max_payload.
 */
void *eng_spsc_reserve_sp(struct eng_spsc *q, uint32_t len, uint16_t cpu);
/* Producer: the record reserved last is complete. No shared write. */
void eng_spsc_commit_sp(struct eng_spsc *q);
/* Producer: make every committed record visible (one release store) and wake
 * the consumer if it sleeps. Returns the number of records published. */
uint32_t eng_spsc_publish_sp(struct eng_spsc *q);
/* Producer: committed but unpublished records. */
uint32_t eng_spsc_pending_sp(const struct eng_spsc *q);
/*
 * Producer: wait until @len more bytes fit, or *@stop becomes true, or
 * @timeout_ms passes (-1: no limit). 0 when there is room, -ETIMEDOUT,
 * -ECANCELED (stop).
 */
int eng_spsc_wait_space_sp(struct eng_spsc *q, uint32_t len, const _Atomic int *stop,
			   int timeout_ms);
/* Producer: no more records will come (after a last publish). */
void eng_spsc_close_sp(struct eng_spsc *q);

/*
 * Consumer: start a batch - snapshot the published tail. Returns the number
 * of bytes available (0: empty now).
 */
size_t eng_spsc_begin_sc(struct eng_spsc *q);
/*
 * Consumer: the next record of the batch: 1 and *@payload/@len/@cpu filled
 * (pointing into the ring, valid until eng_spsc_release_sc), 0 at the end of
 * the batch.
 */
int eng_spsc_next_sc(struct eng_spsc *q, const void **payload, uint32_t *len, uint16_t *cpu);
/* Consumer: give the batch's bytes back to the producer (one store) and wake
 * it if it waits for space. */
void eng_spsc_release_sc(struct eng_spsc *q);
/*
 * Consumer: wait until records are published, the producer closed the ring
 * or @timeout_ms passes (-1: no limit). 1 when data is there, 0 when closed
 * and drained, -ETIMEDOUT.
 */
int eng_spsc_wait_sc(struct eng_spsc *q, int timeout_ms);
/* Consumer: wake a consumer sleeping in eng_spsc_wait_sc (any thread; used
 * on shutdown). */
void eng_spsc_kick(struct eng_spsc *q);

#endif /* PG_ENGINE_SPSC_H */
