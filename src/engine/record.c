/*
 * record.c - the live recorder: per-worker SPSC rings, one thread merging
 * them by time into a capture file. record.h says who calls what.
 *
 * HOW THE MERGE WORKS. The recorder pulls every published record of every
 * ring into a byte arena (one copy; the ring is released at once, so
 * producers are never held up by the file) and describes each by an entry
 * {ts, seq, off, len, cpu}. The entries of one pull are sorted by (ts, seq)
 * and merged with the staged entries, which are kept sorted. Then every
 * staged entry at least window_ns older than the wall clock is written, in
 * order, and the arena is compacted to the rest. seq is the pull order, so
 * events of one ring with equal times keep their ring order.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abi/event.h"
#include "capture/capture.h"
#include "engine/record.h"
#include "engine/spsc.h"

#define CL 64
#define REC_STAGE_MAX (256u << 20) /* arena bytes before a forced write */
#define REC_TICK_NS 5000000L	   /* recorder sleep when nothing came */

/* One producer's ring and counters (written by that producer only). */
struct rec_prod {
	struct eng_spsc *q;
	_Alignas(CL) _Atomic uint64_t dropped;
	_Atomic int done;
};

struct rec_ent {
	uint64_t ts, seq;
	uint32_t off, len;
	uint16_t cpu;
};

