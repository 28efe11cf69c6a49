/*
 * mpsc.c - Vyukov's bounded queue with one consumer (see mpsc.h).
 *
 * Cell i starts with seq = i. A producer at position pos may take the cell
 * when seq == pos, publishes it with seq = pos + 1; the consumer at pos reads
 * it when seq == pos + 1 and frees it with seq = pos + capacity (the value
 * the producer one lap later waits for). seq < pos means a full lap behind:
 * the queue is full.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "output/mpsc.h"

#define CL 64

/* One line per cell's sequence number: producers of neighbouring cells do
 * not share a line, and the slots (large, mostly never used) are touched
 * only when an alert is put in them. */
struct mpsc_cell {
	_Alignas(CL) _Atomic uint64_t seq;
};

struct out_mpsc {
	_Alignas(CL) _Atomic uint64_t enqueue_pos; /* producers */
	_Alignas(CL) _Atomic uint32_t wake_seq;	   /* consumer sleeps here */
	_Atomic uint32_t waiters;
	_Alignas(CL) uint64_t dequeue_pos; /* consumer private */
	_Alignas(CL) struct mpsc_cell *cells;
	uint8_t *slots;
	uint64_t mask;
	size_t stride; /* bytes per slot, a multiple of CL */
};

static inline struct mpsc_cell *mpsc_cell(const struct out_mpsc *q, uint64_t pos)
{
	return &q->cells[pos & q->mask];
}

static inline void *mpsc_slot(const struct out_mpsc *q, const struct mpsc_cell *c)
{
	return q->slots + (size_t)(c - q->cells) * q->stride;
}

static inline struct mpsc_cell *mpsc_cell_of(const struct out_mpsc *q, void *slot)
{
	return &q->cells[(size_t)((uint8_t *)slot - q->slots) / q->stride];
}

struct out_mpsc *out_mpsc_new(size_t capacity, size_t slot_size)
{
	struct out_mpsc *q;
	uint64_t n = 2;

	while (n < capacity)
		n <<= 1;
	q = aligned_alloc(CL, sizeof(*q));
	if (!q) {
		errno = ENOMEM;
		return NULL;
	}
	memset(q, 0, sizeof(*q));
	q->stride = (slot_size + CL - 1) & ~(size_t)(CL - 1);
	q->cells = aligned_alloc(CL, n * sizeof(*q->cells));
	/* not written here: the pages of slots never used stay untouched */
	q->slots = aligned_alloc(CL, n * q->stride);
	if (!q->cells || !q->slots) {
		free(q->cells);
		free(q->slots);
		free(q);
		errno = ENOMEM;
		return NULL;
	}
	q->mask = n - 1;
	for (uint64_t i = 0; i < n; i++)
		atomic_init(&q->cells[i].seq, i);
	return q;
}

void out_mpsc_free(struct out_mpsc *q)
{
	if (!q)
		return;
	free(q->cells);
	free(q->slots);
	free(q);
}

size_t out_mpsc_capacity(const struct out_mpsc *q)
{
	return q->mask + 1;
}

void *out_mpsc_reserve_mp(struct out_mpsc *q)
{
	uint64_t pos = atomic_load_explicit(&q->enqueue_pos, memory_order_relaxed);

	for (;;) {
		struct mpsc_cell *c = mpsc_cell(q, pos);
		uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
		int64_t dif = (int64_t)(seq - pos);

		if (dif == 0) {
			if (atomic_compare_exchange_weak_explicit(&q->enqueue_pos, &pos, pos + 1,
								  memory_order_relaxed,
								  memory_order_relaxed))
				return mpsc_slot(q, c);
		} else if (dif < 0) {
			return NULL;
		} else {
			pos = atomic_load_explicit(&q->enqueue_pos, memory_order_relaxed);
		}
	}
}

void out_mpsc_commit_mp(struct out_mpsc *q, void *slot)
{
	struct mpsc_cell *c = mpsc_cell_of(q, slot);
	/* the cell was claimed at seq == pos: publish pos + 1 */
	uint64_t seq = atomic_load_explicit(&c->seq, memory_order_relaxed);

	atomic_store_explicit(&c->seq, seq + 1, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&q->waiters, memory_order_relaxed))
		out_mpsc_kick(q);
}

void *out_mpsc_peek_sc(struct out_mpsc *q)
{
	struct mpsc_cell *c = mpsc_cell(q, q->dequeue_pos);
	uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);

	if (seq != q->dequeue_pos + 1)
		return NULL;
	return mpsc_slot(q, c);
}

void out_mpsc_pop_sc(struct out_mpsc *q)
{
	struct mpsc_cell *c = mpsc_cell(q, q->dequeue_pos);

	atomic_store_explicit(&c->seq, q->dequeue_pos + q->mask + 1, memory_order_release);
	q->dequeue_pos++;
}

void out_mpsc_wait_sc(struct out_mpsc *q, int timeout_ms)
{
	uint32_t seq = atomic_load_explicit(&q->wake_seq, memory_order_acquire);
	struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};

	atomic_fetch_add_explicit(&q->waiters, 1, memory_order_seq_cst);
	atomic_thread_fence(memory_order_seq_cst);
	if (!out_mpsc_peek_sc(q))
		syscall(SYS_futex, (uint32_t *)&q->wake_seq, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, seq,
			timeout_ms >= 0 ? &ts : NULL, NULL, 0);
	atomic_fetch_sub_explicit(&q->waiters, 1, memory_order_relaxed);
}

void out_mpsc_kick(struct out_mpsc *q)
{
	atomic_fetch_add_explicit(&q->wake_seq, 1, memory_order_release);
	syscall(SYS_futex, (uint32_t *)&q->wake_seq, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX,
		NULL, NULL, 0);
}
