/*
 * spsc.c - the reader -> worker byte ring (see spsc.h for the protocol).
 *
 * Shared words each sit on their own cache line: the published tail (written
 * by the producer), the released head (written by the consumer) and the two
 * event counts used to sleep. Private copies of the other side's index live
 * on the owner's line, so the common case reads no line the other thread
 * writes.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine/spsc.h"

#define CL 64

struct spsc_ecount {
	_Atomic uint32_t seq;
	_Atomic uint32_t waiters;
};

struct eng_spsc {
	/* written by the producer, read by the consumer */
	_Alignas(CL) _Atomic uint64_t tail;
	_Atomic int closed;
	/* written by the consumer, read by the producer */
	_Alignas(CL) _Atomic uint64_t head;
	/* the consumer sleeps here (producer wakes) */
	_Alignas(CL) struct spsc_ecount data_ev;
	/* the producer sleeps here (consumer wakes) */
	_Alignas(CL) struct spsc_ecount space_ev;
	/* producer private */
	_Alignas(CL) uint64_t p_tail;	   /* committed, maybe unpublished */
	uint64_t p_resv;		   /* end of the record reserved last */
	uint64_t p_head;		   /* cached head */
	uint32_t p_pending;
	/* consumer private */
	_Alignas(CL) uint64_t c_head; /* next record to read */
	uint64_t c_tail;	      /* snapshot of tail for this batch */
	/* immutable */
	_Alignas(CL) uint8_t *buf;
	uint64_t cap, mask;
};

static long spsc_futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, (uint32_t *)addr, op | FUTEX_PRIVATE_FLAG, val, ts, NULL, 0);
}

/* Notifier side: after the release store that made progress. */
static void spsc_notify(struct spsc_ecount *ec)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&ec->waiters, memory_order_relaxed)) {
		atomic_fetch_add_explicit(&ec->seq, 1, memory_order_release);
		spsc_futex(&ec->seq, FUTEX_WAKE, INT_MAX, NULL);
	}
}

static void spsc_deadline(struct timespec *dl, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, dl);
	dl->tv_sec += timeout_ms / 1000;
	dl->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl->tv_nsec >= 1000000000L) {
		dl->tv_sec++;
		dl->tv_nsec -= 1000000000L;
	}
}

/* Remaining time until @dl into @rel; false when passed. */
static bool spsc_remaining(const struct timespec *dl, struct timespec *rel)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	rel->tv_sec = dl->tv_sec - now.tv_sec;
	rel->tv_nsec = dl->tv_nsec - now.tv_nsec;
	if (rel->tv_nsec < 0) {
		rel->tv_sec--;
		rel->tv_nsec += 1000000000L;
	}
	return rel->tv_sec >= 0;
}

static inline void spsc_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

struct eng_spsc *eng_spsc_new(size_t cap)
{
	struct eng_spsc *q;
	uint64_t c = 4096;

	while (c < cap)
		c <<= 1;
	q = aligned_alloc(CL, sizeof(*q));
	if (!q) {
		errno = ENOMEM;
		return NULL;
	}
	memset(q, 0, sizeof(*q));
	q->buf = aligned_alloc(CL, c);
	if (!q->buf) {
		free(q);
		errno = ENOMEM;
		return NULL;
	}
	q->cap = c;
	q->mask = c - 1;
	return q;
}

void eng_spsc_free(struct eng_spsc *q)
{
	if (!q)
		return;
	free(q->buf);
	free(q);
}

size_t eng_spsc_max_payload(const struct eng_spsc *q)
{
	return q->cap / 2 - ENG_SPSC_REC_HDR;
}

static inline uint64_t spsc_rec_size(uint32_t len)
{
	return (ENG_SPSC_REC_HDR + (uint64_t)len + 7) & ~(uint64_t)7;
}

/* Bytes the producer needs for a record of @len at p_tail, wrap included. */
static uint64_t spsc_need(const struct eng_spsc *q, uint32_t len)
{
	uint64_t rs = spsc_rec_size(len);
	uint64_t off = q->p_tail & q->mask;

	if (off + rs > q->cap)
		rs += q->cap - off;
	return rs;
}

void *eng_spsc_reserve_sp(struct eng_spsc *q, uint32_t len, uint16_t cpu)
{
	uint64_t need = spsc_need(q, len);
	uint64_t off;
	uint8_t *rec;

	if (q->p_tail + need - q->p_head > q->cap) {
		q->p_head = atomic_load_explicit(&q->head, memory_order_acquire);
		if (q->p_tail + need - q->p_head > q->cap)
			return NULL;
	}
	off = q->p_tail & q->mask;
	if (off + spsc_rec_size(len) > q->cap) {
		uint32_t skip = ENG_SPSC_SKIP;

		memcpy(q->buf + off, &skip, sizeof(skip));
		off = 0;
	}
	rec = q->buf + off;
	memcpy(rec, &len, 4);
	memcpy(rec + 4, &cpu, 2);
	memset(rec + 6, 0, 2);
	q->p_resv = q->p_tail + need;
	return rec + ENG_SPSC_REC_HDR;
}

void eng_spsc_commit_sp(struct eng_spsc *q)
{
	q->p_tail = q->p_resv;
	q->p_pending++;
}