struct rec {
	struct rec_opts o;
	struct cap_writer *w;
	struct rec_prod *p;
	pthread_t thread;
	_Atomic int closing;
	/* recorder thread only */
	struct rec_ent *s, *b, *m; /* staged (sorted), this pull, merge target */
	size_t ns, nb, ecap;
	uint8_t *buf, *buf2;	   /* arena, and the compaction target */
	size_t used, bcap;
	uint64_t seq, last_ts;
	/* counters (recorder writes, anyone reads) */
	_Atomic uint64_t written, late;
	_Atomic int err;
	char msg[512];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct rec_ent *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Room for @n more entries in each entry array. 0 / -ENOMEM. */
static int ents_reserve(struct rec *r, size_t n)
{
	size_t need = r->ns + r->nb + n, cap = r->ecap ? r->ecap : 4096;
	struct rec_ent *v[3];

	if (need <= r->ecap)
		return 0;
	while (cap < need)
		cap *= 2;
	v[0] = realloc(r->s, cap * sizeof(*r->s));
	if (v[0])
		r->s = v[0];
	v[1] = realloc(r->b, cap * sizeof(*r->b));
	if (v[1])
		r->b = v[1];
	v[2] = realloc(r->m, cap * sizeof(*r->m));
	if (v[2])
		r->m = v[2];
	if (!v[0] || !v[1] || !v[2])
		return -ENOMEM;
	r->ecap = cap;
	return 0;
}

static void set_err(struct rec *r, int err, const char *what)
{
	if (atomic_load(&r->err))
		return;
	snprintf(r->msg, sizeof(r->msg), "%s: %s", r->o.path, what);
	atomic_store(&r->err, err);
}

/* Write staged entries [0, k) and drop them from the arena. */
static void write_prefix(struct rec *r, size_t k)
{
	size_t i, used = 0;

	for (i = 0; i < k; i++) {
		const struct rec_ent *e = &r->s[i];

		if (atomic_load_explicit(&r->err, memory_order_relaxed))
			break;
		if (e->ts < r->last_ts)
			atomic_fetch_add_explicit(&r->late, 1, memory_order_relaxed);
		else
			r->last_ts = e->ts;
		if (cap_writer_event(r->w, e->cpu, r->buf + e->off, 0) < 0) {
			const struct cap_error *ce = cap_writer_error(r->w);

			set_err(r, -EIO, ce && ce->msg[0] ? ce->msg : "write failed");
			break;
		}
		atomic_fetch_add_explicit(&r->written, 1, memory_order_relaxed);
	}
	if (!k)
		return;
	/* compact: the rest moves to buf2 in order, then the arenas swap */
	for (i = k; i < r->ns; i++) {
		struct rec_ent *e = &r->s[i - k];

		*e = r->s[i];
		memcpy(r->buf2 + used, r->buf + e->off, e->len);
		e->off = (uint32_t)used;
		used += (e->len + 7u) & ~7u;
	}
	r->ns -= k;
	r->used = used;
	{
		uint8_t *t = r->buf;

		r->buf = r->buf2;
		r->buf2 = t;
	}
}

/* Sort this pull's entries and merge them into the staged ones. */
static void merge_pull(struct rec *r)
{
	size_t i = 0, j = 0, n = 0;
	struct rec_ent *t;

	if (!r->nb)
		return;
	qsort(r->b, r->nb, sizeof(*r->b), ent_cmp);
	while (i < r->ns && j < r->nb)
		r->m[n++] = ent_cmp(&r->s[i], &r->b[j]) <= 0 ? r->s[i++] : r->b[j++];
	while (i < r->ns)
		r->m[n++] = r->s[i++];
	while (j < r->nb)
		r->m[n++] = r->b[j++];
	t = r->s;
	r->s = r->m;
	r->m = t;
	r->ns = n;
	r->nb = 0;
}

/* Grow both arenas so @len more bytes fit; false at REC_STAGE_MAX. */
static bool arena_fit(struct rec *r, uint32_t len)
{
	size_t need = r->used + ((len + 7u) & ~7u), cap = r->bcap;
	uint8_t *a, *b;

	if (need <= r->bcap)
		return true;
	while (cap < need)
		cap *= 2;
	if (cap > REC_STAGE_MAX)
		return false;
	a = realloc(r->buf, cap);
	if (a)
		r->buf = a;
	b = realloc(r->buf2, cap);
	if (b)
		r->buf2 = b;
	if (!a || !b)
		return false;
	r->bcap = cap;
	return true;
}

/* Take everything published in every ring. Returns the events taken. */
static size_t pull(struct rec *r)
{
	size_t got = 0;

	for (unsigned i = 0; i < r->o.nprod; i++) {
		struct eng_spsc *q = r->p[i].q;
		const void *pl;
		uint32_t len;
		uint16_t cpu;

		if (!eng_spsc_begin_sc(q))
			continue;
		while (eng_spsc_next_sc(q, &pl, &len, &cpu) == 1) {
			struct rec_ent *e;

			if (ents_reserve(r, 1) < 0 || !arena_fit(r, len)) {
				/* the arena is at its bound: write all staged first */
				merge_pull(r);
				write_prefix(r, r->ns);
				if (ents_reserve(r, 1) < 0 || !arena_fit(r, len)) {
					set_err(r, -ENOMEM, "out of memory staging events");
					atomic_fetch_add_explicit(&r->p[i].dropped, 1,
								  memory_order_relaxed);
					continue;
				}
			}
			e = &r->b[r->nb++];
			e->ts = len >= sizeof(struct evt_hdr) ? ((const struct evt_hdr *)pl)->ts : 0;
			e->seq = r->seq++;
			e->off = (uint32_t)r->used;
			e->len = len;
			e->cpu = cpu;
			memcpy(r->buf + r->used, pl, len);
			r->used += (len + 7u) & ~7u;
			got++;
		}
		eng_spsc_release_sc(q);
	}
	merge_pull(r);
	return got;
}

/* Write every staged event older than the window. */
static void write_ready(struct rec *r, uint64_t horizon)
{
	size_t lo = 0, hi = r->ns;

	while (lo < hi) { /* first entry newer than the horizon */
		size_t mid = lo + (hi - lo) / 2;

		if (r->s[mid].ts <= horizon)
			lo = mid + 1;
		else
			hi = mid;
	}
	write_prefix(r, lo);
}

static bool all_done(struct rec *r)
{
	for (unsigned i = 0; i < r->o.nprod; i++)
		if (!atomic_load_explicit(&r->p[i].done, memory_order_acquire))
			return false;
	return true;
}

static void *rec_main(void *arg)
{
	struct rec *r = arg;

	for (;;) {
		bool closing = atomic_load_explicit(&r->closing, memory_order_acquire);
		size_t got = pull(r);
		uint64_t now = now_ns();

		write_ready(r, now > r->o.window_ns ? now - r->o.window_ns : 0);
		if (closing) {
			/* rec_close saw every producer done (acquire) before it
			 * set closing: this pull took their last records */
			break;
		}
		if (!got) {
			struct timespec ts = {0, REC_TICK_NS};

			nanosleep(&ts, NULL);
		}
	}
	write_prefix(r, r->ns);
	return NULL;
}

static void rec_free(struct rec *r)
{
	if (!r)
		return;
	for (unsigned i = 0; r->p && i < r->o.nprod; i++)
		eng_spsc_free(r->p[i].q);
	free(r->p);
	free(r->s);
	free(r->b);
	free(r->m);
	free(r->buf);
	free(r->buf2);
	free(r);
}

struct rec *rec_open(const struct rec_opts *o, const struct cap_machine *mi,
		     const struct cap_tables *t, char *err, size_t errlen)
{
	struct rec *r = calloc(1, sizeof(*r));
	struct cap_error ce = {0};
	int rc;

	if (!r || !o->nprod) {
		free(r);
		snprintf(err, errlen, "%s", o->nprod ? strerror(ENOMEM) : "no producer");
		errno = o->nprod ? ENOMEM : EINVAL;
		return NULL;
	}
	r->o = *o;
	if (!r->o.ring_bytes)
		r->o.ring_bytes = 16u << 20;
	if (!r->o.window_ns)
		r->o.window_ns = 200000000ull;
	r->p = aligned_alloc(CL, ((o->nprod * sizeof(*r->p) + CL - 1) / CL) * CL);
	r->bcap = 1u << 20;
	r->buf = malloc(r->bcap);
	r->buf2 = malloc(r->bcap);
	if (!r->p || !r->buf || !r->buf2 || ents_reserve(r, 4096) < 0)
		goto oom;
	memset(r->p, 0, o->nprod * sizeof(*r->p));
	for (unsigned i = 0; i < o->nprod; i++)
		if (!(r->p[i].q = eng_spsc_new(r->o.ring_bytes)))
			goto oom;
	r->w = cap_writer_open(o->path, o->wflags, mi, t, &ce);
	if (!r->w) {
		rc = errno;
		snprintf(err, errlen, "%s: %s", o->path, ce.msg[0] ? ce.msg : strerror(rc));
		rec_free(r);
		errno = rc;
		return NULL;
	}
	rc = pthread_create(&r->thread, NULL, rec_main, r);
	if (rc) {
		snprintf(err, errlen, "can not start the recorder: %s", strerror(rc));
		cap_writer_close(r->w);
		rec_free(r);
		errno = rc;
		return NULL;
	}
	return r;
oom:
	snprintf(err, errlen, "%s", strerror(ENOMEM));
	rec_free(r);
	errno = ENOMEM;
	return NULL;
}

int rec_put_sp(struct rec *r, unsigned i, const void *ev, uint32_t len, uint16_t cpu)
{
	struct rec_prod *p = &r->p[i];
	void *dst;

	if (len > eng_spsc_max_payload(p->q) ||
	    !(dst = eng_spsc_reserve_sp(p->q, len, cpu))) {
		atomic_store_explicit(&p->dropped,
				      atomic_load_explicit(&p->dropped, memory_order_relaxed) + 1,
				      memory_order_relaxed);
		return -ENOBUFS;
	}
	memcpy(dst, ev, len);
	eng_spsc_commit_sp(p->q);
	return 0;
}

void rec_publish_sp(struct rec *r, unsigned i)
{
	if (eng_spsc_pending_sp(r->p[i].q))
		eng_spsc_publish_sp(r->p[i].q);
}

void rec_done_sp(struct rec *r, unsigned i)
{
	rec_publish_sp(r, i);
	atomic_store_explicit(&r->p[i].done, 1, memory_order_release);
}

void rec_stats(const struct rec *r, struct rec_stats *st)
{
	struct rec *m = (struct rec *)r;

	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; i < r->o.nprod; i++)
		st->dropped += atomic_load_explicit(&m->p[i].dropped, memory_order_relaxed);
	st->written = atomic_load_explicit(&m->written, memory_order_relaxed);
	st->late = atomic_load_explicit(&m->late, memory_order_relaxed);
	st->err = atomic_load(&m->err);
}

int rec_close(struct rec *r, unsigned wait_ms, struct rec_stats *st, char *err, size_t errlen)
{
	int rc, crc;

	memset(st, 0, sizeof(*st));
	if (!r)
		return 0;
	for (unsigned waited = 0; !all_done(r) && waited < wait_ms; waited++) {
		struct timespec ts = {0, 1000000L};

		nanosleep(&ts, NULL);
	}
	atomic_store_explicit(&r->closing, 1, memory_order_release);
	pthread_join(r->thread, NULL);
	crc = cap_writer_close(r->w);
	if (crc < 0)
		set_err(r, crc, "close failed (the file may be incomplete)");
	rec_stats(r, st);
	rc = st->err;
	if (rc)
		snprintf(err, errlen, "%s", r->msg);
	rec_free(r);
	return rc;
}