uint32_t eng_spsc_publish_sp(struct eng_spsc *q)
{
	uint32_t n = q->p_pending;

	if (!n)
		return 0;
	atomic_store_explicit(&q->tail, q->p_tail, memory_order_release);
	q->p_pending = 0;
	spsc_notify(&q->data_ev);
	return n;
}

uint32_t eng_spsc_pending_sp(const struct eng_spsc *q)
{
	return q->p_pending;
}

int eng_spsc_wait_space_sp(struct eng_spsc *q, uint32_t len, const _Atomic int *stop,
			   int timeout_ms)
{
	uint64_t need = spsc_need(q, len);
	struct timespec dl, rel;
	int spins = 0;

	if (timeout_ms >= 0)
		spsc_deadline(&dl, timeout_ms);
	for (;;) {
		uint32_t seq;

		q->p_head = atomic_load_explicit(&q->head, memory_order_acquire);
		if (q->p_tail + need - q->p_head <= q->cap)
			return 0;
		if (stop && atomic_load_explicit(stop, memory_order_relaxed))
			return -ECANCELED;
		if (spins++ < 64) {
			spsc_relax();
			continue;
		}
		seq = atomic_load_explicit(&q->space_ev.seq, memory_order_acquire);
		atomic_fetch_add_explicit(&q->space_ev.waiters, 1, memory_order_seq_cst);
		q->p_head = atomic_load_explicit(&q->head, memory_order_seq_cst);
		if (q->p_tail + need - q->p_head > q->cap) {
			/* sleep at most 50 ms at a time so @stop is seen */
			struct timespec t = {0, 50 * 1000000L};

			if (timeout_ms >= 0) {
				if (!spsc_remaining(&dl, &rel)) {
					atomic_fetch_sub(&q->space_ev.waiters, 1);
					return -ETIMEDOUT;
				}
				if (rel.tv_sec == 0 && rel.tv_nsec < t.tv_nsec)
					t = rel;
			}
			spsc_futex(&q->space_ev.seq, FUTEX_WAIT, seq, &t);
		}
		atomic_fetch_sub_explicit(&q->space_ev.waiters, 1, memory_order_relaxed);
	}
}

void eng_spsc_close_sp(struct eng_spsc *q)
{
	eng_spsc_publish_sp(q);
	atomic_store_explicit(&q->closed, 1, memory_order_release);
	eng_spsc_kick(q);
}

size_t eng_spsc_begin_sc(struct eng_spsc *q)
{
	q->c_tail = atomic_load_explicit(&q->tail, memory_order_acquire);
	return q->c_tail - q->c_head;
}

int eng_spsc_next_sc(struct eng_spsc *q, const void **payload, uint32_t *len, uint16_t *cpu)
{
	const uint8_t *rec;
	uint32_t l;

	if (q->c_head >= q->c_tail)
		return 0;
	rec = q->buf + (q->c_head & q->mask);
	memcpy(&l, rec, 4);
	if (l == ENG_SPSC_SKIP) {
		q->c_head += q->cap - (q->c_head & q->mask);
		rec = q->buf;
		memcpy(&l, rec, 4);
	}
	memcpy(cpu, rec + 4, 2);
	*len = l;
	*payload = rec + ENG_SPSC_REC_HDR;
	q->c_head += spsc_rec_size(l);
	return 1;
}

void eng_spsc_release_sc(struct eng_spsc *q)
{
	atomic_store_explicit(&q->head, q->c_head, memory_order_release);
	spsc_notify(&q->space_ev);
}

int eng_spsc_wait_sc(struct eng_spsc *q, int timeout_ms)
{
	struct timespec dl, rel;
	int spins = 0;

	if (timeout_ms >= 0)
		spsc_deadline(&dl, timeout_ms);
	for (;;) {
		uint32_t seq;
		int closed;

		if (atomic_load_explicit(&q->tail, memory_order_acquire) != q->c_head)
			return 1;
		closed = atomic_load_explicit(&q->closed, memory_order_acquire);
		if (closed) {
			/* the last publish happened before closed was set */
			if (atomic_load_explicit(&q->tail, memory_order_acquire) != q->c_head)
				return 1;
			return 0;
		}
		if (spins++ < 128) {
			spsc_relax();
			continue;
		}
		seq = atomic_load_explicit(&q->data_ev.seq, memory_order_acquire);
		atomic_fetch_add_explicit(&q->data_ev.waiters, 1, memory_order_seq_cst);
		if (atomic_load_explicit(&q->tail, memory_order_seq_cst) == q->c_head &&
		    !atomic_load_explicit(&q->closed, memory_order_seq_cst)) {
			struct timespec *tp = NULL;

			if (timeout_ms >= 0) {
				if (!spsc_remaining(&dl, &rel)) {
					atomic_fetch_sub(&q->data_ev.waiters, 1);
					return -ETIMEDOUT;
				}
				tp = &rel;
			}
			spsc_futex(&q->data_ev.seq, FUTEX_WAIT, seq, tp);
		}
		atomic_fetch_sub_explicit(&q->data_ev.waiters, 1, memory_order_relaxed);
	}
}

void eng_spsc_kick(struct eng_spsc *q)
{
	atomic_fetch_add_explicit(&q->data_ev.seq, 1, memory_order_release);
	spsc_futex(&q->data_ev.seq, FUTEX_WAKE, INT_MAX, NULL);
}
